"""Roll-ups are updated inside the transaction that writes the record they count."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F

from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric
from jaga.territory.models import Territory


def month_start(moment: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(moment, datetime.datetime):
        from django.utils import timezone

        moment = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment.replace(day=1)


def _add(
    model: type[models.Model], key: dict[str, Any], field: str, delta: int, extra: dict[str, Any]
) -> None:
    """UPDATE ... SET field = field + delta, or INSERT when the row does not exist yet.

    Two writers may both find no row; the loser's INSERT hits the unique key inside a savepoint
    and falls back to the UPDATE, so no count is lost.
    """
    if model._default_manager.filter(**key).update(**{field: F(field) + delta}):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**key, **extra, **{field: delta})
    except IntegrityError:
        model._default_manager.filter(**key).update(**{field: F(field) + delta})


def bump_incidents(
    village: Territory, moment: datetime.datetime | datetime.date, category_id: int, delta: int
) -> None:
    """Add `delta` to the village's count for the month and category (call inside atomic).

    The district and regency rows of the same month and category move with it.
    """
    month = month_start(moment)
    _add(
        MonthlyIncidentCount,
        {"village": village, "month": month, "category_id": category_id},
        "count",
        delta,
        {
            "province_code": village.province_code,
            "regency_code": village.regency_code,
            "district_code": village.district_code,
        },
    )
    for level, code, parent in (
        (AreaLevel.DISTRICT, village.district_code, village.regency_code),
        (AreaLevel.REGENCY, village.regency_code, village.province_code),
    ):
        _add(
            AreaMonthlyCount,
            {"area_code": code, "month": month, "category_id": category_id},
            "count",
            delta,
            {"level": level, "parent_code": parent},
        )


def bump_metric(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metric: str,
    delta: int,
    key: str = "",
) -> None:
    """Add `delta` to a monthly figure of a village (call inside the writer's transaction)."""
    _add(
        MonthlyMetric,
        {"village": village, "month": month_start(moment), "metric": metric, "key": key},
        "value",
        delta,
        {
            "province_code": village.province_code,
            "regency_code": village.regency_code,
            "district_code": village.district_code,
        },
    )
