"""Month arithmetic, in one place. A month is the date of its first day."""

from __future__ import annotations

import datetime


def month_start(moment: datetime.date | datetime.datetime) -> datetime.date:
    """The first day of the month `moment` falls in (an aware datetime in local time)."""
    if isinstance(moment, datetime.datetime):
        from django.utils import timezone

        moment = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment.replace(day=1)


def month_index(month: datetime.date) -> int:
    """Months since the start of year 0: consecutive months differ by one."""
    return month.year * 12 + month.month - 1


def from_index(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    """The first day of the month `n` months after `month`'s (before it when `n` < 0)."""
    return from_index(month_index(month) + n)


def months_apart(start: datetime.date, end: datetime.date) -> int:
    """How many months `end`'s month lies after `start`'s (negative when before)."""
    return month_index(end) - month_index(start)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Month starts from `start`'s month to `end` inclusive."""
    return [from_index(i) for i in range(month_index(start), month_index(end) + 1)]


def last_months(end: datetime.date, count: int) -> list[datetime.date]:
    """The `count` months ending with `end`'s month, oldest first."""
    last = month_index(end)
    return [from_index(i) for i in range(last - count + 1, last + 1)]
