"""The reports app's scheduled jobs (`jaga scheduler`, docs/schedules.md)."""

from __future__ import annotations

import datetime

from jaga.core.months import add_months
from jaga.core.schedule import every_month


def _previous_month(first: datetime.date) -> datetime.date:
    return add_months(first, -1)


@every_month(
    "anev-monthly",
    day=1,
    at="02:00",
    help="The Anev report of the month just closed for every Polres, sent to its leaders.",
)
def anev_monthly(first: datetime.date) -> str:
    from jaga.reports.tasks import monthly_anev
    from jaga.territory.queries import polres_territories

    month = _previous_month(first)
    areas = polres_territories()
    for territory in areas:
        monthly_anev.enqueue(territory.code, month.strftime("%Y-%m"))
    return f"enqueued the Anev of {month:%Y-%m} for {len(areas)} Polres"


@every_month(
    "portal-publish",
    day=1,
    at="03:00",
    help="The public figures of every closed month not yet published, for every Polres.",
)
def portal_publish(first: datetime.date) -> str:
    from jaga.reports.tasks import publish_closed_months
    from jaga.territory.queries import polres_territories

    areas = polres_territories()
    for territory in areas:
        publish_closed_months.enqueue(territory.code)
    return f"enqueued publishing for {len(areas)} Polres"
