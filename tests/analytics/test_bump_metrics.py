"""`bump_metrics`: several figures of one village and month in one UPDATE, missing rows added."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from jaga.analytics.models import MonthlyMetric
from jaga.analytics.rollups import bump_metric, bump_metrics

pytestmark = pytest.mark.django_db

MOMENT = datetime.date(2024, 3, 5)


def values(village: Any) -> dict[str, int]:
    return dict(
        MonthlyMetric.objects.filter(village=village, key="FKPM").values_list("metric", "value")
    )


def test_updates_existing_rows_and_adds_missing_ones(village_a: Any, village_b: Any) -> None:
    bump_metric(village_a, MOMENT, "attendance.attended", 3, key="FKPM")
    bump_metrics(village_a, MOMENT, ["attendance.attended", "attendance.on_time"], 1, key="FKPM")
    assert values(village_a) == {"attendance.attended": 4, "attendance.on_time": 1}
    bump_metrics(village_a, MOMENT, ("attendance.on_time", "attendance.attended"), -1, key="FKPM")
    assert values(village_a) == {"attendance.attended": 3, "attendance.on_time": 0}
    assert values(village_b) == {}  # another village, same month and key: untouched
    bump_metrics(village_a, MOMENT, [], 5, key="FKPM")
    assert values(village_a) == {"attendance.attended": 3, "attendance.on_time": 0}
    row = MonthlyMetric.objects.get(village=village_a, metric="attendance.on_time")
    assert (row.month, row.regency_code) == (datetime.date(2024, 3, 1), "35.03")
