"""jaga.core.events → the task queue: officers' notifications and residents' news, queued with
the change that caused them (`events.subscribe_task`)."""

from __future__ import annotations

from jaga.core import events
from jaga.notifications import tasks
from jaga.notifications.models import Kind

RESIDENT_EVENTS = (events.REPORT_PUBLISHED, events.PORTAL_PUBLISHED)

for _kind in Kind.values:
    events.subscribe_task(_kind, tasks.notify_officers)
for _kind in RESIDENT_EVENTS:
    events.subscribe_task(_kind, tasks.news_for_residents)
