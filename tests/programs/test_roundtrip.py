"""Activities round-trip: an edited export updates its rows, and the roll-ups follow exactly."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import ImportFailed
from jaga.core.models import AuditLog
from jaga.programs import services
from jaga.programs.models import Activity
from tests.partners.test_roundtrip import as_file, export_rows, run_import, writes_during

EXPORT = "/program/kegiatan/impor-ekspor/?format=xlsx"


def figures() -> dict[tuple[str, str, str, str], int]:
    return {
        (m.village.code, m.month.isoformat(), m.metric, m.key): m.value
        for m in MonthlyMetric.objects.filter(metric__startswith="activities.").select_related(
            "village"
        )
        if m.value
    }


@pytest.fixture
def activities(meeting, programme, village_a, village_b, district_ab, satbinmas):  # type: ignore[no-untyped-def]
    services.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="patrol",
        title="Patroli malam",
        starts_at=timezone.make_aware(datetime.datetime(2024, 4, 2, 20, 0)),
        village=village_b,
        head_count=12,
    )
    return meeting


def test_an_activity_export_imported_back_writes_nothing(activities, bob, bob_client):
    header, rows = export_rows(bob_client, EXPORT)
    assert header[0] == "id" and len(rows) == 2
    plan, writes = writes_during(
        lambda: run_import(services.import_activities, header, rows, actor=bob)
    )
    assert (plan.writes, plan.unchanged, writes) == (0, 2, [])
    assert Activity.objects.count() == 2


def test_moving_an_activity_moves_its_figures_and_nothing_is_counted_twice(
    activities, bob, bob_client
):
    before = figures()
    header, rows = export_rows(bob_client, EXPORT)
    row = next(r for r in rows if r[header.index("title")] == "Patroli malam")
    row[header.index("starts_at")] = "2024-05-03 20:00"
    row[header.index("head_count")] = "20"
    plan = run_import(services.import_activities, header, rows, actor=bob)
    assert [sorted(c.changes) for c in plan.updated] == [["head_count", "starts_at"]]
    after = figures()
    b = "35.03.11.2001"
    assert before[(b, "2024-04-01", "activities.count", "FKPM")] == 1
    assert (b, "2024-04-01", "activities.count", "FKPM") not in after
    assert after[(b, "2024-05-01", "activities.count", "FKPM")] == 1
    assert after[(b, "2024-05-01", "activities.head_count", "FKPM")] == 20
    assert sum(v for k, v in after.items() if k[2] == "activities.count") == sum(
        v for k, v in before.items() if k[2] == "activities.count"
    )
    # the figures are those a full recount gives
    call_command("analytics", "rebuild", stdout=io.StringIO())
    assert figures() == after


def test_an_activity_row_added_and_an_outsider_refused(
    activities, village_c, programme, bob, bob_client, satbinmas
):  # type: ignore[no-untyped-def]
    header, rows = export_rows(bob_client, EXPORT)
    new = list(rows[0])
    new[0] = ""
    plan = run_import(services.import_activities, header, [*rows, new], actor=bob)
    assert (len(plan.added), plan.unchanged) == (1, 2)
    outsider = services.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="sport",
        title="Voli",
        starts_at=timezone.make_aware(datetime.datetime(2024, 4, 2, 16, 0)),
        village=village_c,
    )
    header, rows = export_rows(bob_client, EXPORT)
    stolen = list(rows[0])
    stolen[0] = str(outsider.pk)
    rows[0][header.index("title")] = "Rapat besar"
    audits = AuditLog.objects.count()
    with pytest.raises(ImportFailed) as failed:
        run_import(services.import_activities, header, [*rows, stolen], actor=bob)
    assert [e["line"] for e in failed.value.errors] == [len(rows) + 2]
    assert AuditLog.objects.count() == audits
    assert not Activity.objects.filter(title="Rapat besar").exists()


def test_the_command_line_dry_run_writes_nothing(activities, bob_client, tmp_path, capsys):
    header, rows = export_rows(bob_client, EXPORT)
    rows[0][header.index("place")] = "Balai desa"
    path = tmp_path / "kegiatan.xlsx"
    path.write_bytes(as_file(header, rows).getvalue())
    call_command("programmes", "import-activities", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert (
        "place" in out
        and "Balai desa" in out
        and "0 ditambahkan, 1 diperbarui, 1 tidak berubah (uji coba" in out
    )
    assert not Activity.objects.filter(place="Balai desa").exists()
    call_command("programmes", "import-activities", str(path))
    assert Activity.objects.filter(place="Balai desa").count() == 1
    rows[0][0] = "999999"
    path.write_bytes(as_file(header, rows).getvalue())
    with pytest.raises(CommandError):
        call_command("programmes", "import-activities", str(path))
    assert f"{path}:2:" in capsys.readouterr().err


def test_the_activity_page_previews_then_applies(activities, bob_client):
    header, rows = export_rows(bob_client, EXPORT)
    rows[0][header.index("outcome")] = "Sepakat ronda bergilir"
    page = bob_client.post("/program/kegiatan/impor-ekspor/", {"file": as_file(header, rows)})
    assert page.status_code == 200 and "Sepakat ronda bergilir" in page.content.decode()
    assert not Activity.objects.filter(outcome="Sepakat ronda bergilir").exists()
    done = bob_client.post(
        "/program/kegiatan/impor-ekspor/",
        {"token": page.context["token"], "fingerprint": page.context["plan"].fingerprint},
    )
    assert done.status_code == 302
    assert Activity.objects.filter(outcome="Sepakat ronda bergilir").count() == 1


def test_the_export_writes_times_as_the_import_reads_them(activities, bob, bob_client):
    """Local (WIB) minutes, `YYYY-MM-DD HH:MM` as docs/imports.md says: a user who corrects an
    evening meeting's hour in the spreadsheet moves it to that hour, not seven hours off."""
    header, rows = export_rows(bob_client, EXPORT.replace("xlsx", "csv"))
    patrol = next(r for r in rows if r[header.index("title")] == "Patroli malam")
    assert patrol[header.index("starts_at")] == "2024-04-02 20:00"
    patrol[header.index("starts_at")] = "2024-04-02 21:00"
    plan = run_import(services.import_activities, header, rows, actor=bob)
    assert [list(c.changes) for c in plan.updated] == [["starts_at"]]
    moved = Activity.objects.get(title="Patroli malam")
    assert timezone.localtime(moved.starts_at).strftime("%H:%M") == "21:00"


