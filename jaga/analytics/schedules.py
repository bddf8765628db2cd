"""The analytics app's scheduled jobs (`jaga scheduler`, docs/schedules.md)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.core.months import add_months
from jaga.core.schedule import every_day, every_month


@every_month(
    "early-warning",
    day=1,
    at="04:00",
    help=gettext_lazy(
        "Early warning over the month just closed for every Polres; new alarms are stored."
    ),
)
def early_warning(first: datetime.date) -> str:
    from jaga.analytics.tasks import early_warning_task
    from jaga.territory.queries import polres_territories

    month = add_months(first, -1)
    areas = polres_territories()
    for territory in areas:
        early_warning_task.enqueue(territory.code, month.strftime("%Y-%m"))
    return _("enqueued the early warning of %(month)s for %(n)s Polres") % {
        "month": f"{month:%Y-%m}",
        "n": len(areas),
    }


@every_day(
    "regency-series",
    at="03:00",
    help=gettext_lazy(
        "Build again the packed series of every regency whose roll-up moved (what the early "
        "warning of a province or the country reads)."
    ),
)
def regency_series(day: datetime.date) -> str:
    from jaga.analytics.tasks import refresh_series_task

    refresh_series_task.enqueue()
    return _("enqueued the refresh of the regencies' packed series")
