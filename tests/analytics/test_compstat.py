"""CompStat and trend read from the roll-ups, by hand on small cases."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from scipy import stats

from jaga.analytics import queries
from jaga.analytics.units import Unit
from jaga.core.months import add_months
from jaga.territory.models import Population, Territory
from tests.analytics.conftest import bulk_counts, put_count

pytestmark = pytest.mark.django_db

M = datetime.date(2026, 10, 1)


def unit(code: str) -> Unit:
    t = Territory.objects.get(code=code)
    return Unit(code, t.display_name, [code], t.level, t)


def test_compstat_by_hand(village_a, village_b, village_c):
    put_count(village_a, M, "pencurian", 10)
    put_count(village_a, add_months(M, -1), "pencurian", 4)
    put_count(village_a, add_months(M, -12), "pencurian", 5)
    put_count(village_b, datetime.date(2026, 2, 1), "pencurian", 6)
    put_count(village_b, datetime.date(2025, 11, 1), "pencurian", 50)  # after Oct: not in YTD
    put_count(village_b, M, "miras", 2)
    put_count(village_c, M, "pencurian", 100)  # another district
    Population.objects.create(village=village_a, year=2023, count=30_000, source="t")
    Population.objects.create(village=village_b, year=2023, count=10_000, source="t")
    c = queries.compstat(unit("35.03.11"), M)
    theft = next(r for r in c.rows if r.code == "pencurian")
    assert (theft.current, theft.previous, theft.last_year) == (10, 4, 5)
    assert (theft.ytd, theft.ytd_last_year) == (10 + 4 + 6, 5)
    assert theft.change_prev == 150.0
    assert theft.change_last_year == 100.0
    # October has 31 days, September 30: the exposure ratio enters the test.
    assert theft.p_prev == pytest.approx(stats.binomtest(10, 14, (31 / 30) / (1 + 31 / 30)).pvalue)
    assert theft.rate == pytest.approx(10 / 40_000 * 10_000)
    assert c.total.current == 12 and c.population == 40_000
    assert c.rows[0].code == "pencurian"


def test_a_village_sees_only_itself(village_a, village_b):
    put_count(village_a, M, "miras", 3)
    put_count(village_b, M, "miras", 7)
    assert queries.compstat(unit(village_a.code), M).total.current == 3
    assert queries.compstat(unit("35.03"), M).total.current == 10


def test_trend_finds_a_planted_fall_in_the_rollup(village_a):
    months = [add_months(M, -i) for i in range(35, -1, -1)]
    rng = np.random.default_rng(1)
    y = rng.poisson(12 * 0.6 ** (np.arange(36) / 12))[None, :]
    bulk_counts([village_a], months, y, "judi")
    Population.objects.create(village=village_a, year=2023, count=20_000, source="t")
    t = queries.trend(unit("35.03.11"), M)
    assert t["counts"] == [int(v) for v in y[0]]
    assert t["fit"].direction == "falling"
    assert t["fit"].ci_low < 0.6 < t["fit"].ci_high


def test_sparklines_per_district(village_a, village_c):
    put_count(village_a, M, "miras", 3)
    put_count(village_c, add_months(M, -2), "miras", 4)
    rows = {s["territory"].code: s for s in queries.district_sparklines(unit("35.03"), M)}
    assert len(rows) == 14
    assert rows["35.03.11"]["values"][-1] == 3
    assert rows["35.03.02"]["values"][-3] == 4


def test_the_fast_two_sided_binomial_test_is_scipys_binomtest():
    """`binomtest_two_sided` (the country's CompStat) gives scipy's p bit for bit."""
    from jaga.analytics.stats.compstat import binomtest_two_sided

    rng = np.random.default_rng(13)
    for i in range(400):
        n = int(rng.choice([1, 7, 10_001, 48_000, 310_000, 2_900_000]))
        p = float(rng.choice([0.5, 31 / 61, 28 / 59, rng.uniform(0.02, 0.98)]))
        sd = (n * p * (1 - p)) ** 0.5
        k = int(np.clip(round(p * n + rng.normal(0, 3) * sd), 0, n))
        if i % 7 == 0:
            k = int(rng.integers(0, n + 1))
        if i % 11 == 0:
            k = round(p * n)
        assert binomtest_two_sided(k, n, p) == stats.binomtest(k, n, p).pvalue, (k, n, p)
    assert binomtest_two_sided(3, 10, 1.0) == stats.binomtest(3, 10, 1.0).pvalue
