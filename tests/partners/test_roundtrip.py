"""Round trips (issue 14 item 1): an export imported back changes exactly what was edited."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.core.errors import DomainError, ImportFailed
from jaga.core.models import AuditLog
from jaga.core.tabular import iter_rows, write_xlsx
from jaga.partners import services
from jaga.partners.models import Membership, Organisation, Person

WRITES = ("INSERT", "UPDATE", "DELETE")


def export_rows(client: Any, url: str) -> tuple[list[str], list[list[str]]]:
    """An export as the spreadsheet user sees it: header and rows of text cells."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    stream = io.BytesIO(response.content)
    name = "export.csv" if "csv" in response["Content-Type"] else "export.xlsx"
    rows = list(iter_rows(stream, [], name=name))
    header = list(rows[0][1]) if rows else []
    # XLSX gives dates back as midnight datetimes: the date is what a user sees.
    return header, [[v.removesuffix("T00:00:00") for v in row.values()] for _line, row in rows]


def as_file(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    stream = io.BytesIO(write_xlsx(header, rows))
    stream.name = "edited.xlsx"
    return stream


def writes_during(action: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        result = action()
    return result, [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def run_import(importer: Callable[..., Any], header: list[str], rows: list[list[str]], **kw: Any):  # type: ignore[no-untyped-def]
    return importer(as_file(header, rows), name="edited.xlsx", **kw)


@pytest.fixture
def registry(person_a, resident_a, person_b, fkpm_a, pokdar_ab, satbinmas):  # type: ignore[no-untyped-def]
    services.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2021, 3, 1)
    )
    services.add_membership(
        actor=satbinmas,
        person=person_b,
        organisation=pokdar_ab,
        role="chair",
        started_on=datetime.date(2020, 1, 1),
    )
    return satbinmas


ENTITIES = {
    "people": (services.import_people, Person, "phone", "0812 1111 2222"),
    "organisations": (services.import_organisations, Organisation, "local_name", "Rukun Agawe"),
    "memberships": (services.import_memberships, Membership, "ended_on", "2024-02-01"),
}


@pytest.mark.parametrize("kind", list(ENTITIES))
def test_an_export_imported_back_writes_nothing(kind, registry, bob, bob_client):
    importer, model, _field, _value = ENTITIES[kind]
    header, rows = export_rows(bob_client, f"/mitra/ekspor/{kind}/?format=xlsx")
    assert header[0] == "id" and rows
    before = model.objects.count()
    plan, writes = writes_during(lambda: run_import(importer, header, rows, actor=bob))
    assert (len(plan.added), len(plan.updated), plan.unchanged) == (0, 0, len(rows))
    assert writes == [] and model.objects.count() == before
    # the CSV export as well
    response = bob_client.get(f"/mitra/ekspor/{kind}/?format=csv")
    csv = io.BytesIO(response.content)
    csv.name = "export.csv"
    plan, writes = writes_during(lambda: importer(csv, name="export.csv", actor=bob))
    assert plan.writes == 0 and writes == []


@pytest.mark.parametrize("kind", list(ENTITIES))
def test_an_edited_cell_updates_exactly_that_row(kind, registry, bob, bob_client):
    importer, model, field, value = ENTITIES[kind]
    header, rows = export_rows(bob_client, f"/mitra/ekspor/{kind}/?format=xlsx")
    column = header.index(field)
    old = rows[0][column]
    rows[0][column] = value
    audits = AuditLog.objects.count()
    dry = run_import(importer, header, rows, actor=bob, dry_run=True)
    assert not dry.applied and AuditLog.objects.count() == audits
    assert str(getattr(model.objects.get(pk=rows[0][0]), field) or "") == old
    plan = run_import(importer, header, rows, actor=bob)
    assert plan.applied and plan.fingerprint == dry.fingerprint
    assert [(c.key, list(c.changes)) for c in plan.updated] == [(int(rows[0][0]), [field])]
    assert plan.updated[0].changes[field] == (old, value)
    assert (len(plan.added), plan.unchanged) == (0, len(rows) - 1)
    assert str(getattr(model.objects.get(pk=rows[0][0]), field)) == value
    assert AuditLog.objects.count() == audits + 1
    audit = AuditLog.objects.latest("id")
    assert audit.action.endswith("_updated") and audit.object_id == rows[0][0]
    # and the next export shows the change, imported back again: nothing more
    header2, rows2 = export_rows(bob_client, f"/mitra/ekspor/{kind}/?format=xlsx")
    assert rows2 == rows
    assert run_import(importer, header2, rows2, actor=bob).writes == 0


@pytest.mark.parametrize("kind", list(ENTITIES))
def test_a_row_without_an_id_is_added(kind, registry, bob, bob_client):
    importer, model, _field, _value = ENTITIES[kind]
    header, rows = export_rows(bob_client, f"/mitra/ekspor/{kind}/?format=xlsx")
    new = list(rows[-1])
    new[0] = ""
    if kind == "people":
        new[header.index("nik")] = ""
    before = model.objects.count()
    plan = run_import(importer, header, [*rows, new], actor=bob)
    assert (len(plan.added), len(plan.updated), plan.unchanged) == (1, 0, len(rows))
    assert plan.added[0].line == len(rows) + 2
    assert model.objects.count() == before + 1


@pytest.mark.parametrize("kind", list(ENTITIES))
def test_an_id_outside_the_importers_scope_is_an_error_and_nothing_is_written(
    kind, registry, person_c, bob, bob_client, satbinmas
):
    importer, model, field, value = ENTITIES[kind]
    header, rows = export_rows(bob_client, f"/mitra/ekspor/{kind}/?format=xlsx")
    # Charlie's district: a person and an organisation and a membership there.
    org_c = services.create_organisation(
        actor=satbinmas, kind="community", name="Karang Taruna", territory=person_c.village
    )
    member_c = services.add_membership(
        actor=satbinmas, person=person_c, organisation=org_c, started_on=datetime.date(2022, 1, 1)
    )
    outsider = {"people": person_c, "organisations": org_c, "memberships": member_c}[kind]
    rows[0][header.index(field)] = value  # an edit that must not be written either
    stolen = list(rows[-1])
    stolen[0] = str(outsider.pk)
    audits, count = AuditLog.objects.count(), model.objects.count()
    with pytest.raises(ImportFailed) as failed:
        run_import(importer, header, [*rows, stolen], actor=bob)
    assert [e["line"] for e in failed.value.errors] == [len(rows) + 2]
    assert "id" in failed.value.errors[0]["error"]
    assert AuditLog.objects.count() == audits and model.objects.count() == count
    assert str(getattr(model.objects.get(pk=rows[0][0]), field) or "") != value


def test_errors_are_in_indonesian_with_their_lines(registry, bob, bob_client):
    from django.utils import translation

    header, rows = export_rows(bob_client, "/mitra/ekspor/people/?format=xlsx")
    twice = list(rows[0])
    with translation.override("id"), pytest.raises(ImportFailed) as failed:
        run_import(services.import_people, header, [*rows, twice, ["x1", *rows[0][1:]]], actor=bob)
    errors = failed.value.errors
    assert [e["line"] for e in errors] == [len(rows) + 2, len(rows) + 3]
    assert "baris" in errors[0]["error"] and "bukan angka" in errors[1]["error"]


def test_a_person_keeps_the_nik_when_the_masked_value_comes_back(registry, person_a, bob):
    header = ["id", "full_name", "village_code", "nik"]
    rows = [[str(person_a.pk), "Sutrisno", person_a.village.code, person_a.nik_masked]]
    assert run_import(services.import_people, header, rows, actor=bob).writes == 0
    # a NIK already registered to someone else is refused by line
    other = services.create_person(
        actor=bob, full_name="Lain", village=person_a.village, nik="3503115205800002"
    )
    rows.append([str(other.pk), "Lain", person_a.village.code, "3503111205800001"])
    with pytest.raises(ImportFailed) as failed:
        run_import(services.import_people, header, rows, actor=bob)
    assert [e["line"] for e in failed.value.errors] == [3]


def test_a_stale_preview_is_not_applied(registry, person_a, bob, bob_client):
    header, rows = export_rows(bob_client, "/mitra/ekspor/people/?format=xlsx")
    rows[0][header.index("occupation")] = "Petani"
    dry = run_import(services.import_people, header, rows, actor=bob, dry_run=True)
    services.update_person(Person.objects.get(pk=rows[0][0]), actor=bob, occupation="Guru")
    with pytest.raises(DomainError) as stale:
        run_import(services.import_people, header, rows, actor=bob, expect=dry.fingerprint)
    assert stale.value.code == "preview_outdated"
    assert Person.objects.get(pk=rows[0][0]).occupation == "Guru"


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=30,
).map(str.strip)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.dictionaries(st.integers(0, 2), st.tuples(st.sampled_from(
    ["occupation", "position", "address"]), TEXT), max_size=3))  # fmt: skip
