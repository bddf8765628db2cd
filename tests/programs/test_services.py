from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import DomainError, ImportFailed
from jaga.programs import queries, services
from jaga.programs.models import Activity, Invitation, ProgrammeAdoption

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2024, 3, 5, 9, 0))


def metric(name: str, key: str = "FKPM") -> int:
    return sum(
        MonthlyMetric.objects.filter(
            metric=name, key=key, month=datetime.date(2024, 3, 1)
        ).values_list("value", flat=True)
    )


def test_an_activity_is_counted_in_every_village_it_covers(
    programme, village_a, village_b, satbinmas
):
    services.record_activity(
        actor=satbinmas, programme=programme, kind="sport", title="Kapolres Cup",
        starts_at=START, village=village_a, area=village_a.parent, villages=[village_b],
        head_count=250,
    )  # fmt: skip
    assert metric("activities.count") == 2
    assert metric("activities.head_count") == 250
    rows = MonthlyMetric.objects.filter(metric="activities.head_count")
    assert [r.village_id for r in rows] == [village_a.pk]


def test_an_activity_without_a_head_count_counts_only_the_activity(programme, village_a, satbinmas):
    services.record_activity(
        actor=satbinmas, programme=programme, kind="sport", title="  Patrol walk  ",
        starts_at=START, village=village_a, head_count=0,
    )  # fmt: skip
    assert metric("activities.count") == 1
    assert not MonthlyMetric.objects.filter(metric="activities.head_count").exists()
    assert Activity.objects.get().title == "Patrol walk"


def test_a_wrong_activity_is_refused_and_nothing_is_written(
    programme, village_a, village_b, village_c, district_ab, satbinmas
):
    wrong = [
        ({"kind": "picnic"}, "bad_kind"),
        ({"title": "   "}, "title_required"),
        ({"ends_at": START - datetime.timedelta(minutes=1)}, "ends_before_start"),
        ({"head_count": -1}, "bad_head_count"),
        ({"grace_minutes": 241}, "bad_grace"),
        ({"grace_minutes": -1}, "bad_grace"),
        ({"checkin_opens_minutes": -1}, "bad_checkin_window"),
        ({"village": district_ab}, "not_a_village"),
        ({"area": village_c}, "village_outside_area"),
        # Covered villages lie inside the area served (by default the village itself).
        ({"villages": [village_b]}, "village_outside_area"),
        ({"area": district_ab, "villages": [village_c]}, "village_outside_area"),
        ({"area": district_ab, "villages": [district_ab]}, "village_outside_area"),
    ]
    for change, code in wrong:
        fields = {
            "kind": "sport", "title": "Kapolres Cup", "starts_at": START, "village": village_a,
            "head_count": 10, **change,
        }  # fmt: skip
        with pytest.raises(DomainError) as err:
            services.record_activity(actor=satbinmas, programme=programme, **fields)
        assert err.value.code == code, change
    assert not Activity.objects.exists()
    assert not MonthlyMetric.objects.exists()


def test_an_invitation_outside_the_activitys_area_is_refused(meeting, person_c, satbinmas):
    with pytest.raises(DomainError) as err:
        services.invite(meeting, actor=satbinmas, person=person_c)
    assert err.value.code == "invitee_outside_scope"
    assert not Invitation.objects.exists()
    assert metric("attendance.invited") == 0


def test_each_invitation_has_its_own_unguessable_code(meeting, person_a, person_b, satbinmas):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    b = services.invite(meeting, actor=satbinmas, person=person_b)
    assert a.code != b.code and len(a.code) == 12 and str(a.pk) not in a.code
    assert services.invite(meeting, actor=satbinmas, person=person_a).pk == a.pk
    assert metric("attendance.invited") == 2


