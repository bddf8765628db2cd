"""`jaga analytics rebuild` gives every roll-up exactly the rows the running counts hold.

Records of every app are written through their services (the running counts move with them),
the roll-up tables are snapshot, spoiled and rebuilt, and must come back row for row. Rows whose
value went back to 0 (counted up and down again) carry nothing and are left out of the comparison:
a rebuild does not write them.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.rebuild import rebuild_all, rebuild_areas
from jaga.fieldwork import services as fieldwork
from jaga.incidents.imports import import_incidents
from jaga.incidents.models import Category
from jaga.incidents.services import record_incident
from jaga.programs import services as programs
from jaga.servicedesk import services as desk
from jaga.surveys import services as surveys
from tests.fieldwork.conftest import make_operation, make_visit, tbkb  # noqa: F401
from tests.partners.conftest import meeting, person_a, person_b, programme  # noqa: F401
from tests.servicedesk.conftest import file_report, service, units  # noqa: F401
from tests.surveys.conftest import SCORES, TRUST

pytestmark = pytest.mark.django_db

# 18:30 UTC on the last day of March is already April in Jakarta: months are local.
MONTH_END = datetime.datetime(2024, 3, 31, 18, 30, tzinfo=datetime.UTC)
MID_MARCH = datetime.datetime(2024, 3, 12, 2, 0, tzinfo=datetime.UTC)


def snapshot() -> dict[str, set[tuple[Any, ...]]]:
    return {
        "villages": set(
            MonthlyIncidentCount.objects.exclude(count=0).values_list(
                "village_id", "month", "category_id", "count",
                "province_code", "regency_code", "district_code",
            )
        ),
        "areas": set(
            AreaMonthlyCount.objects.exclude(count=0).values_list(
                "level", "area_code", "parent_code", "month", "category_id", "count"
            )
        ),
        "metrics": set(
            MonthlyMetric.objects.exclude(value=0).values_list(
                "village_id", "month", "metric", "key", "value",
                "province_code", "regency_code", "district_code",
            )
        ),
    }  # fmt: skip


def spoil() -> None:
    """What drift looks like: wrong values, rows lost, rows that should not be there."""
    MonthlyMetric.objects.update(value=99)
    MonthlyIncidentCount.objects.filter(month=datetime.date(2024, 4, 1)).delete()
    AreaMonthlyCount.objects.filter(level="district").delete()


def record_programmes(
    meeting: Any,  # noqa: F811
    programme: Any,  # noqa: F811
    person_a: Any,  # noqa: F811
    person_b: Any,  # noqa: F811
    satbinmas: Any,
    village_a: Any,
    village_b: Any,
) -> None:
    cup = programs.record_activity(
        actor=satbinmas, programme=programme, kind="sport", title="Kapolres Cup",
        starts_at=MONTH_END, village=village_a, area=village_a.parent, villages=[village_b],
        head_count=40,
    )  # fmt: skip
    programs.record_outcome(cup, actor=satbinmas, outcome="Ramai", head_count=55)
    programs.record_outcome(meeting, actor=satbinmas, outcome="", head_count=0)
    a = programs.invite(meeting, actor=satbinmas, person=person_a)
    b = programs.invite(meeting, actor=satbinmas, person=person_b)
    programs.invite(cup, actor=satbinmas, person=person_b)
    programs.record_response(a, actor=satbinmas, response="accepted")
    late = meeting.starts_at + datetime.timedelta(minutes=40)
    programs.check_in(a.code, actor=satbinmas, activity=meeting, at=late)
    programs.record_attendance(b, actor=satbinmas, status="absent")
    programs.record_attendance(b, actor=satbinmas, status="represented", representative_name="Ani")
    programs.close_attendance(cup, actor=satbinmas)


def record_desk(file_report: Any, alice: Any, bob: Any, village_a: Any, village_b: Any) -> None:  # noqa: F811
    with time_machine.travel(MONTH_END, tick=False):
        quick = file_report(village_a)
        slow = file_report(village_b)
        reopened = file_report(village_a)
        file_report(village_b)  # still open
        for report in (quick, slow, reopened):
            officer = alice if report.village_id == village_a.pk else bob
            desk.transition_request(report, "assigned", actor=bob, assignee=officer)
        desk.transition_request(quick, "resolved", actor=bob, note="Sudah ditegur.")
        desk.transition_request(reopened, "resolved", actor=bob, note="Sudah ditegur.")
        desk.transition_request(quick, "closed", actor=bob)
    with time_machine.travel(MONTH_END + datetime.timedelta(days=2), tick=False):
        desk.transition_request(reopened, "in_progress", actor=bob, note="Masih bising.")
    with time_machine.travel(MONTH_END + datetime.timedelta(days=40), tick=False):
        desk.transition_request(slow, "resolved", actor=bob, note="Knalpot disita.")  # late
        desk.transition_request(reopened, "resolved", actor=bob, note="Sudah tenang.")


def record_fieldwork(
    make_visit: Any,  # noqa: F811
    make_operation: Any,  # noqa: F811
    alice: Any,
    village_a: Any,
) -> None:
    make_visit()
    make_visit(visited_on=datetime.date(2024, 4, 1), household_head="Bu Sri")
    with time_machine.travel(MONTH_END + datetime.timedelta(hours=1), tick=False):
        fieldwork.record_detection(
            actor=alice, village=village_a, observed_at=MONTH_END,
            information="Rencana balap liar malam Minggu di jalan desa",
            source_kind="resident", urgency="high", frequency="once", topic="security",
        )  # fmt: skip
    fieldwork.open_case(
        actor=alice, village=village_a, title="Batas tanah", kind="non_dispute",
        opened_on=datetime.date(2024, 3, 20), problem="Warga berselisih soal saluran air",
    )  # fmt: skip
    make_operation()  # knalpot brong 12, miras 4.5 (counted as 4, as the service rounds)
    make_operation(started_at=MONTH_END)


def record_surveys(polsek: Any, village_a: Any, village_b: Any) -> None:
    surveys.submit_ikm_response(
        village=village_a, unit=polsek, scores=SCORES, answered_on=datetime.date(2024, 3, 5)
    )
    surveys.submit_ikm_response(
        village=village_a, unit=polsek, scores=SCORES | {"u2": 1, "u9": 4},
        answered_on=datetime.date(2024, 3, 31),
    )  # fmt: skip
    surveys.submit_trust_response(
        village=village_b, answers=TRUST, answered_on=datetime.date(2024, 4, 1)
    )
    surveys.submit_trust_response(
        village=village_b, answers=TRUST | {"trust_police": 2, "knows_bhabin": False},
        answered_on=datetime.date(2024, 4, 2),
    )  # fmt: skip


def test_every_roll_up_rebuilds_to_the_running_counts(
    meeting: Any,  # noqa: F811
    programme: Any,  # noqa: F811
    person_a: Any,  # noqa: F811
    person_b: Any,  # noqa: F811
    file_report: Any,  # noqa: F811
    make_visit: Any,  # noqa: F811
    make_operation: Any,  # noqa: F811
    units: dict[str, Any],  # noqa: F811
    satbinmas: Any,
    alice: Any,
    bob: Any,
    village_a: Any,
    village_b: Any,
    village_c: Any,
) -> None:
    with time_machine.travel(MONTH_END + datetime.timedelta(days=60), tick=False):
        record_programmes(meeting, programme, person_a, person_b, satbinmas, village_a, village_b)
        record_fieldwork(make_visit, make_operation, alice, village_a)
        record_surveys(units["ab"], village_a, village_b)
        record_incident(
            category=Category.objects.get(code="pencurian"), village=village_c,
            occurred_at=MONTH_END, source="desk", source_ref="R-1",
        )  # fmt: skip
    record_desk(file_report, alice, bob, village_a, village_b)
    before = snapshot()
    metrics = {row[2] for row in before["metrics"]}
    assert metrics >= {
        "activities.held", "activities.count", "activities.head_count", "attendance.invited", "attendance.responded",
        "attendance.attended", "attendance.late", "attendance.represented", "attendance.absent",
        "requests.received", "requests.resolved", "requests.resolved_in_time", "visits.count",
        "fieldwork.early_detections", "fieldwork.problem_cases", "operations.count",
        "operations.findings", "surveys.ikm.n", "surveys.ikm.sum", "surveys.trust.n",
        "surveys.trust.sum", "surveys.trust.sumsq",
    }  # fmt: skip
    april = datetime.date(2024, 4, 1)
    assert {row[1] for row in before["metrics"] if row[2] == "fieldwork.early_detections"} == {
        april
    }
    findings = {row[3]: row[4] for row in before["metrics"] if row[2] == "operations.findings"}
    assert findings == {"knalpot_brong": 12, "miras": 4}  # two raids, one in each month
    spoil()
    assert snapshot() != before
    call_command("analytics", "rebuild", stdout=io.StringIO())
    assert snapshot() == before


HEADER = "occurred_at,village_code,category,source_ref,latitude,longitude,description\n"
HISTORY = (
    HEADER
    + "2023-01-05,35.03.11.1002,miras,SPKT-1,,,\n"
    + "2023-01-20T22:15:00+07:00,35.03.11.2001,miras,SPKT-2,,,\n"
    + "2023-01-31T23:30:00+07:00,35.03.02.2008,miras,SPKT-3,,,\n"
    + "2023-02-01 23:00,35.03.02.2008,balap_liar,SPKT-4,,,\n"
)


def test_the_bulk_import_keeps_the_district_and_regency_roll_up(village_a: Any) -> None:
    miras = Category.objects.get(code="miras")
    record_incident(
        category=miras, village=village_a, source="desk", source_ref="D-1",
        occurred_at=datetime.datetime(2023, 1, 9, 12, 0, tzinfo=datetime.UTC),
    )  # fmt: skip
    import_incidents(io.BytesIO(HISTORY.encode()), name="history.csv")
    areas = snapshot()["areas"]
    district = {
        (row[1], row[3]): row[5] for row in areas if row[0] == "district" and row[4] == miras.pk
    }
    assert district == {
        ("35.03.11", datetime.date(2023, 1, 1)): 3,
        ("35.03.02", datetime.date(2023, 1, 1)): 1,
    }
    regency = AreaMonthlyCount.objects.filter(level="regency", area_code="35.03")
    assert regency.aggregate(n=Sum("count"))["n"] == 5
    rebuild_areas()
    assert snapshot()["areas"] == areas


def test_the_demo_leaves_every_roll_up_as_a_rebuild_would() -> None:
    call_command("demo", "--seed", "11", stdout=io.StringIO())
    before = snapshot()
    assert {row[2].split(".")[0] for row in before["metrics"]} >= {
        "activities", "attendance", "requests", "visits", "fieldwork", "operations", "surveys",
    }  # fmt: skip
    assert len(before["areas"]) > 100
    rebuild_all()
    assert snapshot() == before
