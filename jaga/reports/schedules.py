"""The reports app's scheduled jobs (`jaga scheduler`, docs/schedules.md)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.core.months import add_months
from jaga.core.schedule import every_month


def _previous_month(first: datetime.date) -> datetime.date:
    return add_months(first, -1)


@every_month(
    "anev-monthly",
    day=1,
    at="02:00",
    help=gettext_lazy(
        "The Anev report of the month just closed for every Polres, sent to its leaders."
    ),
)
def anev_monthly(first: datetime.date) -> str:
    from jaga.reports.tasks import monthly_anev
    from jaga.territory.queries import polres_territories

    month = _previous_month(first)
    areas = polres_territories()
    for territory in areas:
        monthly_anev.enqueue(territory.code, month.strftime("%Y-%m"))
    return _("enqueued the Anev of %(month)s for %(n)s Polres") % {
        "month": f"{month:%Y-%m}",
        "n": len(areas),
    }


@every_month(
    "portal-publish",
    day=1,
    at="03:00",
    help=gettext_lazy(
        "The public figures of every closed month not yet published, for every Polres."
    ),
)
def portal_publish(first: datetime.date) -> str:
    from jaga.reports.tasks import publish_closed_months
    from jaga.territory.queries import polres_territories

    areas = polres_territories()
    for territory in areas:
        publish_closed_months.enqueue(territory.code)
    return _("enqueued publishing for %(n)s Polres") % {"n": len(areas)}
