"""A new report told to whoever listens: the village's officers, connected systems.

The event is `report.created` (jaga.core.events). How it leaves depends on the queue:

- **The database queue** (production, the demo): the public intake marks the report
  (`to_announce`) instead of queueing a task for it, so the report row is its own outbox
  (jaga.core.outbox, "Rows that are their own outbox"). The worker's drain (`announce_pending`,
  run by `jaga db_worker` in a thread) takes the marked reports a batch at a time, unmarks them
  and emits each report's event in the same transaction, running the event's tasks there (the
  officers' notification) instead of queueing them for itself. The officers hear of a report
  within about a second of its commit (the drain's look when idle), never before it.
- **Any other queue** (tests, `TASKS_IMMEDIATE`): the intake emits the event in its own
  transaction, as every other writer of an event does.
"""

from __future__ import annotations

from django.db import router

from jaga.core import events, outbox
from jaga.servicedesk.models import ServiceRequest
from jaga.servicedesk.services.common import emit_report_event


def marked() -> bool:
    """Whether a new report is to be marked for the worker rather than announced in its
    own transaction (`outbox.database_queue`)."""
    return outbox.database_queue()


def announce(report: ServiceRequest, *, run_tasks: bool = False) -> events.Event:
    """Emit the report's `report.created` (after the caller's commit for its listeners)."""
    return emit_report_event(
        events.REPORT_CREATED, report, at=report.received_at, run_tasks=run_tasks
    )


def announce_pending(limit: int) -> int:
    """Announce up to `limit` marked reports, oldest first, in one transaction; how many.

    Reports another worker holds are skipped (`SKIP LOCKED`; SQLite takes its writer lock first),
    so two workers never announce the same report. An error rolls the batch back: its reports
    stay marked and the next batch tries them again."""
    from django_tasks_db.utils import exclusive_transaction

    waiting = ServiceRequest.objects.filter(to_announce=True)
    if not waiting.exists():  # the idle look: one read of a partial index, no lock
        return 0
    with exclusive_transaction(router.db_for_write(ServiceRequest)):
        reports = list(
            waiting.select_related("service", "village")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:limit]
        )
        if reports:
            ServiceRequest.objects.filter(pk__in=[r.pk for r in reports]).update(to_announce=False)
        for report in reports:
            announce(report, run_tasks=True)
    return len(reports)


outbox.register_drain("servicedesk.announce", announce_pending)
