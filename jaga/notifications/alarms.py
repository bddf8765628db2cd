"""Early-warning alarms are computed on request (`jaga.analytics.warning.alarms`); the monthly
run here computes them for a regency and month and emits ALARM_RAISED once per new alarm
(village x category x first month), remembered in `RaisedAlarm`."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction

from jaga.analytics import warning
from jaga.analytics.units import Unit
from jaga.core import events
from jaga.core.audit import log_action
from jaga.core.errors import DomainError
from jaga.notifications.models import RaisedAlarm
from jaga.territory.models import Territory


def parse_month(value: str) -> datetime.date:
    try:
        year, number = (int(p) for p in value.split("-"))
        return datetime.date(year, number, 1)
    except ValueError as exc:
        raise DomainError("bad_month", "month must be YYYY-MM") from exc


def raise_alarms(regency_code: str, month: datetime.date) -> list[dict[str, Any]]:
    """The alarms of the regency up to `month` not told before; each is emitted once."""
    territory = Territory.objects.get(code=regency_code)
    new = []
    unit = Unit(
        territory.code, territory.display_name, [territory.code], territory.level, territory
    )
    for alarm in warning.alarms(unit, month):
        first = alarm["month"]
        try:
            with transaction.atomic():
                row = RaisedAlarm.objects.create(
                    village_code=alarm["village_code"],
                    category_code=alarm["category_code"],
                    month=first,
                )
                log_action(
                    "notifications.alarm_raised",
                    row,
                    after={
                        "village": alarm["village_code"],
                        "category": alarm["category_code"],
                        "month": f"{first:%Y-%m}",
                    },
                    territory_code=alarm["village_code"],
                )
                events.emit(
                    events.ALARM_RAISED,
                    territory_code=alarm["village_code"],
                    object_type="analytics.alarm",
                    object_id=f"{alarm['village_code']}:{alarm['category_code']}:{first:%Y-%m}",
                    data={
                        "category_code": alarm["category_code"],
                        "category_name": str(alarm["category_name"]),
                        "month": f"{first:%Y-%m}",
                        "observed": alarm["observed"],
                        "expected": round(alarm["expected"], 1),
                        "ongoing": alarm["ongoing"],
                    },
                )
        except IntegrityError:  # told already
            continue
        new.append(alarm)
    return new