def test_property_people_round_trip_changes_exactly_the_edited_rows(
    edits, registry, bob, bob_client
):
    header, rows = export_rows(bob_client, "/mitra/ekspor/people/?format=xlsx")
    edited = [list(r) for r in rows]
    changed = set()
    for index, (field, text) in edits.items():
        column = header.index(field)
        if edited[index][column] != text:
            edited[index][column] = text
            changed.add(int(edited[index][0]))
    plan = run_import(services.import_people, header, edited, actor=bob)
    assert {c.key for c in plan.updated} == changed and not plan.added
    assert plan.unchanged == len(rows) - len(changed)
    assert export_rows(bob_client, "/mitra/ekspor/people/?format=xlsx") == (header, edited)


def test_the_page_previews_then_applies_exactly_the_previewed_file(
    registry, bob, bob_client, charlie_client
):
    header, rows = export_rows(bob_client, "/mitra/ekspor/people/?format=xlsx")
    rows[1][header.index("position")] = "Ketua RT 03"
    new = ["", "Sumarni", rows[0][2], "f", "", "", "", "", "", "", "", "", ""]
    page = bob_client.post("/mitra/impor/people/", {"file": as_file(header, [*rows, new])})
    body = page.content.decode()
    assert page.status_code == 200 and "Ketua RT 03" in body and "Sumarni" in body
    assert not Person.objects.filter(full_name="Sumarni").exists()
    token = page.context["token"]
    fingerprint = page.context["plan"].fingerprint
    assert token
    # another user cannot apply it, nor can a changed fingerprint
    other = charlie_client.post(
        "/mitra/impor/people/", {"token": token, "fingerprint": fingerprint}
    )
    assert other.status_code == 400
    wrong = bob_client.post("/mitra/impor/people/", {"token": token, "fingerprint": "x" * 64})
    assert wrong.status_code == 400 and not Person.objects.filter(full_name="Sumarni").exists()
    done = bob_client.post("/mitra/impor/people/", {"token": token, "fingerprint": fingerprint})
    assert done.status_code == 302
    assert Person.objects.filter(full_name="Sumarni").count() == 1
    assert Person.objects.get(pk=rows[1][0]).position == "Ketua RT 03"
    again = bob_client.post("/mitra/impor/people/", {"token": token, "fingerprint": fingerprint})
    assert again.status_code == 400  # the staged file is gone once applied
    assert Person.objects.filter(full_name="Sumarni").count() == 1


def test_the_api_dry_run_answers_the_plan(registry, bob, bob_client):
    header, rows = export_rows(bob_client, "/mitra/ekspor/organisations/?format=xlsx")
    rows[0][header.index("name")] = "FKPM Tamanan Raya"
    answer = bob_client.post(
        "/api/v1/partners/organisations/import?dry_run=true", {"file": as_file(header, rows)}
    ).json()
    assert (answer["applied"], answer["updated"], answer["unchanged"]) == (False, 1, len(rows) - 1)
    assert answer["changes"][0]["fields"] == {
        "name": {"old": "FKPM Tamanan", "new": "FKPM Tamanan Raya"}
    }
    assert not Organisation.objects.filter(name="FKPM Tamanan Raya").exists()
    done = bob_client.post(
        f"/api/v1/partners/organisations/import?fingerprint={answer['fingerprint']}",
        {"file": as_file(header, rows)},
    ).json()
    assert (done["applied"], done["imported"]) == (True, 1)
    assert Organisation.objects.filter(name="FKPM Tamanan Raya").exists()


def test_people_are_not_added_to_or_moved_into_a_village_ended_by_a_pemekaran(
    person_a,
    person_b,
    ended_village,
    bob,  # registered before the split
):
    """A roster has no date: a village that ended takes no one new or moved in, and the refusal
    names the villages that replaced it; the file changes nothing. Someone already recorded
    there stays (a new phone number is no move)."""
    from tests.conftest import SPLIT_OFF, VILLAGE_A, VILLAGE_B

    header = ["id", "full_name", "village_code", "phone"]
    rows = [
        ["", "Sumarni", VILLAGE_A, ""],  # new, in the ended village
        [str(person_b.pk), "Parno", VILLAGE_A, ""],  # moved into it
        ["", "Sumarno", SPLIT_OFF, ""],  # new, in a village that replaced it
        [str(person_a.pk), "Sutrisno", VILLAGE_A, "0812 3333 4444"],  # stays, a new phone
    ]
    before = (
        list(Person.objects.values_list("pk", "village_id", "phone")),
        AuditLog.objects.count(),
    )
    with pytest.raises(ImportFailed) as err:
        run_import(services.import_people, header, rows, actor=bob)
    assert [e["line"] for e in err.value.errors] == [2, 3]
    for e in err.value.errors:
        assert "Tamanan (35.03.11.1002) berakhir pada 1 Juni 2024 (pemekaran)" in e["error"], e
        assert f"Tamanan Baru ({SPLIT_OFF})" in e["error"] and f"({VILLAGE_B})" in e["error"]
    after = (
        list(Person.objects.values_list("pk", "village_id", "phone")),
        AuditLog.objects.count(),
    )
    assert after == before
    # The rows it took, alone, go in.
    plan = run_import(services.import_people, header, rows[2:], actor=bob)
    assert len(plan.added) == 1 and len(plan.updated) == 1
    assert Person.objects.get(pk=person_a.pk).village_id == ended_village.pk
