"""Any sequence of service calls leaves the roll-ups as `jaga analytics rebuild` would make them.

Hypothesis draws a sequence of steps (incidents, desk reports and their moves, visits, early
detections, raids, activities recorded and moved with invitations, check-ins and attendance,
surveys), each at a drawn time around a month's end (Jakarta's month, not UTC's). The services bump the running
counts as they go; a rebuild from the records must then change nothing. Each example runs in a
savepoint that is rolled back, so examples start from the same fixtures.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import uuid
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jaga.analytics.rebuild import rebuild_all
from jaga.core.errors import DomainError
from jaga.fieldwork import services as fieldwork
from jaga.incidents.models import Category
from jaga.incidents.services import record_incident
from jaga.programs import services as programs
from jaga.servicedesk import services as desk
from jaga.servicedesk.models import TRANSITIONS, ServiceRequest
from jaga.surveys import services as surveys
from tests.analytics.test_rebuild_all import snapshot
from tests.fieldwork.conftest import make_operation, make_visit, tbkb  # noqa: F401
from tests.partners.conftest import meeting, person_a, person_b, programme  # noqa: F401
from tests.servicedesk.conftest import file_report, service, units  # noqa: F401
from tests.surveys.conftest import SCORES, TRUST

pytestmark = pytest.mark.django_db

# Steps fall within two days either side of 31 March 17:00 UTC (midnight in Jakarta).
EDGE = datetime.datetime(2024, 3, 31, 17, 0, tzinfo=datetime.UTC)
EXAMPLES = int(os.environ.get("JAGA_FUZZ_EXAMPLES", "12"))

STEPS = [
    "incident",
    "report",
    "move",
    "visit",
    "detection",
    "raid",
    "activity",
    "edit",
    "invite",
    "check_in",
    "attendance",
    "ikm",
    "trust",
]


class _Rollback(Exception):
    pass


class World:
    """The fixtures and what the steps made so far (reports and invitations to act on)."""

    def __init__(self, **fixtures: Any) -> None:
        self.__dict__.update(fixtures)
        self.villages = [fixtures["village_a"], fixtures["village_b"], fixtures["village_c"]]
        self.categories = list(Category.objects.order_by("code")[:3])
        self.activities: list[Any] = []
        self.invitations: list[Any] = []

    def run(self, step: str, n: int, at: datetime.datetime) -> None:
        village = self.villages[n % 3]
        getattr(self, step)(n, at, village)

    def incident(self, n: int, at: datetime.datetime, village: Any) -> None:
        record_incident(
            category=self.categories[n % len(self.categories)],
            village=village,
            occurred_at=at,
            source="desk",
            source_ref=f"R-{n}-{uuid.uuid4().hex[:6]}",
        )

    def report(self, n: int, at: datetime.datetime, village: Any) -> None:
        self.file_report(village)

    def move(self, n: int, at: datetime.datetime, village: Any) -> None:
        reports = list(ServiceRequest.objects.order_by("pk"))
        if not reports:
            return
        report = reports[n % len(reports)]
        allowed = sorted(TRANSITIONS.get(report.status, ()))
        if not allowed:
            return
        status = allowed[n % len(allowed)]
        officer = self.alice if report.village_id == self.village_a.pk else self.bob
        extra = {"assignee": officer} if status == "assigned" else {}
        note = "Sudah ditangani." if status in ("resolved", "rejected") else ""
        # A refused move changes nothing; the rebuild must still agree.
        with contextlib.suppress(DomainError):
            desk.transition_request(report, status, actor=self.bob, note=note, **extra)

    def visit(self, n: int, at: datetime.datetime, village: Any) -> None:
        self.make_visit(visited_on=at.date(), household_head=f"Warga {n}")

    def detection(self, n: int, at: datetime.datetime, village: Any) -> None:
        fieldwork.record_detection(
            actor=self.alice, village=self.village_a, observed_at=at,
            information=f"Rencana balap liar {n}", source_kind="resident",
            urgency="high", frequency="once", topic="security",
        )  # fmt: skip

    def raid(self, n: int, at: datetime.datetime, village: Any) -> None:
        self.make_operation(started_at=at)

    def activity(self, n: int, at: datetime.datetime, village: Any) -> None:
        self.activities.append(
            programs.record_activity(
                actor=self.satbinmas,
                programme=self.programme,
                kind="sport",
                title=f"Kegiatan {n}",
                starts_at=at,
                village=self.village_a,
                area=self.village_a.parent,
                villages=[self.village_b],
                head_count=n % 50,
            )  # fmt: skip
        )

    def edit(self, n: int, at: datetime.datetime, village: Any) -> None:
        """Move an activity (its village, month or programme): held, covered, head count and
        attendance move with it."""
        from jaga.programs.models import Programme

        if not self.activities:
            self.activity(n, at - datetime.timedelta(days=n % 40), village)
        activity = self.activities[n % len(self.activities)]
        activity.refresh_from_db()
        other = Programme.objects.filter(code="KTS").first() or programs.create_programme(
            actor=self.satbinmas, code="KTS", name="Kampung Tangguh"
        )
        # Always to the other village of the district (and to the drawn time, maybe another month).
        moved = self.village_b if activity.village_id == self.village_a.pk else self.village_a
        changes: dict[str, Any] = {"starts_at": at, "village": moved}
        if n % 3 == 0:
            changes["programme"] = (self.programme, other)[n % 2]
        programs.update_activity(activity, actor=self.satbinmas, **changes)

    def invite(self, n: int, at: datetime.datetime, village: Any) -> None:
        activity = (self.activities or [self.meeting])[n % max(1, len(self.activities))]
        person = (self.person_a, self.person_b)[n % 2]
        with contextlib.suppress(DomainError):  # invited already
            self.invitations.append(programs.invite(activity, actor=self.satbinmas, person=person))

    def check_in(self, n: int, at: datetime.datetime, village: Any) -> None:
        if not self.invitations:
            return
        invitation = self.invitations[n % len(self.invitations)]
        activity = invitation.activity
        late = activity.starts_at + datetime.timedelta(minutes=n % 90)
        with contextlib.suppress(DomainError):
            programs.check_in(invitation.code, actor=self.satbinmas, activity=activity, at=late)

    def attendance(self, n: int, at: datetime.datetime, village: Any) -> None:
        if not self.invitations:
            return
        invitation = self.invitations[n % len(self.invitations)]
        status = ("absent", "excused", "represented")[n % 3]
        extra = {"representative_name": "Ani"} if status == "represented" else {}
        with contextlib.suppress(DomainError):
            programs.record_attendance(invitation, actor=self.satbinmas, status=status, **extra)

    def ikm(self, n: int, at: datetime.datetime, village: Any) -> None:
        surveys.submit_ikm_response(
            village=self.village_a, unit=self.units["ab"], scores=SCORES, answered_on=at.date()
        )

    def trust(self, n: int, at: datetime.datetime, village: Any) -> None:
        surveys.submit_trust_response(
            village=self.village_b,
            answers=TRUST | {"trust_police": 1 + n % 5},
            answered_on=at.date(),
        )


steps = st.lists(
    st.tuples(
        st.sampled_from(STEPS),
        st.integers(min_value=0, max_value=10_000),
        st.integers(min_value=-48 * 60, max_value=48 * 60),  # minutes from EDGE
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
# An activity moved, then an invitation through the caller's copy read before the move: counted
# in the village and month the activity has now (`invite` reads it again, locked).
@example(sequence=[("edit", 0, 0), ("invite", 0, 0)])
def test_a_rebuild_after_any_sequence_of_services_changes_no_roll_up(
    sequence: list[tuple[str, int, int]],
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
    world = World(
        meeting=meeting, programme=programme, person_a=person_a, person_b=person_b,
        file_report=file_report, make_visit=make_visit, make_operation=make_operation,
        units=units, satbinmas=satbinmas, alice=alice, bob=bob,
        village_a=village_a, village_b=village_b, village_c=village_c,
    )  # fmt: skip
    try:
        with transaction.atomic():
            for step, n, minutes in sequence:
                at = EDGE + datetime.timedelta(minutes=minutes)
                # The clock a little after the event: services refuse times in the future.
                with time_machine.travel(at + datetime.timedelta(hours=1), tick=False):
                    world.run(step, n, at)
            before = snapshot()
            rebuild_all()
            assert snapshot() == before, f"the rebuild changed the roll-ups after {sequence}"
            raise _Rollback
    except _Rollback:
        pass
