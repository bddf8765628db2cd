"""The service desk's scheduled jobs (`jaga scheduler`, docs/schedules.md)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.core.schedule import every_day


@every_day(
    "desk-remind-overdue",
    at="07:00",
    help=gettext_lazy("Remind officers of their overdue reports (the desk's daily reminder)."),
)
def remind_overdue(day: datetime.date) -> str:
    from jaga.servicedesk.tasks import remind_overdue_task

    remind_overdue_task.enqueue()
    return _("enqueued the overdue reminders")


@every_day(
    "desk-close-resolved",
    at="01:00",
    help=gettext_lazy("Close resolved reports whose reopening period is over."),
)
def close_resolved(day: datetime.date) -> str:
    from jaga.servicedesk.tasks import close_resolved_task

    close_resolved_task.enqueue()
    return _("enqueued closing of resolved reports")
