"""jaga.core.events → the task queue: officers' notifications and residents' news."""

from __future__ import annotations

from jaga.core import events
from jaga.notifications import tasks
from jaga.notifications.models import Kind

RESIDENT_EVENTS = (events.REPORT_PUBLISHED, events.PORTAL_PUBLISHED)


def _officers(event: events.Event) -> None:
    tasks.notify_officers.enqueue(event.as_dict())


def _residents(event: events.Event) -> None:
    tasks.news_for_residents.enqueue(event.as_dict())


for _kind in Kind.values:
    events.subscribe(_kind)(_officers)
for _kind in RESIDENT_EVENTS:
    events.subscribe(_kind)(_residents)
