"""Invitations round-trip: an activity's export edited and imported back updates its rows, adds
new invitees through `invite` (SMS and event as from the page) and changes nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import ImportFailed
from jaga.core.gateways import LoggingGateway
from jaga.core.models import AuditLog
from jaga.partners import services as partners
from jaga.programs import services
from jaga.programs.models import Invitation
from tests.partners.test_roundtrip import as_file, export_rows, run_import, writes_during


def export_url(activity: Any) -> str:
    return f"/program/kegiatan/{activity.pk}/undangan/impor-ekspor/?format=xlsx"


def page_url(activity: Any) -> str:
    return f"/program/kegiatan/{activity.pk}/undangan/impor-ekspor/"


def attendance() -> dict[tuple[str, str], int]:
    return {
        (m.metric, m.village.code): m.value
        for m in MonthlyMetric.objects.filter(metric__startswith="attendance.").select_related(
            "village"
        )
        if m.value
    }


@pytest.fixture
def invited(meeting, person_a, resident_a, fkpm_a, satbinmas):  # type: ignore[no-untyped-def]
    services.invite(meeting, actor=satbinmas, person=person_a)
    services.invite(meeting, actor=satbinmas, person=resident_a)
    services.invite(meeting, actor=satbinmas, organisation=fkpm_a)
    return meeting


def _import(activity: Any, header: list[str], rows: list[list[str]], **kw: Any) -> Any:
    return run_import(services.import_invitations, header, rows, activity=activity, **kw)


def test_an_invitation_export_imported_back_writes_nothing(invited, bob, bob_client):
    header, rows = export_rows(bob_client, export_url(invited))
    assert header[0] == "id" and len(rows) == 3
    assert {r[header.index("invitee")] for r in rows} == {
        "Sutrisno",
        "Warsini",
        "FKPM Tamanan (Guyub Rukun)",
    }
    plan, writes = writes_during(lambda: _import(invited, header, rows, actor=bob))
    assert (plan.writes, plan.unchanged, writes) == (0, 3, [])
    # the CSV export too
    csv = bob_client.get(page_url(invited) + "?format=csv")
    assert csv.status_code == 200 and b"Sutrisno" in csv.content


def test_editing_answer_and_attendance_goes_through_the_services(
    invited, bob, bob_client, person_a
):  # type: ignore[no-untyped-def]
    before = attendance()
    header, rows = export_rows(bob_client, export_url(invited))
    row = next(r for r in rows if r[header.index("invitee")] == "Sutrisno")
    row[header.index("response")] = "accepted"
    row[header.index("status")] = "represented"
    row[header.index("representative_name")] = "Anaknya"
    row[header.index("note")] = "Datang jam 9"
    audits = AuditLog.objects.count()
    plan = _import(invited, header, rows, actor=bob)
    assert [sorted(c.changes) for c in plan.updated] == [
        ["note", "representative_name", "response", "status"]
    ]
    assert plan.unchanged == 2 and not plan.added
    inv = Invitation.objects.get(activity=invited, person=person_a)
    assert (inv.response, inv.status, inv.representative_name, inv.note) == (
        "accepted",
        "represented",
        "Anaknya",
        "Datang jam 9",
    )
    assert inv.responded_at is not None and inv.checked_in_at is not None
    assert set(AuditLog.objects.order_by("id")[audits:].values_list("action", flat=True)) == {
        "programs.responded",
        "programs.attendance",
        "programs.invitation_note",
    }
    after = attendance()
    village = invited.village.code
    assert after.get(("attendance.responded", village), 0) == (
        before.get(("attendance.responded", village), 0) + 1
    )
    assert after.get(("attendance.represented", village), 0) == 1
    # the edited file again: nothing more to do
    plan, writes = writes_during(lambda: _import(invited, header, rows, actor=bob))
    assert (plan.writes, writes) == (0, [])


def test_a_new_row_invites_through_the_service_with_its_message(
    invited, village_a, bob, bob_client, satbinmas, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    newcomer = partners.create_person(
        actor=satbinmas,
        full_name="Sumiati",
        village=village_a,
        gender="f",
        education="sma",
        phone="081233334444",
    )
    header, rows = export_rows(bob_client, export_url(invited))
    new = [""] * len(header)
    new[header.index("person_id")] = str(newcomer.pk)
    new[header.index("response")] = "accepted"
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = _import(invited, header, [*rows, new], actor=bob)
    assert ([c.label for c in plan.added], plan.unchanged) == (["Sumiati"], 3)
    inv = Invitation.objects.get(activity=invited, person=newcomer)
    assert inv.response == "accepted" and len(inv.code) == 12
    assert [to for to, _text in LoggingGateway.sent] == ["081233334444"]
    assert inv.code in LoggingGateway.sent[0][1]
    assert AuditLog.objects.filter(action="programs.invited", object_id=str(inv.pk)).exists()
    # the same person again is refused on its line, nothing written
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, [*rows, new], actor=bob)
    assert [e["line"] for e in failed.value.errors] == [len(rows) + 2]
    assert "id " + str(inv.pk) in failed.value.errors[0]["error"]


def test_an_out_of_scope_id_or_invitee_is_refused_with_its_line(
    invited, village_c, programme, person_c, bob, bob_client, satbinmas
):  # type: ignore[no-untyped-def]
    import datetime

    from django.utils import timezone

    outside = services.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="sport",
        title="Voli",
        starts_at=timezone.make_aware(datetime.datetime(2024, 4, 2, 16, 0)),
        village=village_c,
    )
    foreign = services.invite(outside, actor=satbinmas, person=person_c)
    header, rows = export_rows(bob_client, export_url(invited))
    stolen = list(rows[0])
    stolen[0] = str(foreign.pk)
    stranger = [""] * len(header)
    stranger[header.index("person_id")] = str(person_c.pk)
    rows[0][header.index("note")] = "Diubah"
    audits = AuditLog.objects.count()
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, [*rows, stolen, stranger], actor=bob)
    lines = {e["line"]: e["error"] for e in failed.value.errors}
    assert set(lines) == {len(rows) + 2}  # the bad id first: the file stops there
    assert str(foreign.pk) in lines[len(rows) + 2]
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, [*rows, stranger], actor=bob)
    assert [e["line"] for e in failed.value.errors] == [len(rows) + 2]
    assert "person_id" in failed.value.errors[0]["error"]
    assert AuditLog.objects.count() == audits
    assert not Invitation.objects.filter(note="Diubah").exists()
    # the activity's page refuses another activity's invitation even for the operator
    with pytest.raises(ImportFailed):
        _import(invited, header, [*rows, stolen], actor=None)


def test_rules_of_the_services_hold_line_by_line(invited, bob, bob_client):
    header, rows = export_rows(bob_client, export_url(invited))
    rows[0][header.index("person_id")] = rows[1][header.index("person_id")]
    rows[1][header.index("status")] = "represented"
    rows[2][header.index("response")] = "maybe"
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, rows, actor=bob)
    # a cell that cannot be read stops the file before the rows are checked against the records
    assert [e["line"] for e in failed.value.errors] == [4]
    assert "maybe" in failed.value.errors[0]["error"]
    rows[2][header.index("response")] = "declined"
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, rows, actor=bob)
    errors = {e["line"]: e["error"] for e in failed.value.errors}
    assert set(errors) == {2, 3}
    # in Indonesian, as the importer reads them
    assert "tidak dapat diubah" in errors[2] and "wakil" in errors[3]
    assert not Invitation.objects.filter(response="declined").exists()


def test_an_illegal_attendance_move_rolls_back_the_file(invited, bob, bob_client, satbinmas):
    services.close_attendance(invited, actor=satbinmas)  # everyone absent
    header, rows = export_rows(bob_client, export_url(invited))
    rows[0][header.index("note")] = "Sakit"
    rows[1][header.index("status")] = "pending"
    with pytest.raises(ImportFailed) as failed:
        _import(invited, header, rows, actor=bob)
    assert [e["line"] for e in failed.value.errors] == [3]
    assert not Invitation.objects.filter(note="Sakit").exists()


def test_the_command_line_dry_run_writes_nothing(invited, bob_client, tmp_path, capsys):
    header, rows = export_rows(bob_client, export_url(invited))
    rows[0][header.index("note")] = "Balai desa"
    path = tmp_path / "undangan.xlsx"
    path.write_bytes(as_file(header, rows).getvalue())
    call_command("programmes", "import-invitations", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert (
        "note" in out
        and "Balai desa" in out
        and "0 ditambahkan, 1 diperbarui, 2 tidak berubah (uji coba" in out
    )
    assert not Invitation.objects.filter(note="Balai desa").exists()
    call_command("programmes", "import-invitations", str(path), "--activity", str(invited.pk))
    assert Invitation.objects.filter(note="Balai desa").count() == 1
    rows[0][0] = "999999"
    path.write_bytes(as_file(header, rows).getvalue())
    with pytest.raises(CommandError):
        call_command("programmes", "import-invitations", str(path))
    assert f"{path}:2:" in capsys.readouterr().err


def test_the_page_previews_then_applies(invited, bob_client):
    activity_page = bob_client.get(f"/program/kegiatan/{invited.pk}/")
    assert page_url(invited) in activity_page.content.decode()
    header, rows = export_rows(bob_client, export_url(invited))
    rows[0][header.index("status")] = "excused"
    page = bob_client.post(page_url(invited), {"file": as_file(header, rows)})
    assert page.status_code == 200 and page.context["plan"].updated
    assert not Invitation.objects.filter(status="excused").exists()
    done = bob_client.post(
        page_url(invited),
        {"token": page.context["token"], "fingerprint": page.context["plan"].fingerprint},
    )
    assert done.status_code == 302 and done["Location"] == f"/program/kegiatan/{invited.pk}/"
    assert Invitation.objects.filter(status="excused").count() == 1
    # a bad file: the lines to fix, nothing written
    rows[1][header.index("response")] = "maybe"
    bad = bob_client.post(page_url(invited), {"file": as_file(header, rows)})
    assert bad.status_code == 400 and bad.context["errors"][0]["line"] == 3
