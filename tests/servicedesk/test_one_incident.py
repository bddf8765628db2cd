"""One incident whichever record comes first: desk after raid, raid after desk (issue 14 item 2).

The rule itself (`jaga.incidents.services.same_incident`) is property-tested in
tests/incidents/test_same_incident_rule.py, with the import (its SQL copy of the rule) in both orders.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from jaga.analytics.models import MonthlyIncidentCount
from jaga.fieldwork.services import record_operation
from jaga.incidents.models import Incident, IncidentLink
from jaga.programs.models import Programme
from jaga.servicedesk import services
from jaga.servicedesk.models import Status

pytestmark = pytest.mark.django_db

RAID = datetime.datetime(2024, 3, 5, 21, 0, tzinfo=datetime.UTC)


def _raid(bob: Any, village: Any, when: datetime.datetime = RAID) -> Any:
    programme, _new = Programme.objects.get_or_create(
        code="TBKB", defaults={"name": "Bebas Knalpot Brong"}
    )
    return record_operation(
        actor=bob,
        programme=programme,
        village=village,
        started_at=when,
        place="Alun-alun",
        team_size=8,
        vehicles_checked=120,
        people_checked=140,
        findings=[{"target": "knalpot_brong", "quantity": 12, "follow_up": "ticket"}],
        client_key=uuid.uuid4(),
    )


def _verified(file_report: Any, village: Any, bob: Any, when: datetime.datetime) -> Any:
    report = file_report(village, occurred_at=when)
    services.transition_request(report, Status.TRIAGED, actor=bob)
    services.verify_request(report, actor=bob)
    report.refresh_from_db()
    return report


def _brong_count() -> int:
    return MonthlyIncidentCount.objects.get(category__code="knalpot_brong").count


def test_a_desk_report_verified_after_the_raid_joins_its_incident(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    operation = _raid(bob, village_a)
    raid_incident = operation.findings.get().incident
    report = _verified(file_report, village_a, bob, RAID + datetime.timedelta(days=1))
    assert report.incident == raid_incident
    assert Incident.objects.filter(category__code="knalpot_brong").count() == 1
    link = IncidentLink.objects.get()
    assert (link.source, link.source_ref) == ("desk", report.ticket)
    assert _brong_count() == 1


def test_a_raid_after_the_desk_report_joins_its_incident(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    report = _verified(file_report, village_a, bob, RAID - datetime.timedelta(days=2))
    operation = _raid(bob, village_a)
    assert operation.findings.get().incident == report.incident
    assert Incident.objects.filter(category__code="knalpot_brong").count() == 1
    assert _brong_count() == 1


def test_records_outside_the_window_or_elsewhere_are_other_incidents(
    file_report: Any, village_a: Any, village_b: Any, bob: Any
) -> None:
    _raid(bob, village_a)
    late = _verified(file_report, village_a, bob, RAID + datetime.timedelta(days=3, seconds=1))
    other = _verified(file_report, village_b, bob, RAID)
    assert Incident.objects.filter(category__code="knalpot_brong").count() == 3
    assert late.incident.source == other.incident.source == "desk"
    assert not IncidentLink.objects.exists()


def test_a_second_desk_report_does_not_join_an_incident_a_report_already_joined(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    _raid(bob, village_a)
    first = _verified(file_report, village_a, bob, RAID)
    second = _verified(file_report, village_a, bob, RAID)
    assert first.incident != second.incident
    assert Incident.objects.filter(category__code="knalpot_brong").count() == 2
