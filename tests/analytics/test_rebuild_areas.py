"""The area roll-up's part of the rebuild: the district and regency rows summed from the village
rows and compared with the live rows of every level in one statement. Each kind of drift, on each level, is found and
mended, and nothing else is touched."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.analytics.rebuild import _area_comparisons, rebuild_incidents
from jaga.incidents.models import Incident
from tests.analytics.test_rebuild_all import snapshot
from tests.analytics.test_rebuild_fast import planted  # noqa: F401
from tests.analytics.test_rebuild_swap import count_running

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild")

VILLAGES = MonthlyIncidentCount._meta.db_table
LONG_AGO = datetime.date(1999, 1, 1)


def drift() -> dict[str, Any]:
    """One drift of each kind on each level; what the comparison must report for each."""
    district = AreaMonthlyCount.objects.filter(level="district").order_by("pk")
    regency = AreaMonthlyCount.objects.filter(level="regency").order_by("pk")
    counted, lost_d = district[0], district[1]
    parent, lost_r = regency[0], regency[1]
    AreaMonthlyCount.objects.filter(pk=counted.pk).update(count=counted.count + 5)
    AreaMonthlyCount.objects.filter(pk=parent.pk).update(parent_code="99")
    AreaMonthlyCount.objects.filter(pk__in=[lost_d.pk, lost_r.pk]).delete()
    extra = [
        AreaMonthlyCount.objects.create(
            level=level, area_code=code, parent_code=parent_code, month=LONG_AGO,
            category_id=counted.category_id, count=4,
        ).pk
        for level, code, parent_code in [
            ("district", counted.area_code, counted.parent_code),
            ("regency", parent.area_code, parent.parent_code),
            ("province", parent.parent_code, ""),  # a level the rebuild does not know
        ]
    ]  # fmt: skip

    def row(r: AreaMonthlyCount, **changed: Any) -> tuple[Any, ...]:
        values = {f: getattr(r, f) for f in ("level", "area_code", "parent_code", "month")}
        values |= {"category_id": r.category_id, "count": r.count} | changed
        return tuple(values.values())

    return {
        # the live row's key -> the row the sums have for it
        "corrected": {
            counted.pk: row(counted),
            parent.pk: row(parent),
        },
        "missing": {row(lost_d), row(lost_r)},
        "gone": set(extra),
    }


def differences() -> tuple[dict[Any, tuple[Any, ...]], set[tuple[Any, ...]], set[Any]]:
    """What `_area_comparisons` reports, read back: corrected rows by their key (the primary
    key), rows to insert, keys of live rows to delete."""
    corrected: dict[Any, tuple[Any, ...]] = {}
    missing: set[tuple[Any, ...]] = set()
    gone: set[Any] = set()
    with connection.cursor() as cursor:
        for sql, params in _area_comparisons(VILLAGES):
            cursor.execute(sql, params)
            for live, is_gone, *columns in cursor.fetchall():
                _level, code, _parent, month, category_id, _count = columns
                key = (code, month, category_id)
                if is_gone:
                    assert live
                    gone.add(key)
                elif not live:
                    missing.add(tuple(columns))
                else:
                    corrected[key] = tuple(columns)
    return corrected, missing, gone


@postgresql
def test_the_comparison_finds_each_drifted_row_of_each_level(planted: list[Incident]) -> None:  # noqa: F811
    count_running(planted)
    assert differences() == ({}, set(), set())
    expected = drift()
    corrected, missing, gone = differences()
    assert corrected == expected["corrected"]
    assert missing == expected["missing"]
    assert gone == expected["gone"]


@pytest.mark.parametrize("strategy", ["in place", "in place, whole tables compared", "anew"])
def test_a_rebuild_mends_each_drift_of_each_level(
    planted: list[Incident],  # noqa: F811
    strategy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if strategy != "in place" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's paths")
    monkeypatch.setattr(rebuild, "ALWAYS_ANEW", strategy == "anew")
    monkeypatch.setattr(rebuild, "SUSPECTS_SHARE", 0.0 if "whole" in strategy else 1.0)
    count_running(planted)
    running = snapshot()
    rows = AreaMonthlyCount.objects.count()
    expected = drift()
    assert snapshot() != running
    untouched = set(AreaMonthlyCount.objects.values_list("pk", flat=True)) - expected["gone"]
    untouched -= set(expected["corrected"])
    rebuild_incidents()
    assert snapshot() == running
    assert AreaMonthlyCount.objects.count() == rows
    ids = set(AreaMonthlyCount.objects.values_list("pk", flat=True))
    assert not ids & expected["gone"]
    if connection.vendor == "postgresql" and strategy.startswith("in place"):
        assert untouched <= ids  # corrected in place: the rows left alone are the same rows
