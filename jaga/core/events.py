"""Things that happened, told to whoever listens: notifications, outgoing webhooks.

A service that changes something others may want to hear of calls `emit(...)` inside its
transaction; listeners run after the commit (never for a rolled-back change) and one failing
listener never stops the others nor the caller. Listeners register with `@subscribe(EVENT)` (or
`@subscribe(ANY)`) in a module their app imports in `apps.ready`.

A listener whose whole work is a background task registers the task instead
(`subscribe_task(EVENT, task)`): the task gets `Event.as_dict()` and is queued with the change
itself (`jaga.core.outbox`: a row of the emitting transaction on the database queue, after the
commit on any other), so a crash right after the commit cannot lose it.

The payload is what a listener may pass on to officers of the area or to a connected system: codes,
public ids, statuses and times, never a reporter's name, phone, text or exact location. Listeners
that need more read the record themselves, under their own scope rules.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

from jaga.core import outbox

log = logging.getLogger(__name__)

# Event names, one constant each; the emitting app owns the event.
REPORT_CREATED = "report.created"  # servicedesk: a new desk report (any channel)
REPORT_STATUS_CHANGED = "report.status_changed"  # servicedesk: a transition
REPORT_OVERDUE = "report.overdue"  # servicedesk: a report passed its deadline
REPORT_PUBLISHED = "report.published"  # servicedesk: a public version of a report was approved
INVITATION_SENT = "invitation.sent"  # programs: a partner was invited to an activity
ALARM_RAISED = "alarm.raised"  # analytics: early warning flagged a village
ANEV_READY = "anev.ready"  # reports: the monthly Anev of a Polres was generated
PORTAL_PUBLISHED = "portal.published"  # reports: a month's public figures were published
ANY = "*"

ALL_EVENTS = (
    REPORT_CREATED,
    REPORT_STATUS_CHANGED,
    REPORT_OVERDUE,
    REPORT_PUBLISHED,
    INVITATION_SENT,
    ALARM_RAISED,
    ANEV_READY,
    PORTAL_PUBLISHED,
)


@dataclasses.dataclass(frozen=True)
class Event:
    name: str
    territory_code: str  # the village (or district/regency) the event belongs to
    object_type: str = ""  # e.g. "servicedesk.servicerequest"
    object_id: str = ""  # a public id (tracking number, code), never a secret
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    at: datetime.datetime = dataclasses.field(default_factory=timezone.now)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "territory_code": self.territory_code,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "at": self.at.isoformat(),
        }


Listener = Callable[[Event], None]
_listeners: dict[str, list[Listener]] = defaultdict(list)
_tasks: dict[str, list[Task[Any, Any]]] = defaultdict(list)


def _known(name: str) -> None:
    if name != ANY and name not in ALL_EVENTS:
        raise ValueError(f"unknown event {name!r}")


def subscribe(name: str) -> Callable[[Listener], Listener]:
    """Decorator: call `fn(event)` after the commit of every event `name` (or every event: ANY)."""
    _known(name)

    def register(fn: Listener) -> Listener:
        if fn not in _listeners[name]:
            _listeners[name].append(fn)
        return fn

    return register


def unsubscribe(name: str, fn: Listener) -> None:
    if fn in _listeners[name]:
        _listeners[name].remove(fn)


def subscribe_task(name: str, task: Task[Any, Any]) -> None:
    """Queue `task(event.as_dict())` with every event `name` (or every event: ANY), in the
    emitting transaction (`jaga.core.outbox`)."""
    _known(name)
    if task not in _tasks[name]:
        _tasks[name].append(task)


def unsubscribe_task(name: str, task: Task[Any, Any]) -> None:
    if task in _tasks[name]:
        _tasks[name].remove(task)


def emit(
    name: str,
    *,
    territory_code: str,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
    run_tasks: bool = False,
) -> Event:
    """Tell the listeners of `name` after the current transaction commits (at once outside one);
    queue its tasks with the transaction (`subscribe_task`).

    `at` is when it happened (now by default). `run_tasks` runs the tasks here instead, each in a
    savepoint of the caller's transaction, a failure logged as a failed task's would be: for a
    caller that is itself the worker's (`jaga.core.outbox.drain`), where queueing a task only
    for the same worker to run it next would cost a row and a claim per event."""
    if name not in ALL_EVENTS:
        raise ValueError(f"unknown event {name!r}")
    event = Event(
        name, territory_code, object_type, str(object_id), dict(data or {}), at or timezone.now()
    )
    tasks = [*_tasks[name], *_tasks[ANY]]
    if tasks:
        payload = event.as_dict()
        for task in tasks:
            if run_tasks:
                _run_here(task, payload)
            else:
                outbox.enqueue(task, payload)
    transaction.on_commit(lambda: deliver(event))
    return event


def _run_here(task: Task[Any, Any], payload: dict[str, Any]) -> None:
    try:
        with transaction.atomic():
            task.call(payload)
    except Exception:  # as the worker would: the task failed, the caller goes on
        log.exception("task %s failed", task.module_path)


def deliver(event: Event) -> None:
    for fn in [*_listeners[event.name], *_listeners[ANY]]:
        try:
            fn(event)
        except Exception:  # one listener's failure is logged, never the caller's
            log.exception("listener %s failed on %s", getattr(fn, "__qualname__", fn), event.name)
