"""The analytics app's scheduled jobs (`jaga scheduler`, docs/schedules.md)."""

from __future__ import annotations

import datetime

from jaga.core.months import add_months
from jaga.core.schedule import every_month


@every_month(
    "early-warning",
    day=1,
    at="04:00",
    help="Early warning over the month just closed for every Polres; new alarms are stored.",
)
def early_warning(first: datetime.date) -> str:
    from jaga.analytics.tasks import early_warning_task
    from jaga.territory.queries import polres_territories

    month = add_months(first, -1)
    areas = polres_territories()
    for territory in areas:
        early_warning_task.enqueue(territory.code, month.strftime("%Y-%m"))
    return f"enqueued the early warning of {month:%Y-%m} for {len(areas)} Polres"
