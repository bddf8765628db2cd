"""The desk tells jaga.core.events what happened: after the commit, without the reporter's data."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from jaga.core import events
from jaga.servicedesk import services
from jaga.servicedesk.models import ServiceRequest, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    got: list[events.Event] = []
    listener = got.append
    events.subscribe(events.ANY)(listener)
    yield got
    events.unsubscribe(events.ANY, listener)


def test_a_new_report_and_its_transitions_are_told_after_the_commit(
    heard: list[events.Event],
    file_report: Any,
    village_a: Any,
    alice: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = file_report(village_a, description="Pak Budi 0812-3456-7890 ribut tiap malam")
        assert heard == []
    assert [e.name for e in heard] == [events.REPORT_CREATED]
    created = heard[0]
    assert created.territory_code == village_a.code
    assert created.object_id == request.ticket
    assert created.data["status"] == Status.RECEIVED
    # Nothing of the reporter or the text reaches a listener.
    flat = repr(created.as_dict())
    assert "Budi" not in flat and "0812" not in flat

    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(request, Status.TRIAGED, actor=alice, note="")
    assert [e.name for e in heard][-1] == events.REPORT_STATUS_CHANGED
    assert heard[-1].data["status_from"] == Status.RECEIVED
    assert heard[-1].data["status"] == Status.TRIAGED


def test_a_rolled_back_change_is_never_told(
    heard: list[events.Event], village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as pending:
        try:
            with transaction.atomic():
                events.emit(events.ALARM_RAISED, territory_code=village_a.code)
                raise RuntimeError
        except RuntimeError:
            pass
    assert pending == [] and heard == []
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.ALARM_RAISED, territory_code=village_a.code)
        assert heard == []
    assert [e.name for e in heard] == [events.ALARM_RAISED]


def test_a_failing_listener_stops_neither_the_others_nor_the_caller(
    heard: list[events.Event], village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(event: events.Event) -> None:
        raise ValueError("boom")

    events.subscribe(events.ALARM_RAISED)(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.emit(events.ALARM_RAISED, territory_code=village_a.code)
    finally:
        events.unsubscribe(events.ALARM_RAISED, broken)
    assert [e.name for e in heard] == [events.ALARM_RAISED]


def test_unknown_event_names_are_refused() -> None:
    with pytest.raises(ValueError):
        events.emit("report.creatd", territory_code="35")
    with pytest.raises(ValueError):
        events.subscribe("report.creatd")


def test_an_overdue_report_is_told_once_per_reminder(
    heard: list[events.Event],
    file_report: Any,
    village_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = file_report(village_a)
    ServiceRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_overdue() == 1
        assert services.remind_overdue() == 0
    assert [e.name for e in heard] == [events.REPORT_OVERDUE]
