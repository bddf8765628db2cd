from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.utils import timezone

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.fieldwork import queries, services
from jaga.fieldwork.models import (
    CaseStage,
    DetectionStatus,
    EarlyDetection,
    Finding,
    Operation,
    ProblemCase,
    Visit,
)
from jaga.incidents.models import Category, Incident, IncidentLink
from jaga.incidents.services import record_incident
from jaga.territory.models import NormSetting
from tests.fieldwork.conftest import WHEN

pytestmark = pytest.mark.django_db


def metric(name: str, key: str = "") -> int:
    return sum(MonthlyMetric.objects.filter(metric=name, key=key).values_list("value", flat=True))


# ------------------------------------------------------------------------------------ visits


def test_a_visit_is_counted_in_the_monthly_rollup_and_audited(make_visit, village_a):
    visit = make_visit()
    row = MonthlyMetric.objects.get(metric="visits.count")
    assert (row.village_id, row.month, row.value) == (village_a.pk, datetime.date(2024, 3, 1), 1)
    assert visit.regency_code == "35.03" and visit.district_code == "35.03.11"
    assert AuditLog.objects.filter(action="fieldwork.visit_recorded").count() == 1


def test_a_resent_visit_with_the_same_key_is_not_a_second_visit(make_visit):
    key = uuid.uuid4()
    first = make_visit(client_key=key)
    again = make_visit(client_key=key, household_head="Typed differently")
    assert first == again
    assert Visit.objects.count() == 1
    assert metric("visits.count") == 1


def test_a_visit_outside_the_officers_villages_is_refused(make_visit, village_c):
    with pytest.raises(DomainError) as info:
        make_visit(village=village_c)
    assert info.value.code == "village_out_of_scope"
    assert not Visit.objects.exists()


@pytest.mark.usefixtures("frozen_clock")
def test_a_visit_needs_something_heard_and_a_past_date(make_visit):
    with pytest.raises(DomainError, match="keluhan atau harapan"):
        make_visit(concerns="", hopes="  ")
    with pytest.raises(DomainError) as info:
        make_visit(visited_on=timezone.localdate() + datetime.timedelta(days=1))
    assert info.value.code == "future_date"
    with pytest.raises(DomainError) as info:
        make_visit(latitude=52.1, longitude=4.3)
    assert info.value.code == "point_outside_indonesia"
    assert not Visit.objects.exists()


def test_a_partner_may_not_record_visits(partner, village_a, make_visit):
    with pytest.raises(DomainError) as info:
        make_visit(actor=partner)
    assert info.value.code == "forbidden"


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_villages_not_visited_for_the_set_number_of_days_are_flagged(
    make_visit, bob, village_a, village_b
):
    make_visit(visited_on=datetime.date(2024, 4, 10))  # village A: 10 days ago
    make_visit(village=village_b, visited_on=datetime.date(2024, 3, 1), actor=bob)  # 50 days
    status = {row.village.code: row for row in queries.village_visit_status(bob)}
    assert len(status) == 13  # every village of Kecamatan Trenggalek
    assert not status[village_a.code].overdue and status[village_a.code].days_since == 10
    assert status[village_b.code].overdue and status[village_b.code].days_since == 50
    assert status["35.03.11.2004"].overdue and status["35.03.11.2004"].last_visit is None
    NormSetting.objects.create(key="visit_gap_days", value=60, label="gap")
    status = {row.village.code: row for row in queries.village_visit_status(bob)}
    assert not status[village_b.code].overdue


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_monthly_visits_per_village_and_officer_include_empty_months(make_visit, alice, village_a):
    make_visit(visited_on=datetime.date(2024, 3, 5))
    make_visit(visited_on=datetime.date(2024, 3, 9))
    make_visit(visited_on=datetime.date(2024, 4, 1))
    by_village = queries.monthly_visits(village_ids=[village_a.pk], months=3)
    assert by_village == [
        (datetime.date(2024, 2, 1), 0),
        (datetime.date(2024, 3, 1), 2),
        (datetime.date(2024, 4, 1), 1),
    ]
    assert queries.monthly_visits(officer_id=alice.pk, viewer=alice, months=3) == by_village
    # Per officer, only what the viewer may see: no viewer, no visits.
    assert all(n == 0 for _, n in queries.monthly_visits(officer_id=alice.pk, months=3))


# --------------------------------------------------------------------------- early detection


def _detection(alice, village, **extra):  # type: ignore[no-untyped-def]
    fields = {
        "actor": alice,
        "village": village,
        "observed_at": WHEN,
        "information": "Rencana konvoi perguruan silat malam 1 Suro",
        "source_kind": "leader",
        "urgency": "high",
        "frequency": "several",
        "topic": "security",
        "category": Category.objects.get(code="perkelahian"),
    }
    fields.update(extra)
    return services.record_detection(**fields)


def test_an_early_detection_can_become_an_incident_once(alice, village_a):
    detection = _detection(alice, village_a, latitude=-8.05, longitude=111.71)
    assert metric("fieldwork.early_detections") == 1
    incident = services.escalate_detection_to_incident(detection, actor=alice)
    assert (incident.source, incident.source_ref) == ("field", f"ed-{detection.pk}")
    assert (incident.latitude, incident.longitude) == (-8.05, 111.71)
    detection.refresh_from_db()
    assert detection.status == DetectionStatus.INCIDENT and detection.incident == incident
    with pytest.raises(DomainError) as info:
        services.escalate_detection_to_incident(detection, actor=alice)
    assert info.value.code == "illegal_transition"
    assert Incident.objects.count() == 1


def test_an_early_detection_can_become_a_problem_case(alice, village_a):
    detection = _detection(alice, village_a)
    case = services.escalate_detection_to_case(detection, actor=alice, title="Konvoi Suro")
    assert case.problem == detection.information
    assert list(case.categories.values_list("code", flat=True)) == ["perkelahian"]
    detection.refresh_from_db()
    assert detection.status == DetectionStatus.CASE and detection.problem_case == case
    services.close_detection(detection, actor=alice)
    with pytest.raises(DomainError):
        services.close_detection(EarlyDetection.objects.get(), actor=alice)


def test_short_information_is_refused(alice, village_a):
    with pytest.raises(DomainError) as info:
        _detection(alice, village_a, information="rame")
    assert info.value.code == "information_too_short"


# ------------------------------------------------------------------------------ problem cases


def _case(alice, village, **extra):  # type: ignore[no-untyped-def]
    fields = {
        "actor": alice,
        "village": village,
        "title": "Sengketa batas tanah",
        "kind": "dispute",
        "opened_on": datetime.date(2024, 1, 10),
        "problem": "Dua keluarga bertengkar soal batas tanah, berulang sejak tahun lalu",
        "party_one": "Keluarga Suparno",
        "party_two": "Keluarga Wahyudi",
        "categories": [Category.objects.get(code="penganiayaan")],
    }
    fields.update(extra)
    return services.open_case(**fields)


def test_a_dispute_case_records_both_parties(alice, village_a):
    with pytest.raises(DomainError) as info:
        _case(alice, village_a, party_two="")
    assert info.value.code == "parties_required"
    assert not ProblemCase.objects.exists()


def test_a_case_walks_the_sara_stages_and_refuses_shortcuts(alice, village_a):
    case = _case(alice, village_a)
    assert metric("fieldwork.problem_cases") == 1
    with pytest.raises(DomainError) as info:
        services.move_case(case, CaseStage.ASSESSMENT, actor=alice)
    assert info.value.code == "illegal_transition"
    case = services.move_case(case, CaseStage.ANALYSIS, actor=alice)
    with pytest.raises(DomainError) as info:
        services.move_case(case, CaseStage.RESPONSE, actor=alice)
    assert info.value.code == "stage_incomplete"
    with pytest.raises(DomainError) as info:
        services.update_case(case, actor=alice, actions="too early")
    assert info.value.code == "field_not_in_stage"
    services.update_case(case, actor=alice, causes="Patok batas hilang setelah banjir")
    case = services.move_case(case, CaseStage.RESPONSE, actor=alice)
    services.update_case(
        case,
        actor=alice,
        actions="Mediasi di balai desa bersama FKPM",
        responsible_partners="FKPM Tamanan",
        response_started_on=datetime.date(2024, 2, 1),
        mediated_on=datetime.date(2024, 2, 3),
        agreement="Batas diukur ulang oleh perangkat desa",
    )
    case = services.move_case(case, CaseStage.ASSESSMENT, actor=alice)
    services.update_case(case, actor=alice, plan_carried_out=True)
    with pytest.raises(DomainError, match="hasil penyelesaian sengketa"):
        services.move_case(case, CaseStage.CLOSED, actor=alice)
    services.update_case(case, actor=alice, outcome="agreement")
    case = services.move_case(case, CaseStage.CLOSED, actor=alice)
    assert case.closed_on is not None
    assert AuditLog.objects.filter(action="fieldwork.case_moved").count() == 4


