"""The dashboard's one read of incident counts gives the figures of the three separate reads."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jaga.analytics import queries
from jaga.analytics.units import Unit
from jaga.core.months import add_months
from jaga.territory.models import Level, PoliceUnit, Territory
from tests.analytics.conftest import bulk_counts, put_count

pytestmark = pytest.mark.django_db

M = datetime.date(2026, 10, 1)
COUNT_TABLES = ("analytics_areamonthlycount", "analytics_monthlyincidentcount")


def unit(code: str) -> Unit:
    t = Territory.objects.get(code=code)
    return Unit(code, t.display_name, [code], t.level, t)


def polsek() -> Unit:
    p = PoliceUnit.objects.create(kind="polsek", name="Polsek Kota", code="polsek-kota")
    p.territories.set(Territory.objects.filter(code__in=["35.03.11", "35.03.02"]))
    return Unit("polsek:polsek-kota", p.name, ["35.03.02", "35.03.11"], "polsek")


@pytest.fixture
def panel(villages):
    """40 months of counts in three categories for a third of Trenggalek's villages and 1002."""
    months = [add_months(M, -i) for i in range(39, -1, -1)]
    rng = np.random.default_rng(5)
    chosen = [v for i, v in enumerate(villages) if i % 3 == 0 or v.code == "35.03.11.1002"]
    for code, lam in [("pencurian", 1.5), ("miras", 0.7), ("judi", 0.3)]:
        bulk_counts(chosen, months, rng.poisson(lam, (len(chosen), len(months))), code)
    return chosen


def separate(u: Unit) -> tuple[queries.CompStat, list[int], list[dict]]:
    _, series = queries.incident_series(u, add_months(M, -35), M)
    return queries.compstat(u, M), series, queries.district_sparklines(u, M)


@pytest.mark.parametrize("key", ["35", "35.03", "35.03.11", "35.03.11.1002", "*", "polsek"])
def test_one_read_gives_the_figures_of_three(panel, key):
    if key == "*":
        u = Unit("*", "Indonesia", ["35"], "country")
    elif key == "polsek":
        u = polsek()
    else:
        u = unit(key)
    comp, series, sparks = separate(u)
    got = queries.dashboard_counts(u, M)
    assert got.comp.total.current > 0 and sum(series) > 0
    assert [r.as_dict() for r in got.comp.rows] == [r.as_dict() for r in comp.rows]
    assert got.comp.total.as_dict() == comp.total.as_dict()
    assert got.series == series and got.months[0] == add_months(M, -35)
    assert [(s["territory"].code, s["values"], s["total"]) for s in got.sparks] == [
        (s["territory"].code, s["values"], s["total"]) for s in sparks
    ]
    assert [s["mk"] for s in got.sparks] == [s["mk"] for s in sparks]
    assert (len(sparks) == 0) == (key == "35.03.11.1002")


@pytest.mark.parametrize("key", ["35.03", "35.03.11", "35.03.11.1002"])
def test_the_counts_are_read_in_one_query(panel, key):
    u = unit(key)
    with CaptureQueriesContext(connection) as captured:
        queries.dashboard_counts(u, M)
    reads = [q["sql"] for q in captured if any(t in q["sql"] for t in COUNT_TABLES)]
    # The counts in one read, and the register's coverage (first and last month per regency).
    coverage = [sql for sql in reads if "DISTINCT" in sql and "'regency'" in sql]
    assert len(reads) == 2 and len(coverage) == 1


def test_the_trend_from_the_one_read_is_the_trend(panel):
    u = unit("35.03")
    counts = queries.dashboard_counts(u, M)
    with CaptureQueriesContext(connection) as captured:
        got = queries.trend(u, M, counts=counts)
    # The counts come from the one read, and the register's coverage (its months per regency)
    # from the unit, which read it once for the CompStat: nothing is read again.
    reads = [q["sql"] for q in captured if any(t in q["sql"] for t in COUNT_TABLES)]
    assert reads == []
    want = queries.trend(u, M)
    assert got["counts"] == want["counts"] and got["months"] == want["months"]
    assert got["fit"].rate_ratio_per_year == pytest.approx(want["fit"].rate_ratio_per_year)


@pytest.mark.parametrize(
    ("first", "months"),
    # Data starts inside the window; before it but with no row in the window's first month (the
    # regency's register then has a hole from M-39 to M-31: its five months in the window are
    # unknown and left out, not read as zero).
    [(add_months(M, -5), 6), (add_months(M, -40), 31)],
)
def test_the_trend_starts_where_the_data_starts(village_a, first, months):
    put_count(village_a, first, "miras", 2)
    for i in range(min(31, months)):
        put_count(village_a, add_months(M, -i), "miras", 3 + i % 3)
    u = unit("35.03.11")
    got = queries.trend(u, M, counts=queries.dashboard_counts(u, M))
    want = queries.trend(u, M)
    assert got["months"] == want["months"] and got["counts"] == want["counts"]
    assert len(got["months"]) == months
    assert (
        len(got["period"]["left_out"]) == 36 - months
        if months > 6
        else not got["period"]["left_out"]
    )


def test_a_district_has_its_villages_as_sparklines(village_a):
    put_count(village_a, M, "miras", 3)
    got = queries.dashboard_counts(unit("35.03.11"), M)
    rows = {s["territory"].code: s["values"] for s in got.sparks}
    assert rows[village_a.code][-1] == 3
    assert all(t.level == Level.VILLAGE for t in (s["territory"] for s in got.sparks))


def test_the_country_has_its_provinces_as_sparklines(panel):
    """A national leader sees a line per province (38), not one per regency (514): the regency
    rows summed by province."""
    country = Unit("*", "Indonesia", ["35"], "country")
    sparks = queries.dashboard_counts(country, M).sparks
    assert [s["territory"].code for s in sparks] == ["35"]
    province = queries.dashboard_counts(unit("35"), M)
    summed = [sum(v) for v in zip(*(s["values"] for s in province.sparks), strict=True)]
    assert sparks[0]["values"] == summed and sum(summed) > 0
