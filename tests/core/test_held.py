"""What held in the audit stays held: 50 parallel writers, idempotency under parallel retries.

Real threads, each with its own PostgreSQL connection, go through the services at the same moment
(a barrier lines them up) against the same reports, keys and roll-up rows. Afterwards nothing is
lost: every success is in the record's version and in the audit log, every refusal is a clean
`conflict`, the roll-ups hold exactly what was counted and `rebuild_all` changes nothing.

SQLite serialises writers on one database lock, so "parallel writers" means nothing there: these
tests run on PostgreSQL (CI's second run) and are skipped on SQLite.
"""

from __future__ import annotations

import datetime
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from jaga.analytics.models import MonthlyMetric
from jaga.analytics.rebuild import rebuild_all
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.servicedesk import services as desk
from jaga.servicedesk.models import Channel, Service, ServiceRequest, Status
from jaga.territory.models import PoliceUnit, PoliceUnitKind
from tests.analytics.test_rebuild_all import snapshot
from tests.partners.conftest import meeting, programme  # noqa: F401

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_restore_after_flush"),
]

WRITERS = 50
ROUNDS = 2 if os.environ.get("JAGA_HEAVY_SHORT") else 6


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises all writers)")


def in_parallel(work: Callable[[int], Any], n: int = WRITERS) -> list[Any]:
    """Run work(0..n-1) in n threads released together; each closes its connection."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def service(db: Any) -> Service:
    return Service.objects.get(code="knalpot_brong")


@pytest.fixture
def unit(db: Any, district_ab: Any) -> PoliceUnit:
    polsek = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="polsek-trenggalek"
    )
    polsek.territories.add(district_ab)
    return polsek


def file(service: Service, village: Any, **extra: Any) -> ServiceRequest:
    request, _created = desk.submit_request(
        service=service,
        village=village,
        description="Knalpot brong tiap malam.",
        channel=Channel.WEB,
        anonymous=True,
        **extra,
    )
    return request


def metric(name: str, village: Any, key: str) -> int:
    return sum(
        MonthlyMetric.objects.filter(village=village, metric=name, key=key).values_list(
            "value", flat=True
        )
    )


def assert_rebuild_changes_nothing() -> None:
    before = snapshot()
    rebuild_all()
    assert snapshot() == before


def fifty_officers_on_the_same_reports_lose_no_change(
    service: Service, unit: PoliceUnit, village_a: Any, alice: Any, bob: Any
) -> None:
    """Optimistic locking: every handover is either in the record or refused as a conflict."""
    reports = [file(service, village_a) for _ in range(5)]
    for report in reports:
        desk.transition_request(report, Status.ASSIGNED, actor=bob, assignee=alice)
    start = {r.pk: ServiceRequest.objects.get(pk=r.pk).version for r in reports}
    audit_before = AuditLog.objects.filter(action="servicedesk.reassigned").count()

    def work(i: int) -> list[str]:
        outcomes = []
        report = reports[i % len(reports)]
        for _round in range(ROUNDS):
            seen = ServiceRequest.objects.get(pk=report.pk).version
            try:
                desk.reassign_request(
                    report, alice if i % 2 else bob, actor=bob, expected_version=seen
                )
                outcomes.append(f"ok:{report.pk}")
            except DomainError as exc:
                outcomes.append(exc.code)
        return outcomes

    outcomes = Counter(o for result in in_parallel(work) for o in result)
    assert set(outcomes) <= {"conflict"} | {f"ok:{r.pk}" for r in reports}, outcomes
    assert outcomes["conflict"] > 0  # they did collide
    for report in reports:
        done = outcomes[f"ok:{report.pk}"]
        assert done >= 1
        assert ServiceRequest.objects.get(pk=report.pk).version == start[report.pk] + done
    assert AuditLog.objects.filter(action="servicedesk.reassigned").count() - audit_before == sum(
        v for k, v in outcomes.items() if k.startswith("ok:")
    )


def fifty_officers_moving_one_report_at_once_move_it_once(
    service: Service, unit: PoliceUnit, village_a: Any, alice: Any, bob: Any
) -> None:
    report = file(service, village_a)
    desk.transition_request(report, Status.ASSIGNED, actor=bob, assignee=alice)
    version = ServiceRequest.objects.get(pk=report.pk).version

    def work(i: int) -> str:
        try:
            desk.transition_request(
                report, Status.IN_PROGRESS, actor=alice, note=f"n{i}", expected_version=version
            )
            return "ok"
        except DomainError as exc:
            return exc.code

    assert Counter(in_parallel(work)) == {"ok": 1, "conflict": WRITERS - 1}
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS
    assert report.version == version + 1
    moves = AuditLog.objects.filter(action="servicedesk.in_progress", object_id=str(report.pk))
    assert moves.count() == 1


def fifty_resolutions_at_once_bump_one_roll_up_row_fifty_times(
    service: Service, unit: PoliceUnit, village_a: Any, alice: Any, bob: Any
) -> None:
    received = metric("requests.received", village_a, service.code)
    reports = [file(service, village_a) for _ in range(WRITERS)]
    for report in reports:
        desk.transition_request(report, Status.ASSIGNED, actor=bob, assignee=alice)
        desk.transition_request(report, Status.IN_PROGRESS, actor=alice)
    before = metric("requests.resolved", village_a, service.code)

    def work(i: int) -> str:
        desk.transition_request(reports[i], Status.RESOLVED, actor=alice, note="Sudah ditegur.")
        return "ok"

    assert in_parallel(work) == ["ok"] * WRITERS
    assert metric("requests.resolved", village_a, service.code) == before + WRITERS
    assert metric("requests.received", village_a, service.code) == received + WRITERS
    assert_rebuild_changes_nothing()


def parallel_retries_of_one_submission_file_one_report(
    service: Service, unit: PoliceUnit, village_a: Any
) -> None:
    key = f"retry-{uuid.uuid4()}"
    requests = ServiceRequest.objects.count()
    audited = AuditLog.objects.filter(action="servicedesk.received").count()
    received = metric("requests.received", village_a, service.code)

    def work(i: int) -> tuple[str, bool]:
        request, created = desk.submit_request(
            service=service,
            village=village_a,
            description="Knalpot brong tiap malam.",
            channel=Channel.WEB,
            anonymous=True,
            idempotency_key=key,
        )
        return request.ticket, created

    results = in_parallel(work)
    tickets = {ticket for ticket, _created in results}
    assert len(tickets) == 1
    assert sum(created for _ticket, created in results) == 1
    assert ServiceRequest.objects.count() == requests + 1
    assert AuditLog.objects.filter(action="servicedesk.received").count() == audited + 1
    assert metric("requests.received", village_a, service.code) == received + 1
    assert_rebuild_changes_nothing()


def parallel_resends_of_one_visit_record_it_once(village_a: Any, alice: Any) -> None:
    from jaga.fieldwork import services as fieldwork
    from jaga.fieldwork.models import Visit

    key = uuid.uuid4()
    visited_on = datetime.date(2024, 3, 5)

    def work(i: int) -> int:
        visit = fieldwork.record_visit(
            actor=alice,
            village=village_a,
            visited_on=visited_on,
            household_head="Pak Slamet",
            topic="security",
            concerns="Balap liar di jalan desa.",
            client_key=key,
        )
        return visit.pk

    assert len(set(in_parallel(work))) == 1
    assert Visit.objects.count() == 1
    assert AuditLog.objects.filter(action="fieldwork.visit_recorded").count() == 1
    assert metric("visits.count", village_a, "") == 1

    # And fifty different visits at once, all counted in the one roll-up row of March.
    def many(i: int) -> int:
        return fieldwork.record_visit(
            actor=alice,
            village=village_a,
            visited_on=visited_on,
            household_head=f"Rumah {i}",
            topic="security",
            concerns="Balap liar.",
            client_key=uuid.uuid4(),
        ).pk

    assert len(set(in_parallel(many))) == WRITERS
    assert metric("visits.count", village_a, "") == WRITERS + 1
    assert_rebuild_changes_nothing()


def fifty_scans_of_invitations_at_once_count_each_arrival_once(
    activity: Any, satbinmas: Any, village_a: Any
) -> None:
    """The same QR code scanned by fifty phones, then fifty guests arriving at once."""
    from jaga.partners import services as partners
    from jaga.programs import services as programs

    people = [
        partners.create_person(
            actor=satbinmas, full_name=f"Tamu {i}", village=village_a, gender="f", education="sd"
        )
        for i in range(WRITERS + 1)
    ]
    invitations = [programs.invite(activity, actor=satbinmas, person=p) for p in people]
    at = activity.starts_at + datetime.timedelta(minutes=5)
    key = activity.programme.code

    def same_code(i: int) -> bool:
        _invitation, already = programs.check_in(
            invitations[0].code, actor=satbinmas, activity=activity, at=at
        )
        return already

    assert sorted(in_parallel(same_code)) == [False] + [True] * (WRITERS - 1)
    assert metric("attendance.attended", village_a, key) == 1
    assert AuditLog.objects.filter(action="programs.checked_in").count() == 1

    def each_their_own(i: int) -> bool:
        return programs.check_in(
            invitations[i + 1].code, actor=satbinmas, activity=activity, at=at
        )[1]

    assert in_parallel(each_their_own) == [False] * WRITERS
    assert metric("attendance.attended", village_a, key) == WRITERS + 1
    assert metric("attendance.on_time", village_a, key) == WRITERS + 1
    assert AuditLog.objects.filter(action="programs.checked_in").count() == WRITERS + 1
    assert_rebuild_changes_nothing()


def test_fifty_parallel_writers_lose_nothing_and_retries_count_once(
    service: Service,
    unit: PoliceUnit,
    village_a: Any,
    alice: Any,
    bob: Any,
    meeting: Any,  # noqa: F811 - the fixture imported above
    satbinmas: Any,
) -> None:
    """One test, one flush: a transactional test's flush and restore cost half a minute each."""
    fifty_officers_on_the_same_reports_lose_no_change(service, unit, village_a, alice, bob)
    fifty_officers_moving_one_report_at_once_move_it_once(service, unit, village_a, alice, bob)
    parallel_retries_of_one_submission_file_one_report(service, unit, village_a)
    fifty_resolutions_at_once_bump_one_roll_up_row_fifty_times(service, unit, village_a, alice, bob)
    parallel_resends_of_one_visit_record_it_once(village_a, alice)
    fifty_scans_of_invitations_at_once_count_each_arrival_once(meeting, satbinmas, village_a)
