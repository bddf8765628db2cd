"""The survey results' table per child area (trust beside disturbances and participation): a
regency's districts and a province's regencies read the area roll-up and the ancestor codes,
and show the same figures as the villages summed."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

import pytest

from jaga.analytics.rollups import bump_incidents, bump_metric
from jaga.incidents.models import Category
from jaga.surveys.queries import joined_by_child
from jaga.territory.models import Population, Territory

pytestmark = pytest.mark.django_db

START, END = datetime.date(2024, 1, 1), datetime.date(2024, 6, 30)


@pytest.fixture
def figures(db: Any) -> dict[str, tuple[int, int, int]]:
    """Incidents, visits and residents in villages of three districts, some outside the
    period: the per-village reference (incidents and visits in the period, population)."""
    theft = Category.objects.get(code="pencurian").pk
    racing = Category.objects.get(code="balap_liar").pk
    villages = [
        Territory.objects.filter(parent__code=d).order_by("code")[i]
        for d in ("35.03.01", "35.03.02", "35.03.11")
        for i in (0, 1)
    ]
    reference = {}
    for n, village in enumerate(villages, start=1):
        bump_incidents(village, datetime.date(2024, 2, 1), theft, n)
        bump_incidents(village, datetime.date(2024, 6, 1), racing, 2 * n)
        bump_incidents(village, datetime.date(2023, 12, 1), theft, 100)  # before the period
        bump_incidents(village, datetime.date(2024, 7, 1), theft, 100)  # after it
        bump_metric(village, datetime.date(2024, 3, 1), "visits.count", n)
        Population.objects.create(village=village, year=2023, count=1000 * n, source="test")
        Population.objects.create(village=village, year=2020, count=1, source="old")
        reference[village.code] = (3 * n, n, 1000 * n)
    return reference


@pytest.mark.parametrize(("parent", "depth"), [("35.03", 3), ("35", 2)])
def test_area_rows_equal_the_villages_summed(
    figures: dict[str, tuple[int, int, int]], parent: str, depth: int
) -> None:
    summed: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for code, values in figures.items():
        row = summed[".".join(code.split(".")[:depth])]
        for i, value in enumerate(values):
            row[i] += value
    joined = joined_by_child(Territory.objects.get(code=parent), START, END)
    got = {
        r["territory"].code: [r["incidents"], r["visits"], r["per_1000"]]
        for r in joined["rows"]
        if r["incidents"] or r["visits"]
    }
    assert got == {
        code: [inc, visits, round(inc / pop * 1000, 2)]
        for code, (inc, visits, pop) in summed.items()
    }
    # Every child is listed, with or without figures.
    assert len(joined["rows"]) == Territory.objects.filter(parent__code=parent).count()


def test_a_districts_villages_are_read_from_the_village_rows(
    figures: dict[str, tuple[int, int, int]],
) -> None:
    joined = joined_by_child(Territory.objects.get(code="35.03.11"), START, END)
    got = {r["territory"].code: r["incidents"] for r in joined["rows"] if r["incidents"]}
    assert got == {c: v[0] for c, v in figures.items() if c.startswith("35.03.11.")}


def test_a_province_reads_the_area_roll_up_not_its_villages(
    figures: dict[str, tuple[int, int, int]],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        joined_by_child(Territory.objects.get(code="35"), START, END)
    sql = [q["sql"] for q in seen.captured_queries]
    assert any("analytics_areamonthlycount" in q for q in sql)
    assert not any("analytics_monthlyincidentcount" in q for q in sql)
    # Rows inside the province by their ancestor codes, not a LIKE on each village's code.
    assert not any(
        '"territory_territory"."code"::text LIKE' in q or '"territory_territory"."code" LIKE' in q
        for q in sql
    )