def test_check_in_is_idempotent_and_on_time_within_the_grace(meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    at = START + datetime.timedelta(minutes=14)
    first, already = services.check_in(inv.code, actor=satbinmas, activity=meeting, at=at)
    assert (first.status, already) == ("present", False)
    second, already = services.check_in(
        inv.code.lower(), actor=satbinmas, activity=meeting, at=at + datetime.timedelta(minutes=30)
    )
    assert already and second.status == "present" and second.checked_in_at == at
    assert metric("attendance.attended") == 1
    assert metric("attendance.on_time") == 1


def test_check_in_after_the_grace_is_late(meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    found, _ = services.check_in(
        inv.code, actor=satbinmas, at=START + datetime.timedelta(minutes=16)
    )
    assert found.status == "late"
    assert (metric("attendance.late"), metric("attendance.on_time")) == (1, 0)


def test_unknown_or_foreign_codes_are_refused(meeting, person_a, programme, village_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    other = services.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Lain", starts_at=START,
        village=village_a,
    )  # fmt: skip
    with pytest.raises(DomainError) as err:
        services.check_in("NOPE23456789", actor=satbinmas, at=START)
    assert err.value.code == "unknown_code"
    with pytest.raises(DomainError) as err:
        services.check_in(inv.code, actor=satbinmas, activity=other, at=START)
    assert err.value.code == "wrong_activity"
    assert Invitation.objects.get(pk=inv.pk).status == "pending"


def test_check_in_window(meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    with pytest.raises(DomainError):
        services.check_in(inv.code, actor=satbinmas, at=START - datetime.timedelta(hours=4))
    with pytest.raises(DomainError):
        services.check_in(inv.code, actor=satbinmas, at=START + datetime.timedelta(days=2))


def test_representation_needs_a_name_and_moves_the_rollups(meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    with pytest.raises(DomainError) as err:
        services.record_attendance(inv, actor=satbinmas, status="represented")
    assert err.value.code == "representative_required"
    services.record_attendance(inv, actor=satbinmas, status="absent")
    assert metric("attendance.absent") == 1
    services.record_attendance(
        inv, actor=satbinmas, status="represented", representative_name="Anaknya, Budi"
    )
    inv.refresh_from_db()
    assert inv.representative_name == "Anaknya, Budi"
    assert (metric("attendance.absent"), metric("attendance.represented")) == (0, 1)


def test_illegal_transitions_are_refused(meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    with pytest.raises(DomainError):
        services.record_attendance(inv, actor=satbinmas, status="pending")
    services.record_attendance(inv, actor=satbinmas, status="present")
    assert services.TRANSITIONS["present"] >= {"absent"}
    assert "excused" not in services.TRANSITIONS["present"]
    with pytest.raises(DomainError) as err:
        services.record_attendance(inv, actor=satbinmas, status="excused")
    assert err.value.code == "illegal_transition"


def test_a_paper_sheet_with_a_bad_row_changes_nothing(meeting, person_a, resident_a, satbinmas):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    b = services.invite(meeting, actor=satbinmas, person=resident_a)
    with pytest.raises(ImportFailed) as err:
        services.record_attendance_sheet(
            meeting, actor=satbinmas,
            rows=[{"invitation": a, "status": "present"}, {"invitation": b, "status": "represented"}],
        )  # fmt: skip
    assert err.value.errors[0]["line"] == 2
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}
    assert metric("attendance.attended") == 0


def test_closing_marks_the_rest_absent(meeting, person_a, resident_a, satbinmas):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    services.invite(meeting, actor=satbinmas, person=resident_a)
    services.check_in(a.code, actor=satbinmas, at=START)
    assert services.close_attendance(meeting, actor=satbinmas) == 1
    assert metric("attendance.absent") == 1


def test_participation_is_a_ratio_of_sums_with_the_leaders_gap(
    meeting, programme, person_a, resident_a, person_b, village_a, satbinmas
):
    # Meeting 1: leader present, two residents absent. Meeting 2: one resident, late.
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    services.record_response(a, actor=satbinmas, response="accepted")
    services.check_in(a.code, actor=satbinmas, at=START)
    for p in (resident_a, person_b):
        services.invite(meeting, actor=satbinmas, person=p)
    services.close_attendance(meeting, actor=satbinmas)
    second = services.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Rapat 2",
        starts_at=START + datetime.timedelta(days=7), village=village_a,
    )  # fmt: skip
    r = services.invite(second, actor=satbinmas, person=resident_a)
    services.check_in(r.code, actor=satbinmas, at=second.starts_at + datetime.timedelta(hours=1))

    report = queries.participation(territory_code="35.03.11", programme_code="FKPM")
    t = report.total
    assert (t.invited, t.responded, t.attended, t.on_time, t.late, t.absent) == (4, 1, 2, 1, 1, 2)
    # Σ/Σ = 2/4; the average of the two meetings' rates would be (1/3 + 1/1)/2 = 0.667.
    assert t.attendance_rate == 0.5
    assert t.punctuality == 0.5
    groups = {g.key: g for g in report.by_group}
    assert groups["leaders"].attendance_rate == 1.0
    assert (groups["residents"].attended, groups["residents"].invited) == (1, 3)
    education = {e.key: e for e in report.by_education}
    assert education["sd"].invited == 2 and education["sd"].attended == 1
    # The roll-ups say the same as the raw invitations.
    rolled = queries.participation_from_rollups(territory_code="35.03.11", programme_code="FKPM")
    assert [getattr(rolled, c) for c in queries.COUNTS] == [getattr(t, c) for c in queries.COUNTS]
    assert queries.participation(territory_code="35.03.02").total.invited == 0
    march = queries.participation(start=datetime.date(2024, 3, 6), end=datetime.date(2024, 3, 31))
    assert march.total.invited == 1


def test_participation_of_an_organisation_counts_its_members(
    meeting, fkpm_a, person_a, resident_a, satbinmas
):
    from jaga.partners.services import add_membership

    add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2021, 3, 1)
    )
    services.invite(meeting, actor=satbinmas, person=person_a)
    services.invite(meeting, actor=satbinmas, person=resident_a)
    services.invite(meeting, actor=satbinmas, organisation=fkpm_a)
    report = queries.participation(organisation_id=fkpm_a.pk)
    assert report.total.invited == 2
    assert {g.key for g in report.by_group} == {"leaders", "organisations"}


ADOPTIONS = "programme_code,village_code,adopted_on\n"


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


@time_machine.travel(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
def test_adoptions_import_reports_every_bad_row_and_imports_nothing(programme, satbinmas):
    text = ADOPTIONS + (
        "FKPM,35.03.11.1002,2021-05-01\n"
        "XXX,35.03.11.1002,2021-05-01\n"
        "FKPM,35.03.99.9999,2021-05-01\n"
        "FKPM,35.03.11.2001,01/05/2021\n"
        "FKPM,35.03.11.1002,2021-06-01\n"
        "FKPM,35.03.11.2002,2025-01-01\n"
    )
    with pytest.raises(ImportFailed) as err:
        services.import_adoptions(_csv(text), name="a.csv", actor=satbinmas)
    assert [e["line"] for e in err.value.errors] == [3, 4, 5, 6, 7]
    assert not ProgrammeAdoption.objects.exists()


@time_machine.travel(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
def test_adoptions_import_is_safe_to_repeat(programme, satbinmas):
    text = ADOPTIONS + "fkpm,35.03.11.1002,2021-05-01\nFKPM,35.03.11.2001,2022-02-01\n"
    ticks: list[int] = []
    assert (
        services.import_adoptions(_csv(text), name="a.csv", actor=satbinmas, progress=ticks.append)
        == 2
    )
    assert ticks[-1] == 2
    assert services.import_adoptions(_csv(text), name="a.csv", actor=satbinmas) == 0
    clash = ADOPTIONS + "FKPM,35.03.11.1002,2021-06-01\n"
    with pytest.raises(ImportFailed):
        services.import_adoptions(_csv(clash), name="a.csv", actor=satbinmas)
    assert ProgrammeAdoption.objects.count() == 2


def test_adoptions_outside_the_importers_area_are_refused(programme, bob):
    text = ADOPTIONS + "FKPM,35.03.02.2008,2021-05-01\n"
    with pytest.raises(ImportFailed) as err:
        services.import_adoptions(_csv(text), name="a.csv", actor=bob)
    assert "di luar wilayah Anda" in err.value.errors[0]["error"]


def test_participation_by_area_splits_a_territory_into_its_children(
    meeting, programme, person_a, person_b, village_b, satbinmas
):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    services.check_in(a.code, actor=satbinmas, at=START)
    there = services.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Rapat B", starts_at=START,
        village=village_b,
    )  # fmt: skip
    services.invite(there, actor=satbinmas, person=person_b)
    areas = queries.participation_by_area(territory_code="35.03.11")
    assert [(p.key, p.invited, p.attended) for p in areas] == [
        ("35.03.11.1002", 1, 1),
        ("35.03.11.2001", 1, 0),
    ]
    assert [(p.key, p.invited) for p in queries.participation_by_area(territory_code="35.03")] == [
        ("35.03.11", 2)
    ]
    assert areas[0].label == "TAMANAN" or areas[0].label.lower() == "tamanan"


def test_an_invitation_is_sent_by_sms_after_commit(
    meeting, village_a, satbinmas, django_capture_on_commit_callbacks
):
    from jaga.core.gateways import LoggingGateway
    from jaga.partners.services import create_person

    person = create_person(
        actor=satbinmas, full_name="Sri", village=village_a, phone="081234567890"
    )
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        inv = services.invite(meeting, actor=satbinmas, person=person)
    assert LoggingGateway.sent == [("081234567890", LoggingGateway.sent[0][1])]
    assert inv.code in LoggingGateway.sent[0][1]


def test_the_invitation_names_the_polres_of_the_village(
    meeting, village_a, satbinmas, django_capture_on_commit_callbacks
):
    from jaga.core.gateways import LoggingGateway
    from jaga.partners.services import create_person
    from jaga.territory.models import PoliceUnit
    from jaga.territory.polres import create_polres

    polres = create_polres("35.03").polres
    PoliceUnit.objects.filter(pk=polres.pk).update(name="Polres Uji Coba")
    person = create_person(
        actor=satbinmas, full_name="Sri", village=village_a, phone="081234567890"
    )
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(meeting, actor=satbinmas, person=person)
    assert "Polres Uji Coba" in LoggingGateway.sent[0][1]


def test_a_village_ended_by_a_pemekaran_takes_the_adoptions_before_its_end(
    programme, ended_village, satbinmas
):
    """An adoption is dated by its start: the ended village keeps those before its end; one
    from that day on is refused naming the villages that replaced it, and nothing is written."""
    from jaga.programs.models import Programme
    from tests.conftest import SPLIT_OFF

    Programme.objects.create(code="KTS", name="Kampung Tangguh Semeru")
    text = ADOPTIONS + (
        f"FKPM,35.03.11.1002,2024-05-31\nKTS,35.03.11.1002,2024-06-01\nKTS,{SPLIT_OFF},2024-06-01\n"
    )
    with pytest.raises(ImportFailed) as err:
        services.import_adoptions(_csv(text), name="a.csv", actor=satbinmas)
    assert [e["line"] for e in err.value.errors] == [3]
    error = err.value.errors[0]["error"]
    assert "Tamanan (35.03.11.1002) berakhir pada 1 Juni 2024 (pemekaran)" in error
    assert f"Tamanan Baru ({SPLIT_OFF})" in error and "(35.03.11.2001)" in error
    assert not ProgrammeAdoption.objects.exists()
    lines = text.splitlines()
    kept = "\n".join([lines[0], lines[1], lines[3]]) + "\n"
    assert services.import_adoptions(_csv(kept), name="a.csv", actor=satbinmas) == 2
    assert ProgrammeAdoption.objects.get(programme__code="FKPM").village_id == ended_village.pk
