"""The workflow table is the whole truth: every move through the dispatcher (`move_request`, which
the report's page and the API call) either is in TRANSITIONS and leaves exactly one change row, or
is not and changes nothing. The daily expiry closes a report as an officer's close does."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.core import events
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.servicedesk import services
from jaga.servicedesk.models import TRANSITIONS, RequestUpdate, ServiceRequest, Status
from jaga.servicedesk.signals import request_closed

NOTE = "Sudah ditangani di lokasi."
EXPIRED = "Closed: the reopening period is over."  # the expiry's note, in the active language


def _rows(report: ServiceRequest) -> tuple[list[AuditLog], list[RequestUpdate]]:
    audit = list(
        AuditLog.objects.filter(
            object_type="servicedesk.servicerequest", object_id=str(report.pk)
        ).order_by("id")
    )
    return audit, list(RequestUpdate.objects.filter(request=report).order_by("id"))


def _state(report: ServiceRequest) -> dict[str, Any]:
    report.refresh_from_db()
    return {f.attname: getattr(report, f.attname) for f in ServiceRequest._meta.concrete_fields}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=st.lists(st.sampled_from(list(Status.values)), min_size=1, max_size=6))
def test_every_move_through_the_dispatcher_follows_the_table(
    file_report: Any, village_a: Any, bob: Any, moves: list[str]
) -> None:
    original = file_report(village_a)
    report = file_report(village_a)
    for to_status in moves:
        old = report.status
        audit_before, updates_before = _rows(report)
        state_before = _state(report)
        # Naming the current status with an officer is the dispatcher's hand-over (the API's
        # way to reassign): the status stays, the officer changes.
        handing_over = to_status == old == Status.ASSIGNED
        allowed = handing_over or to_status in TRANSITIONS[old]
        try:
            services.move_request(
                report,
                to_status,
                actor=bob,
                note=NOTE,
                assignee=bob if to_status == Status.ASSIGNED else None,
                expected_version=report.version,
                duplicate_of=original,
            )
        except DomainError as exc:
            assert not allowed, f"{old} → {to_status} is in the table but was refused: {exc.code}"
            assert _rows(report) == (audit_before, updates_before)
            assert _state(report) == state_before
            continue
        assert allowed, f"{old} → {to_status} is not in the table but was made"
        report.refresh_from_db()
        assert report.status == to_status
        assert report.version == state_before["version"] + 1
        audit, updates = _rows(report)
        new_audit = audit[len(audit_before) :]
        new_updates = updates[len(updates_before) :]
        if handing_over:
            assert [a.action for a in new_audit] == ["servicedesk.reassigned"]
            assert [(u.status_from, u.status_to) for u in new_updates] == [("", "")]
            continue
        assert [a.action for a in new_audit] == [f"servicedesk.{to_status}"]
        assert [(u.status_from, u.status_to) for u in new_updates] == [(old, to_status)]
        assert new_audit[0].before["status"] == old
        assert new_audit[0].after["status"] == to_status


def test_an_unknown_status_changes_nothing(file_report: Any, village_a: Any, bob: Any) -> None:
    report = file_report(village_a)
    before = _state(report)
    with pytest.raises(DomainError) as err:
        services.move_request(report, "archived", actor=bob, note=NOTE)
    assert err.value.code == "unknown_status"
    assert _state(report) == before


def _resolved(file_report: Any, village_a: Any, bob: Any) -> ServiceRequest:
    report = file_report(village_a)
    services.move_request(report, Status.ASSIGNED, actor=bob, assignee=bob)
    return services.move_request(report, Status.RESOLVED, actor=bob, note=NOTE)


def _changed(row: AuditLog) -> set[str]:
    return {k for k in row.after if row.before.get(k) != row.after[k]}


def test_the_expiry_leaves_the_change_row_an_officers_close_leaves(
    file_report: Any, village_a: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        by_hand = _resolved(file_report, village_a, bob)
        expired = _resolved(file_report, village_a, bob)
    heard: list[events.Event] = []
    closed: list[str] = []

    def listener(event: events.Event) -> None:
        heard.append(event)

    def on_closed(sender: Any, ticket: str, **kwargs: Any) -> None:
        closed.append(ticket)

    events.subscribe(events.REPORT_STATUS_CHANGED)(listener)
    request_closed.connect(on_closed)
    try:
        later = start + datetime.timedelta(days=20)
        with time_machine.travel(later, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                services.move_request(
                    by_hand,
                    Status.CLOSED,
                    actor=bob,
                    note=gettext(EXPIRED),
                )
            with django_capture_on_commit_callbacks(execute=True):
                # The report closed by hand is no longer resolved: only the other one is due.
                assert services.close_expired_resolved() == 1
    finally:
        events.unsubscribe(events.REPORT_STATUS_CHANGED, listener)
        request_closed.disconnect(on_closed)

    rows = {}
    for report in (by_hand, expired):
        report.refresh_from_db()
        assert report.status == Status.CLOSED
        assert report.closed_at == later
        audit, updates = _rows(report)
        assert audit[-1].action == "servicedesk.closed"
        assert updates[-1].status_from == Status.RESOLVED
        assert updates[-1].status_to == Status.CLOSED
        rows[report.pk] = (audit[-1], updates[-1])
    hand_audit, hand_update = rows[by_hand.pk]
    auto_audit, auto_update = rows[expired.pk]
    assert _changed(hand_audit) == _changed(auto_audit) == {"status", "closed_at", "version"}
    assert (hand_audit.note, auto_audit.note) == ("", "")
    assert (hand_update.public, hand_update.text) == (auto_update.public, auto_update.text)
    # Who did it is the only difference: an officer, or no one (the system).
    assert (hand_update.author, hand_audit.actor) == (bob, bob)
    assert (auto_update.author, auto_audit.actor) == (None, None)
    assert expired.status_notes == gettext(EXPIRED)
    assert [e.object_id for e in heard] == [by_hand.ticket, expired.ticket]
    assert closed == [by_hand.ticket, expired.ticket]


def test_the_expiry_skips_a_report_an_officer_reopened_meanwhile(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    start = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        report = _resolved(file_report, village_a, bob)
    stale = ServiceRequest.objects.get(pk=report.pk)
    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        services.move_request(report, Status.IN_PROGRESS, actor=bob, note="Belum selesai.")
    with time_machine.travel(start + datetime.timedelta(days=20), tick=False):
        # The officer's move bumped the version the expiry read: it is refused, not forced.
        with pytest.raises(DomainError) as err:
            services.transition_request(
                stale,
                Status.CLOSED,
                actor=services.SYSTEM,
                note="x",
                expected_version=stale.version,
            )
        assert err.value.code == "conflict"
        assert services.close_expired_resolved() == 0
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS
