"""Roll-ups are updated inside the transaction that writes the record they count."""

from __future__ import annotations

import datetime

from django.db.models import F

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.territory.models import Territory


def month_start(moment: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(moment, datetime.datetime):
        from django.utils import timezone

        moment = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment.replace(day=1)


def bump_incidents(
    village: Territory, moment: datetime.datetime | datetime.date, category_id: int, delta: int
) -> None:
    """Add `delta` to the village's count for the month and category (call inside atomic)."""
    month = month_start(moment)
    updated = MonthlyIncidentCount.objects.filter(
        village=village, month=month, category_id=category_id
    ).update(count=F("count") + delta)
    if not updated:
        MonthlyIncidentCount.objects.create(
            village=village,
            month=month,
            category_id=category_id,
            count=delta,
            province_code=village.province_code,
            regency_code=village.regency_code,
            district_code=village.district_code,
        )


def bump_metric(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metric: str,
    delta: int,
    key: str = "",
) -> None:
    """Add `delta` to a monthly figure of a village (call inside the writer's transaction)."""
    month = month_start(moment)
    updated = MonthlyMetric.objects.filter(
        village=village, month=month, metric=metric, key=key
    ).update(value=F("value") + delta)
    if not updated:
        MonthlyMetric.objects.create(
            village=village,
            month=month,
            metric=metric,
            key=key,
            value=delta,
            province_code=village.province_code,
            regency_code=village.regency_code,
            district_code=village.district_code,
        )
