"""A village ended by a pemekaran takes no new partner records from any path: the organisation
import, the API and the pages refuse it as the people import does (`EndedVillages`), name the
villages that replaced it in the user's language, change nothing and keep what was typed. What
was recorded there before stays and can still be corrected."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from jaga.core.errors import DomainError, ImportFailed
from jaga.core.models import AuditLog
from jaga.partners import services
from jaga.partners.models import Agreement, Membership, Organisation, Person
from jaga.territory.models import Territory
from tests.conftest import ENDED_ON, SPLIT_OFF, VILLAGE_A, VILLAGE_B
from tests.partners.test_roundtrip import run_import

pytestmark = pytest.mark.django_db

INDONESIAN = f"({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)"
ENGLISH = f"({VILLAGE_A}) ended on 1 June 2024 (pemekaran)"


def _names_successors(message: str) -> None:
    assert f"Tamanan Baru ({SPLIT_OFF})" in message and f"({VILLAGE_B})" in message, message


def _state() -> tuple[list[tuple[int, int, str]], list[tuple[int, int]], int]:
    return (
        list(Organisation.objects.values_list("pk", "territory_id", "local_name")),
        list(Person.objects.values_list("pk", "village_id")),
        AuditLog.objects.count(),
    )


def test_the_organisation_import_refuses_a_village_ended_by_a_pemekaran(
    fkpm_a, pokdar_ab, ended_village, bob
):
    """An organisation serves its area today, whenever it was founded: none is added to or moved
    into an ended village; one already there takes a new local name (no move)."""
    header = ["id", "kind", "name", "territory_code", "local_name", "founded_on"]
    rows = [
        ["", "fkpm", "FKPM Tamanan Lama", VILLAGE_A, "", "2020-01-01"],  # new, founded before
        [str(pokdar_ab.pk), pokdar_ab.kind, pokdar_ab.name, VILLAGE_A, "", ""],  # moved into it
        ["", "fkpm", "FKPM Tamanan Baru", SPLIT_OFF, "", ""],  # new, in a successor
        [str(fkpm_a.pk), "fkpm", fkpm_a.name, VILLAGE_A, "Guyub Rukun Lestari", "2021-03-01"],
    ]
    before = _state()
    with pytest.raises(ImportFailed) as err:
        run_import(services.import_organisations, header, rows, actor=bob)
    assert [e["line"] for e in err.value.errors] == [2, 3]
    for e in err.value.errors:
        assert INDONESIAN in e["error"], e
        _names_successors(e["error"])
    assert _state() == before
    with translation.override("en"), pytest.raises(ImportFailed) as err:
        run_import(services.import_organisations, header, rows[:1], actor=bob)
    assert ENGLISH in err.value.errors[0]["error"]
    plan = run_import(services.import_organisations, header, rows[2:], actor=bob)
    assert len(plan.added) == 1 and len(plan.updated) == 1
    fkpm_a.refresh_from_db()
    assert (fkpm_a.territory_id, fkpm_a.local_name) == (ended_village.pk, "Guyub Rukun Lestari")


def test_the_api_registers_no_one_and_nothing_in_an_ended_village(
    person_b, pokdar_ab, ended_village, bob_client
):
    before = _state()
    person = bob_client.post(
        "/api/v1/partners/people",
        {"full_name": "Sri", "village_code": VILLAGE_A},
        content_type="application/json",
    )
    assert person.status_code == 400 and person.json()["code"] == "village_ended"
    assert INDONESIAN in person.json()["message"]
    _names_successors(person.json()["message"])
    org = bob_client.post(
        "/api/v1/partners/organisations",
        {"kind": "fkpm", "name": "FKPM Tamanan", "territory_code": VILLAGE_A},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert org.status_code == 400 and org.json()["code"] == "village_ended"
    assert ENGLISH in org.json()["message"]
    _names_successors(org.json()["message"])
    assert _state() == before
    moved = bob_client.post(
        "/api/v1/partners/people",
        {"full_name": "Sri", "village_code": SPLIT_OFF},
        content_type="application/json",
    )
    assert moved.status_code == 201


def test_the_pages_refuse_an_ended_village_and_keep_what_was_typed(
    person_a, ended_village, bob_client
):
    before = _state()
    page = bob_client.post(
        "/mitra/warga/baru/",
        {"full_name": "Sri Wahyuni", "village_code": VILLAGE_A, "phone": "0812 5555 6666"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert INDONESIAN in body and "Sri Wahyuni" in body and "0812 5555 6666" in body
    bob_client.cookies["django_language"] = "en"
    org = bob_client.post(
        "/mitra/organisasi/baru/",
        {"kind": "fkpm", "name": "FKPM Tamanan Lama", "territory_code": VILLAGE_A},
    )
    assert org.status_code == 200
    assert ENGLISH in org.content.decode() and "FKPM Tamanan Lama" in org.content.decode()
    assert _state() == before
    del bob_client.cookies["django_language"]
    # Someone recorded there before the split is still corrected on their page (no move).
    edit = bob_client.post(
        f"/mitra/warga/{person_a.pk}/ubah/",
        {"full_name": "Sutrisno", "village_code": VILLAGE_A, "phone": "0812 7777 8888"},
    )
    assert edit.status_code == 302
    assert Person.objects.get(pk=person_a.pk).phone == "0812 7777 8888"


def test_services_take_no_move_into_an_ended_village_and_date_agreements(
    person_b, pokdar_ab, ended_village, satbinmas
):
    with pytest.raises(DomainError) as err:
        services.update_person(person_b, actor=satbinmas, village=ended_village)
    assert err.value.code == "village_ended"
    with pytest.raises(DomainError):
        services.update_organisation(pokdar_ab, actor=satbinmas, territory=ended_village)
    parties = [{"role": "police", "name": "Kapolsek"}, {"role": "community", "name": "Warga"}]
    agreement = {"actor": satbinmas, "title": "MoU", "kind": "mou", "parties": parties}
    with pytest.raises(DomainError):
        services.record_agreement(territory=ended_village, signed_on=ENDED_ON, **agreement)
    assert Person.objects.get(pk=person_b.pk).village.code == VILLAGE_B
    assert not Agreement.objects.exists()
    # An agreement signed before the end is the ended village's history.
    before = ENDED_ON - datetime.timedelta(days=1)
    services.record_agreement(territory=ended_village, signed_on=before, **agreement)
    assert Agreement.objects.get().territory_id == ended_village.pk


def test_an_organisation_in_an_ended_village_takes_no_member_from_the_end_on(
    person_a, fkpm_a, ended_village, satbinmas
):
    """A membership is dated by its start, in its organisation's village: the members who joined
    before the pemekaran are the ended village's history (a late entry is taken); one joining
    from the end on is refused, naming the villages that replaced it (move the organisation)."""
    fkpm_a.refresh_from_db()  # its village as the pemekaran left it
    member = {"actor": satbinmas, "person": person_a, "organisation": fkpm_a}
    before = _state()
    with pytest.raises(DomainError) as err:
        services.add_membership(started_on=ENDED_ON, **member)
    assert err.value.code == "village_ended" and INDONESIAN in str(err.value.message)
    _names_successors(str(err.value.message))
    assert _state() == before and not Membership.objects.exists()
    joined = services.add_membership(started_on=ENDED_ON - datetime.timedelta(days=1), **member)
    # Its term is corrected freely; its start cannot be moved past the end.
    services.update_membership(joined, actor=satbinmas, ended_on=datetime.date(2025, 1, 1))
    with pytest.raises(DomainError):
        services.update_membership(joined, actor=satbinmas, started_on=ENDED_ON)
    assert Membership.objects.get().started_on == ENDED_ON - datetime.timedelta(days=1)


def test_the_membership_import_and_page_refuse_a_member_joining_after_the_end(
    person_a, fkpm_a, ended_village, satbinmas, bob, bob_client
):
    early = services.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2021, 3, 1)
    )
    header = ["id", "person_id", "organisation_id", "role", "started_on", "ended_on"]
    rows = [
        [str(early.pk), str(person_a.pk), str(fkpm_a.pk), "member", "2021-03-01", "2024-12-31"],
        ["", str(person_a.pk), str(fkpm_a.pk), "chair", "2024-06-01", ""],  # from the end on
        ["", str(person_a.pk), str(fkpm_a.pk), "chair", "2024-05-31", ""],  # before: its history
    ]
    with pytest.raises(ImportFailed) as err:
        run_import(services.import_memberships, header, rows, actor=bob)
    assert [e["line"] for e in err.value.errors] == [3]
    assert INDONESIAN in err.value.errors[0]["error"]
    assert Membership.objects.count() == 1
    plan = run_import(services.import_memberships, header, [rows[0], rows[2]], actor=bob)
    assert len(plan.updated) == 1 and len(plan.added) == 1
    page = bob_client.post(
        f"/mitra/organisasi/{fkpm_a.pk}/",
        {"person_id": str(person_a.pk), "role": "secretary", "started_on": "2024-07-01"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert INDONESIAN in body and 'value="2024-07-01"' in body
    assert Membership.objects.count() == 2


def test_an_organisation_of_an_ended_village_says_so_and_a_refused_member_is_told_what_to_do(
    fkpm_a, ended_village, satbinmas, bob_client
):
    """A resident of a village that replaced it lives outside its area only because of the end:
    the end is what the refusal says, with what to do; the page says the village ended."""
    newcomer = services.create_person(
        actor=satbinmas,
        full_name="Warsini",
        village=Territory.objects.get(code=SPLIT_OFF),
        gender="f",
        birth_year=1980,
        education="sma",
        community_roles=["masyarakat"],
    )
    fkpm_a.refresh_from_db()
    with pytest.raises(DomainError) as err:
        services.add_membership(
            actor=satbinmas, person=newcomer, organisation=fkpm_a, started_on=ENDED_ON
        )
    message = str(err.value.message)
    assert err.value.code == "village_ended" and INDONESIAN in message
    assert "FKPM Tamanan tidak menerima anggota yang bergabung sejak hari itu" in message
    assert "tambahkan Warsini ke organisasi di desa/kelurahan tempat tinggalnya" in message
    with pytest.raises(DomainError) as err:  # before the end: outside its area, as ever
        services.add_membership(
            actor=satbinmas,
            person=newcomer,
            organisation=fkpm_a,
            started_on=ENDED_ON - datetime.timedelta(days=1),
        )
    assert err.value.code == "member_outside_area"
    page = bob_client.get(f"/mitra/organisasi/{fkpm_a.pk}/").content.decode()
    assert "berakhir 1 Jun 2024 (pemekaran)" in page
    assert "Kelurahan Tamanan berakhir pada 1 Juni 2024 (pemekaran) dan digantikan oleh" in page
    assert "sejak hari itu FKPM Tamanan tidak menerima anggota baru." in page
    assert Membership.objects.count() == 0


def test_an_organisation_of_a_living_village_says_nothing_of_an_end(fkpm_a, bob_client):
    page = bob_client.get(f"/mitra/organisasi/{fkpm_a.pk}/").content.decode()
    assert "pemekaran" not in page
