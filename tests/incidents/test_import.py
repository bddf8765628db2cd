from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from openpyxl import Workbook

from jaga.analytics.models import MonthlyIncidentCount
from jaga.core.errors import DomainError, ImportFailed
from jaga.core.models import AuditLog
from jaga.incidents.imports import import_incidents
from jaga.incidents.models import Category, ImportRun, Incident
from jaga.incidents.services import record_incident

pytestmark = pytest.mark.django_db

HEADER = "occurred_at,village_code,category,source_ref,latitude,longitude,description\n"
GOOD = (
    HEADER
    + "2023-01-05,35.03.11.1002,miras,SPKT-1,-8.05,111.71,Pesta miras\n"
    + "2023-01-20T22:15:00+07:00,35.03.11.1002,miras,SPKT-2,,,\n"
    + "2023-02-01 23:00,35.03.02.2008,balap_liar,SPKT-3,,,Balap liar\n"
)


def run(text: str, **kwargs):  # type: ignore[no-untyped-def]
    return import_incidents(io.BytesIO(text.encode()), name="history.csv", **kwargs)


def test_a_file_is_imported_with_its_monthly_rollup():
    result = run(GOOD)
    assert (result.lines, result.created, result.unchanged) == (3, 3, 0)
    first = Incident.objects.get(source_ref="SPKT-1")
    assert (first.source, first.latitude, first.description) == ("import", -8.05, "Pesta miras")
    assert first.district_code == "35.03.11" and first.regency_code == "35.03"
    second = Incident.objects.get(source_ref="SPKT-2")
    assert second.occurred_at == datetime.datetime(2023, 1, 20, 15, 15, tzinfo=datetime.UTC)
    counts = {
        (r.village.code, r.month, r.category.code): r.count
        for r in MonthlyIncidentCount.objects.select_related("village", "category")
    }
    assert counts == {
        ("35.03.11.1002", datetime.date(2023, 1, 1), "miras"): 2,
        ("35.03.02.2008", datetime.date(2023, 2, 1), "balap_liar"): 1,
    }
    assert ImportRun.objects.get().created == 3
    assert AuditLog.objects.filter(action="incidents.imported").count() == 1


def test_reimporting_the_same_rows_adds_nothing():
    run(GOOD)
    again = run(GOOD)
    assert (again.created, again.unchanged) == (0, 3)
    assert Incident.objects.count() == 3
    assert sum(MonthlyIncidentCount.objects.values_list("count", flat=True)) == 3


def test_imports_add_to_counts_already_in_the_rollup(village_a):
    record_incident(
        category=Category.objects.get(code="miras"),
        village=village_a,
        occurred_at=datetime.datetime(2023, 1, 9, tzinfo=datetime.UTC),
        source="desk",
        source_ref="D-1",
    )
    run(GOOD)
    row = MonthlyIncidentCount.objects.get(village=village_a, category__code="miras")
    assert row.count == 3