@time_machine.travel(datetime.datetime(2024, 6, 1, 9, tzinfo=datetime.UTC), tick=False)
def test_the_assessment_counts_incidents_before_and_after_the_response(alice, village_a, village_b):
    assault = Category.objects.get(code="penganiayaan")
    theft = Category.objects.get(code="pencurian")

    def incident(ref, village, category, day):  # type: ignore[no-untyped-def]
        record_incident(
            category=category,
            village=village,
            occurred_at=datetime.datetime(2024, *day, 12, tzinfo=datetime.UTC),
            source="desk",
            source_ref=ref,
        )

    incident("o1", village_a, assault, (1, 5))  # before the 62-day window: not counted
    incident("b2", village_a, assault, (2, 20))
    incident("b3", village_a, assault, (3, 1))
    incident("x1", village_a, theft, (3, 2))  # another category: not counted
    incident("x2", village_b, assault, (3, 3))  # another village: not counted
    incident("a1", village_a, assault, (4, 15))
    case = _case(alice, village_a)
    services.move_case(case, CaseStage.ANALYSIS, actor=alice)
    services.update_case(case, actor=alice, causes="x")
    services.move_case(case, CaseStage.RESPONSE, actor=alice)
    services.update_case(case, actor=alice, response_started_on=datetime.date(2024, 3, 31))
    case.refresh_from_db()
    result = queries.case_before_after(case)
    # 62 days have passed: both windows are 62 days long.
    assert (result.window_days, result.before, result.after) == (62, 2, 1)
    assert result.change == pytest.approx(-0.5)


# ------------------------------------------------------------------------------ operations


def test_an_operation_turns_its_findings_into_incidents(make_operation, village_a):
    operation = make_operation()
    assert operation.findings.count() == 2
    assert Incident.objects.filter(source="operation").count() == 2
    assert {r.category.code: r.count for r in MonthlyIncidentCount.objects.all()} == {
        "knalpot_brong": 1,
        "miras": 1,
    }
    assert metric("operations.count", "TBKB") == 1
    assert metric("operations.findings", "knalpot_brong") == 12
    assert metric("operations.findings", "miras") == 4  # litres, rounded half to even


def test_a_raid_confirming_a_desk_report_counts_the_disturbance_once(make_operation, village_a):
    brong = Category.objects.get(code="knalpot_brong")
    report = record_incident(
        category=brong,
        village=village_a,
        occurred_at=WHEN - datetime.timedelta(days=2),
        source="desk",
        source_ref="LAP-1",
    )
    operation = make_operation()
    finding = operation.findings.get(target="knalpot_brong")
    assert finding.incident == report
    assert IncidentLink.objects.get().source_ref == f"op-{operation.pk}-knalpot_brong"
    assert Incident.objects.filter(category=brong).count() == 1
    assert MonthlyIncidentCount.objects.get(category=brong).count == 1
    # The next raid finds other exhausts: the report is already confirmed, a new incident.
    make_operation(started_at=WHEN + datetime.timedelta(hours=20))
    assert Incident.objects.filter(category=brong).count() == 2


def test_a_desk_report_outside_the_window_is_another_incident(make_operation, village_a):
    record_incident(
        category=Category.objects.get(code="knalpot_brong"),
        village=village_a,
        occurred_at=WHEN - datetime.timedelta(days=4),
        source="desk",
        source_ref="LAP-2",
    )
    make_operation()
    assert Incident.objects.filter(category__code="knalpot_brong").count() == 2
    assert not IncidentLink.objects.exists()


def test_a_resent_operation_is_recorded_once(make_operation):
    key = uuid.uuid4()
    first = make_operation(client_key=key)
    assert make_operation(client_key=key) == first
    assert Operation.objects.count() == 1 and Finding.objects.count() == 2
    assert metric("operations.count", "TBKB") == 1


def test_bad_operations_change_nothing(make_operation, alice, village_c):
    cases = [
        ({"findings": [{"target": "ufo", "quantity": 1, "follow_up": "ticket"}]}, "bad_target"),
        ({"findings": [{"target": "miras", "quantity": 2}]}, "follow_up_required"),
        ({"findings": [{"target": "miras", "quantity": -1}]}, "bad_quantity"),
        ({"team_size": 0}, "team_size"),
        ({"village": village_c}, "village_out_of_scope"),
        ({"actor": alice}, "forbidden"),
        (
            {"started_at": WHEN, "ended_at": WHEN - datetime.timedelta(hours=1)},
            "ended_before_start",
        ),
    ]
    for extra, code in cases:
        with pytest.raises(DomainError) as info:
            make_operation(**extra)
        assert info.value.code == code
    assert not Operation.objects.exists() and not Incident.objects.exists()
    assert not MonthlyMetric.objects.exists()


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_officer_activity_counts_recent_visits_in_scope(make_visit, alice, bob, charlie):
    make_visit(visited_on=datetime.date(2024, 4, 10))
    make_visit(visited_on=datetime.date(2024, 4, 12), household_head="Bu Sri")
    make_visit(visited_on=datetime.date(2024, 4, 15))
    make_visit(visited_on=datetime.date(2024, 3, 1))  # older than 30 days
    [row] = queries.officer_activity(bob)
    assert (row.officer_id, row.visits, row.households) == (alice.pk, 3, 2)
    assert row.last_visit == datetime.date(2024, 4, 15)
    assert queries.officer_activity(charlie) == []
