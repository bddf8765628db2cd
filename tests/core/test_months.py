"""Month arithmetic (jaga.core.months), the one place that steps through months."""

from __future__ import annotations

import datetime
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from jaga.core.months import (
    add_months,
    last_months,
    month_index,
    month_start,
    months_apart,
    months_between,
)

days = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31))
steps = st.integers(min_value=-600, max_value=600)


def test_by_hand():
    assert add_months(datetime.date(2024, 11, 1), 2) == datetime.date(2025, 1, 1)
    assert add_months(datetime.date(2024, 1, 31), -1) == datetime.date(2023, 12, 1)
    assert months_apart(datetime.date(2023, 12, 31), datetime.date(2024, 1, 1)) == 1
    assert months_between(datetime.date(2024, 11, 15), datetime.date(2025, 2, 1)) == [
        datetime.date(2024, 11, 1),
        datetime.date(2024, 12, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 1),
    ]
    assert last_months(datetime.date(2025, 2, 10), 3) == [
        datetime.date(2024, 12, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 1),
    ]
    assert months_between(datetime.date(2025, 3, 1), datetime.date(2025, 2, 28)) == []


def test_an_aware_moment_falls_in_its_local_month(settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    # 31 Jan 20:00 UTC is 1 Feb 03:00 in Jakarta.
    moment = datetime.datetime(2025, 1, 31, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert month_start(moment) == datetime.date(2025, 2, 1)
    assert month_start(datetime.datetime(2025, 1, 31, 20, 0)) == datetime.date(2025, 1, 1)


@given(days, steps)
def test_stepping_is_undone_and_counted(day, n):
    month = add_months(day, n)
    assert month.day == 1
    assert add_months(month, -n) == month_start(day)
    assert months_apart(day, month) == n
    assert month_index(month) - month_index(day) == n


@given(days, st.integers(min_value=0, max_value=240))
def test_ranges_are_consecutive_months(day, count):
    months = last_months(day, count)
    assert len(months) == count
    assert all(months_apart(a, b) == 1 for a, b in zip(months, months[1:], strict=False))
    if count:
        assert months[-1] == month_start(day)
        assert months_between(months[0], day) == months