def test_a_duplicate_source_ref_with_different_content_is_an_error():
    run(GOOD)
    changed = HEADER + "2023-01-05,35.03.11.1002,judi,SPKT-1,-8.05,111.71,Pesta miras\n"
    with pytest.raises(ImportFailed) as info:
        run(changed)
    assert info.value.errors[0]["line"] == 2
    assert "SPKT-1" in info.value.errors[0]["error"]
    same_file = (
        HEADER + "2023-01-05,35.03.11.1002,judi,X-1,,,\n2023-01-06,35.03.11.1002,judi,X-1,,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        run(same_file)
    assert [e["line"] for e in info.value.errors] == [3]
    assert Incident.objects.count() == 3


def test_every_bad_row_is_reported_and_nothing_is_imported(english):
    text = (
        HEADER
        + "2023-01-05,35.03.11.1002,miras,OK-1,,,\n"
        + "2023-13-45,35.03.11.1002,miras,B-1,,,\n"
        + "2023-01-05,35.03.99.9999,miras,B-2,,,\n"
        + "2023-01-05,35.03.11.1002,ufo,B-3,,,\n"
        + "2999-01-05,35.03.11.1002,miras,B-4,,,\n"
        + "2023-01-05,35.03.11.1002,miras,B-5,51.5,-0.12,\n"
        + "2023-01-05,35.03.11.1002,miras,B-6,-8.05,,\n"
        + "2023-01-05,35.03.11.1002,miras,,,,\n"
        + "2023-01-05,35.03.11.1002,miras,OK-2,,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        run(text)
    lines = [e["line"] for e in info.value.errors]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    reasons = " ".join(e["error"] for e in info.value.errors)
    for expected in ("ISO 8601", "35.03.99.9999", "ufo", "future", "outside Indonesia", "both"):
        assert expected in reasons
    assert "7 of 9" in str(info.value.message)
    assert not Incident.objects.exists()
    assert not MonthlyIncidentCount.objects.exists()
    assert not ImportRun.objects.exists()


def test_a_villages_outside_the_importers_area_are_refused(bob):
    with pytest.raises(ImportFailed) as info:
        run(GOOD, actor=bob)
    assert [e["line"] for e in info.value.errors] == [4]
    assert not Incident.objects.exists()


def test_a_half_written_file_is_refused_whole():
    with pytest.raises(DomainError):
        run(HEADER + '2023-01-05,35.03.11.1002,miras,H-1,,,"unterminated\n')
    with pytest.raises(DomainError) as info:
        run("occurred_at,village_code\n2023-01-05,35.03.11.1002\n")
    assert info.value.code == "missing_columns"
    with pytest.raises(DomainError) as info:
        import_incidents(io.BytesIO(b"PK\x03\x04truncated"), name="history.xlsx")
    assert info.value.code == "bad_xlsx"
    assert not Incident.objects.exists()


def test_xlsx_files_are_imported_too():
    book = Workbook()
    sheet = book.active
    sheet.append(["occurred_at", "village_code", "category", "source_ref"])
    sheet.append([datetime.datetime(2023, 5, 1, 20, 0), "35.03.11.1002", "judi", "X-9"])
    sheet.append([datetime.date(2023, 5, 2), "35.03.11.1002", "judi", 1234])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    result = import_incidents(buffer, name="history.xlsx")
    assert result.created == 2
    assert Incident.objects.filter(source_ref="1234").exists()


def test_the_command_imports_and_reports_errors(tmp_path, capsys, english):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("incidents", "import", str(good))
    assert Incident.objects.count() == 3
    out = capsys.readouterr()
    assert "100.0%" in out.err
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2023-01-05,35.03.11.1002,ufo,Z-1,,,\n")
    with pytest.raises(CommandError):
        call_command("incidents", "import", str(bad), "--no-progress")
    assert "line 2" in capsys.readouterr().err


def test_the_command_lists_the_category_tree(capsys):
    call_command("incidents", "categories")
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("konvensional")
    assert "  knalpot_brong" in out


def test_errors_read_in_indonesian_by_default():
    with pytest.raises(ImportFailed) as info:
        run(HEADER + "2023-01-05,35.03.11.1002,ufo,Z-1,,,\n")
    assert "Kategori “ufo” tidak dikenal." in info.value.errors[0]["error"]
    assert "Tidak ada yang diimpor" in str(info.value.message)


def test_the_progress_bar_knows_the_length_of_csv_and_xlsx_files(tmp_path):
    from jaga.incidents.management.commands.incidents import count_lines

    csv_file = tmp_path / "a.csv"
    csv_file.write_text(GOOD)
    assert count_lines(csv_file) == 3
    book = Workbook()
    for n in range(5):
        book.active.append([n])
    book.save(tmp_path / "a.xlsx")
    assert count_lines(tmp_path / "a.xlsx") == 4


EXPORT_HEADER = (
    "occurred_at,village_code,category,source_ref,latitude,longitude,description,source\n"
)


def _rollup() -> dict:
    return {
        (r.village.code, r.month, r.category.code): r.count
        for r in MonthlyIncidentCount.objects.select_related("village", "category")
        if r.count
    }


def test_update_changes_the_rows_it_came_from_adds_new_ones_and_nothing_else():
    run(GOOD)
    untouched = Incident.objects.get(source_ref="SPKT-3")
    edited = (
        HEADER
        + "2023-01-05,35.03.11.1002,miras,SPKT-1,-8.05,111.71,Pesta miras\n"  # unchanged
        + "2023-03-20T22:15:00+07:00,35.03.11.1002,judi,SPKT-2,,,Judi\n"  # month, category
        + "2023-04-01,35.03.11.1002,miras,SPKT-4,,,\n"  # new
    )
    with pytest.raises(ImportFailed) as refused:
        run(edited)  # without update, a changed row is an error
    assert [e["line"] for e in refused.value.errors] == [3]
    dry = run(edited, update=True, dry_run=True)
    assert (dry.created, dry.updated, dry.unchanged, dry.dry_run) == (1, 1, 1, True)
    assert Incident.objects.count() == 3 and not ImportRun.objects.filter(updated=1).exists()
    result = run(edited, update=True)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    changed = Incident.objects.get(source_ref="SPKT-2")
    assert (changed.category.code, changed.description) == ("judi", "Judi")
    assert Incident.objects.get(source_ref="SPKT-3").occurred_at == untouched.occurred_at
    assert _rollup() == {
        ("35.03.11.1002", datetime.date(2023, 1, 1), "miras"): 1,
        ("35.03.11.1002", datetime.date(2023, 3, 1), "judi"): 1,
        ("35.03.11.1002", datetime.date(2023, 4, 1), "miras"): 1,
        ("35.03.02.2008", datetime.date(2023, 2, 1), "balap_liar"): 1,
    }
    assert AuditLog.objects.filter(action="incidents.updated_by_import").count() == 1
    again = run(edited, update=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_rows_of_the_register_are_matched_by_source_and_ref(village_a):
    desk = record_incident(
        category=Category.objects.get(code="miras"),
        village=village_a,
        occurred_at=datetime.datetime(2023, 1, 9, 10, 0, 0, 123456, tzinfo=datetime.UTC),
        source="desk",
        source_ref="LAP-1",
        description="Pesta miras",
    )
    moment = "2023-01-09T17:00:00.123456+07:00"
    same = EXPORT_HEADER + f"{moment},35.03.11.1002,miras,LAP-1,,,Pesta miras,desk\n"
    assert (run(same).unchanged, Incident.objects.count()) == (1, 1)
    changed = same.replace("Pesta miras,desk", "Pesta miras besar,desk")
    assert run(changed, update=True).updated == 1
    desk.refresh_from_db()
    assert desk.description == "Pesta miras besar"
    unknown = EXPORT_HEADER + "2023-01-09,35.03.11.1002,miras,LAP-404,,,,desk\n"
    with pytest.raises(ImportFailed) as refused:
        run(unknown, update=True)  # only imported rows can be added
    assert refused.value.errors[0]["line"] == 2


def test_an_imported_row_of_a_disturbance_the_desk_recorded_joins_its_incident(village_a):
    desk = record_incident(
        category=Category.objects.get(code="miras"),
        village=village_a,
        occurred_at=datetime.datetime(2023, 1, 6, tzinfo=datetime.UTC),
        source="desk",
        source_ref="LAP-1",
    )
    result = run(GOOD)  # SPKT-1: same village and category, a day before; SPKT-2: 14 days later
    assert (result.created, result.linked) == (2, 1)
    assert desk.links.get().source_ref == "SPKT-1"
    assert not Incident.objects.filter(source_ref="SPKT-1").exists()
    assert _rollup()[("35.03.11.1002", datetime.date(2023, 1, 1), "miras")] == 2
    again = run(GOOD)
    assert (again.created, again.linked, again.unchanged) == (0, 0, 3)


def test_the_command_dry_run_counts_and_writes_nothing(tmp_path, capsys, english):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("incidents", "import", str(good), "--dry-run", "--no-progress")
    assert "3 incidents would be added" in capsys.readouterr().out
    assert not Incident.objects.exists() and not ImportRun.objects.exists()
    call_command("incidents", "import", str(good), "--no-progress")
    call_command("incidents", "import", str(good), "--update", "--no-progress")
    assert "3 unchanged" in capsys.readouterr().out


def test_a_long_file_is_written_in_blocks_and_every_row_arrives_once(monkeypatch):
    # Blocks of two lines: the header is line 1, so the file's five rows span three blocks.
    monkeypatch.setattr("jaga.incidents.imports.WRITE_BLOCK", 2)
    rows = "".join(f"2023-03-0{i},35.03.11.1002,miras,BLOCK-{i},,,\n" for i in range(1, 6))
    result = run(HEADER + rows)
    assert (result.lines, result.created) == (5, 5)
    assert sorted(Incident.objects.values_list("source_ref", flat=True)) == [
        f"BLOCK-{i}" for i in range(1, 6)
    ]
    assert MonthlyIncidentCount.objects.get().count == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred keys")
def test_the_register_keys_are_deferred_again_after_an_import():
    """While the import writes, its foreign keys are checked per statement (bounded memory);
    afterwards the rest of the transaction has Django's deferred keys back."""
    run(GOOD)
    first = Incident.objects.get(source_ref="SPKT-1")
    with transaction.atomic():
        run(GOOD.replace("SPKT-", "AGAIN-"))
        # A dangling key is accepted until the commit only while the key is deferred.
        Incident.objects.filter(pk=first.pk).update(category_id=10**9)
        Incident.objects.filter(pk=first.pk).update(category_id=first.category_id)


def test_the_dry_run_names_every_change_before_anything_is_written(
    village_a, tmp_path, capsys, satbinmas_client
):
    """Issue 14: a dry run shows what would change: each updated incident's fields old → new
    and each row that joins an incident already recorded, on the command line and the API."""
    run(GOOD)
    desk = record_incident(
        category=Category.objects.get(code="balap_liar"),
        village=village_a,
        occurred_at=datetime.datetime(2023, 3, 1, 12, 0, tzinfo=datetime.UTC),
        source="desk",
        source_ref="LAP-9",
    )
    edited = (
        GOOD.replace("Pesta miras\n", "Pesta miras besar\n")
        + "2023-03-02,35.03.11.1002,balap_liar,SPKT-4,,,\n"
    )
    path = tmp_path / "edited.csv"
    path.write_text(edited)
    before = list(Incident.objects.values_list("id", "description", "occurred_at"))
    call_command("incidents", "import", str(path), "--update", "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    first = Incident.objects.get(source_ref="SPKT-1")
    assert f"{path}:2: id {first.pk} description: 'Pesta miras' → 'Pesta miras besar'" in out
    assert f"{path}:5: SPKT-4" in out and str(desk.pk) in out
    assert "SPKT-2" not in out and "SPKT-3" not in out  # unchanged rows are not named
    assert list(Incident.objects.values_list("id", "description", "occurred_at")) == before
    assert not desk.links.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("edited.csv", edited.encode(), content_type="text/csv")
    answer = satbinmas_client.post(
        "/api/v1/incidents/import?update=true&dry_run=true", {"file": upload}
    ).json()
    assert answer["changes"] == [
        {"line": 2, "id": first.pk, "source_ref": "SPKT-1",
         "fields": {"description": {"old": "Pesta miras", "new": "Pesta miras besar"}}}
    ]  # fmt: skip
    assert answer["links"] == [{"line": 5, "id": desk.pk, "source_ref": "SPKT-4"}]
    assert list(Incident.objects.values_list("id", "description", "occurred_at")) == before


def test_a_village_ended_by_a_pemekaran_takes_its_history_but_nothing_after(english):
    """Rows dated before the village ended are its own history; from that day on the village
    that replaced it is named. On PostgreSQL the rows go through the SQL staging first."""
    from jaga.territory.models import Territory

    ended = Territory.objects.get(code="35.03.11.1002")
    successor = Territory.objects.get(code="35.03.11.1003")
    ended.valid_to = datetime.date(2023, 3, 1)
    ended.successor = successor
    ended.save(update_fields=["valid_to", "successor"])
    text = (
        HEADER
        + "2023-02-28T23:30:00+07:00,35.03.11.1002,miras,OLD-1,,,\n"
        + "2023-03-01T00:30:00+07:00,35.03.11.1002,miras,NEW-1,,,\n"
        + "2023-03-01,35.03.11.1003,miras,NEW-2,,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        run(text)
    assert [e["line"] for e in info.value.errors] == [3]
    error = info.value.errors[0]["error"]
    assert "1 March 2023" in error and "35.03.11.1003" in error and successor.name in error
    assert not Incident.objects.exists()
    # The history alone is accepted, on the village it happened in.
    result = run(HEADER + "2023-02-28T23:30:00+07:00,35.03.11.1002,miras,OLD-1,,,\n")
    assert result.created == 1
    assert Incident.objects.get().village_id == ended.pk