def test_a_bad_date_is_refused_on_its_line_in_indonesian_quoting_the_whole_cell(
    activities, bob, bob_client
):
    from django.utils import translation

    header, rows = export_rows(bob_client, EXPORT)
    rows[1][header.index("starts_at")] = "besok malam"
    rows[0][header.index("title")] = "Rapat diubah"
    with translation.override("id"), pytest.raises(ImportFailed) as failed:
        run_import(services.import_activities, header, rows, actor=bob)
    assert failed.value.errors == [
        {"line": 3, "error": "starts_at bukan tanggal (TTTT-BB-HH): besok malam"}
    ]
    assert not Activity.objects.filter(title="Rapat diubah").exists()


def test_a_village_ended_by_a_pemekaran_takes_the_activities_that_started_before_its_end(
    activities, ended_village, bob
):
    """An activity is dated by its start: the ended village keeps those before its end (its
    history); one starting from that day on, new or moved there, is refused naming the
    villages that replaced it, and the file changes nothing."""
    from tests.conftest import SPLIT_OFF, VILLAGE_A

    header = ["id", "programme_code", "kind", "title", "starts_at", "village_code"]
    rows = [
        ["", "FKPM", "meeting", "Rapat lama", "2024-05-31 19:00", VILLAGE_A],
        ["", "FKPM", "meeting", "Rapat baru", "2024-06-01 08:00", VILLAGE_A],
        [str(activities.pk), "FKPM", "meeting", "Rapat FKPM Tamanan", "2024-07-05 09:00",
         VILLAGE_A],
        ["", "FKPM", "meeting", "Rapat Tamanan Baru", "2024-06-01 08:00", SPLIT_OFF],
    ]  # fmt: skip
    before = (list(Activity.objects.values_list("pk", "starts_at", "village_id")), figures())
    audits = AuditLog.objects.count()
    with pytest.raises(ImportFailed) as failed:
        run_import(services.import_activities, header, rows, actor=bob)
    assert [e["line"] for e in failed.value.errors] == [3, 4]
    for e in failed.value.errors:
        assert "Tamanan (35.03.11.1002) berakhir pada 1 Juni 2024 (pemekaran)" in e["error"], e
        assert f"Tamanan Baru ({SPLIT_OFF})" in e["error"]
    assert (list(Activity.objects.values_list("pk", "starts_at", "village_id")), figures()) == (
        before
    )
    assert AuditLog.objects.count() == audits
    plan = run_import(services.import_activities, header, [rows[0], rows[3]], actor=bob)
    assert len(plan.added) == 2
    assert Activity.objects.get(title="Rapat lama").village_id == ended_village.pk
