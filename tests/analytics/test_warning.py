"""Early warning on the roll-ups: a planted surge fires where it was planted."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jaga.analytics import warning
from jaga.analytics.units import Unit
from jaga.core.months import add_months, months_between
from jaga.territory.models import Territory
from tests.analytics.conftest import LAST_MONTH, bulk_counts

pytestmark = pytest.mark.django_db


def test_the_planted_surge_raises_one_ongoing_alarm(frozen, surge, village_a):
    t = Territory.objects.get(code="35.03")
    found = warning.alarms(Unit("35.03", t.name, ["35.03"], t.level, t), LAST_MONTH)
    mine = [a for a in found if a["village_code"] == village_a.code]
    # One category only: its series and the village's total are one problem, listed once.
    assert [a["category_code"] for a in mine] == ["pencurian"]
    alarm = mine[0]
    assert alarm["ongoing"]
    # The alarm's window is the surge: it started two months before the end, 20 observed.
    assert alarm["month"] == add_months(LAST_MONTH, -1) and alarm["end_month"] == LAST_MONTH
    assert alarm["months"] == 2 and alarm["observed"] == 20 and alarm["expected"] < 4
    assert alarm["window_observed"] >= 20
    # Nominal 0.2% per series: a handful at most among the 156 other villages.
    assert len(found) - 1 <= 3


def test_json_carries_observed_expected_and_start(frozen, surge, village_a):
    out = io.StringIO()
    call_command(
        "analytics", "alarms", "--territory", "35.03", "--end", "2026-10", "--json", stdout=out
    )
    found = json.loads(out.getvalue())
    mine = [a for a in found if a["village_code"] == village_a.code]
    assert len(mine) == 1
    assert mine[0]["month"] == "2026-09-01" and mine[0]["end_month"] == "2026-10-01"
    assert mine[0]["observed"] == 20 and 0 < mine[0]["expected"] < 4
    assert mine[0]["statistic"] >= mine[0]["limit"]
    # One alarm per village and problem across the whole list.
    keys = [(a["village_code"], a["category_code"]) for a in found]
    assert len(keys) == len(set(keys))


def test_a_village_with_two_categories_keeps_its_total(frozen, villages, panel_months):
    """Where a village has more than one category its total is its own problem (not dropped)."""

    start, end = panel_months[0], panel_months[-1]
    rng = np.random.default_rng(3)
    y = rng.poisson(2.0, size=(3, len(panel_months)))
    bulk_counts(villages[:3], panel_months, y, "pencurian")
    bulk_counts(villages[:1], panel_months, y[:1], "narkoba")
    t = Territory.objects.get(code="35.03")
    unit = Unit("35.03", t.name, ["35.03"], t.level, t)
    matrix = warning.without_duplicate_totals(warning.load_matrix(unit, start, end))
    totals = set(matrix.village_ids[matrix.category_ids == warning.ALL_CATEGORIES].tolist())
    assert totals == {villages[0].pk}
    assert len(matrix.months) == len(months_between(start, end))


def test_api_and_command(frozen, surge, village_a, bob_client, charlie_client, client):
    resp = bob_client.get("/api/v1/analytics/alarms?territory=35.03.11")
    assert resp.status_code == 200
    assert village_a.code in {a["village_code"] for a in resp.json()}
    assert charlie_client.get("/api/v1/analytics/alarms?territory=35.03.11").status_code == 404
    assert client.get("/api/v1/analytics/alarms").status_code == 401
    out = io.StringIO()
    call_command("analytics", "alarms", "--territory", "35.03.11", "--json", stdout=out)
    assert village_a.code in {a["village_code"] for a in json.loads(out.getvalue())}


def test_the_command_speaks_one_language(frozen, surge, village_a):
    """Every line of `jaga analytics alarms` goes through gettext: Indonesian, as the other
    commands (LANGUAGE_CODE), the period's sentence, each alarm and the count alike; English
    only when English is active."""

    def run(*args: str) -> list[str]:
        out = io.StringIO()
        call_command("analytics", "alarms", "--end", "2026-10", *args, stdout=out)
        return out.getvalue().splitlines()

    lines = run("--territory", "35.03")
    mine = next(line for line in lines if village_a.code in line)
    count = len(lines) - 2  # the period's sentence first, the count last
    assert lines[-1] == f"{count} peringatan."
    assert lines[0].startswith("Periode yang dipakai: "), lines[0]
    assert "(diperkirakan " in mine and "LLR " in mine
    assert mine.startswith("2026-09..2026-10 ") and ": pencurian, 20 " in mine
    assert re.search(r"diperkirakan \d+,\d\)", mine), mine  # the Indonesian decimal comma
    for line in lines:
        assert not re.search(r"\b(expected|alarms?|rows?|months?)\b", line), line
    with translation.override("en"):
        english = run("--territory", "35.03")
        assert english[-1] == (f"{count} alarms." if count != 1 else "1 alarm.")
        assert any("(expected " in line for line in english)
    with pytest.raises(CommandError, match="Wilayah 99.99 tidak dikenal"):
        run("--territory", "99.99")


def test_alarms_are_on_the_leaders_home_page(frozen, surge, village_a, leader_client):
    resp = leader_client.get("/")
    assert resp.status_code == 200
    assert village_a.name in resp.content.decode()


def test_alarm_page_scope(frozen, surge, village_a, bob_client, charlie_client, client):
    resp = bob_client.get("/analitik/peringatan/?territory=35.03.11")
    assert resp.status_code == 200 and village_a.name in resp.content.decode()
    assert charlie_client.get("/analitik/peringatan/?territory=35.03.11").status_code == 404
    assert client.get("/analitik/peringatan/").status_code == 302


def test_the_national_packed_path_reads_the_same_matrix(frozen, surge, villages, panel_months):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the packed read is PostgreSQL's")
    # A second category, a count past 16 bits and a negative one (a drifted running count):
    # every part of the packed integer is exercised.
    from jaga.analytics.models import MonthlyIncidentCount

    bulk_counts(villages[:5], panel_months, np.full((5, len(panel_months)), 70_000), "miras")
    MonthlyIncidentCount.objects.filter(
        village=villages[0], category__code="miras", month=LAST_MONTH
    ).update(count=-2)
    start = add_months(LAST_MONTH, -41)
    country = Unit("*", "Indonesia", ["35"], "country")
    for unit in (country, Unit("35", "Jawa Timur", ["35"], "province")):
        fast = warning.incident_matrix_packed(unit, start, LAST_MONTH)
        slow = warning.incident_matrix(unit.rollup_q(), start, LAST_MONTH)

        def by_key(m):  # type: ignore[no-untyped-def]
            return {
                (int(v), int(c)): tuple(row)
                for v, c, row in zip(m.village_ids, m.category_ids, m.counts, strict=True)
            }

        assert by_key(fast) == by_key(slow)
        assert len(fast.village_ids) == len(slow.village_ids) == len(by_key(slow))
        assert fast.months == slow.months
        # Sorted by village and category.
        keys = list(zip(fast.village_ids.tolist(), fast.category_ids.tolist(), strict=True))
        assert keys == sorted(keys)
        assert fast.counts.max() == 70_000 and fast.counts.min() == -2
        # The village totals are the same whichever way the series came.
        assert by_key(warning.with_village_totals(fast)) == by_key(
            warning.with_village_totals(slow)
        )


def test_a_rise_spread_over_categories_alarms_on_the_village_total(frozen, villages, panel_months):
    from jaga.incidents.models import Category

    rng = np.random.default_rng(8)
    codes = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))[:10]
    target = villages[3]
    for code in codes:
        y = rng.poisson(0.15, size=(len(villages[:40]), len(panel_months)))
        y[3, -2:] = [1, 1]  # each category: +1 in each of the last two months, unremarkable
        bulk_counts(villages[:40], panel_months, y, code)
    t = Territory.objects.get(code="35.03")
    found = warning.alarms(Unit("35.03", t.name, ["35.03"], t.level, t), LAST_MONTH)
    totals = [a for a in found if a["village_code"] == target.code and a["category_code"] == ""]
    assert totals and totals[0]["ongoing"]


def test_scan_limits_come_from_the_store_when_present(monkeypatch):
    from jaga.analytics.stats import scan

    store: dict[str, list[float]] = {}
    monkeypatch.setattr(scan, "limit_store", (store.get, store.__setitem__))
    scan.grid_limits(6, 12, 0.05, sims=60_000)
    assert len(store) == 1
    key = next(iter(store))
    store[key] = [9.0] * len(scan.GRID)
    scan.grid_limits.cache_clear()
    assert (scan.grid_limits(6, 12, 0.05, sims=60_000) == 9.0).all()
    scan.grid_limits.cache_clear()


def test_pooled_season_and_trend_make_expected_counts_unbiased():
    from jaga.analytics.stats.scan import poisson_scan

    rng = np.random.default_rng(4)
    months = 42
    moy = (np.arange(months) + 4) % 12 + 1
    season = 1 + 0.3 * np.sin(2 * np.pi * moy / 12)
    mu = 3.0 * season * np.exp(0.01 * np.arange(months))
    y = rng.poisson(np.repeat(mu[None, :], 4000, axis=0)).astype(np.float32)
    result = poisson_scan(y, 6, months_of_year=moy, alpha=0.01)
    assert result.trend[0] == pytest.approx(0.01, abs=0.001)
    assert result.expected.mean(axis=0) == pytest.approx(mu[-6:], rel=0.02)
    assert result.alarm.mean() < 0.02


def _village_with_a_category_surge(villages, panel_months, rest_surge: bool) -> Territory:
    """Village 5 has several categories; its `pencurian` quintuples for the last two months, and
    with `rest_surge` each of eight other categories gains one incident a month: too few for any
    of them to alarm, enough for the rest of the village to stand out."""
    from jaga.incidents.models import Category

    rng = np.random.default_rng(11)
    target = 5
    theft = rng.poisson(2.5, size=(len(villages), len(panel_months)))
    theft[target, -2:] = [12, 13]
    bulk_counts(villages, panel_months, theft, "pencurian")
    others = Category.objects.filter(parent__isnull=False).exclude(code="pencurian")
    for code in list(others.values_list("code", flat=True))[:8]:
        y = rng.poisson(0.15, size=(len(villages[:40]), len(panel_months)))
        y[target, -2:] = [1, 1] if rest_surge else [0, 0]
        bulk_counts(villages[:40], panel_months, y, code)
    return villages[target]


@pytest.mark.parametrize("rest_surge", [False, True])
def test_a_category_surge_is_one_alarm_unless_the_rest_of_the_village_rises_too(
    frozen, villages, panel_months, rest_surge
):
    target = _village_with_a_category_surge(villages, panel_months, rest_surge)
    t = Territory.objects.get(code="35.03")
    unit = Unit("35.03", t.name, ["35.03"], t.level, t)
    found = [a for a in warning.alarms(unit, LAST_MONTH) if a["village_code"] == target.code]
    codes = sorted(a["category_code"] for a in found)
    # The village's total alarms too (it is the surge plus the rest), and is listed only when
    # the rest without the surge alarms on its own.
    assert codes == (["", "pencurian"] if rest_surge else ["pencurian"])
    matrix = warning.without_duplicate_totals(
        warning.load_matrix(unit, add_months(LAST_MONTH, -47), LAST_MONTH)
    )
    result = warning.run(matrix)
    rows = np.flatnonzero(matrix.village_ids == target.pk)
    total = rows[matrix.category_ids[rows] == warning.ALL_CATEGORIES]
    assert result.alarm[total].all()  # before the check, the total alarmed on its own


def test_a_gap_in_the_register_is_no_baseline(frozen, surge, village_a, panel_months, client):
    """A month without a single record in the regency is a hole in its register, not a month
    without incidents: read as zeros it would lower every village's baseline and make ordinary
    months look like surges. The months read begin after it, and the period says so."""
    from django.utils import translation

    from jaga.analytics.models import MonthlyIncidentCount
    from jaga.analytics.rebuild import rebuild_areas

    hole = add_months(LAST_MONTH, -12)
    MonthlyIncidentCount.objects.filter(month=hole).delete()
    rebuild_areas()
    t = Territory.objects.get(code="35.03")
    unit = Unit("35.03", t.name, ["35.03"], t.level, t)
    with translation.override("en"):
        r = warning.report(unit, LAST_MONTH)
    assert r["period"]["start"] == add_months(hole, 1).isoformat()[:7]
    assert r["period"]["left_out"] == [hole.isoformat()[:7]]
    assert (
        "gap in the register" in r["period"]["reason"] and "begin in" not in r["period"]["reason"]
    )
    mine = [a for a in r["alarms"] if a["village_code"] == village_a.code]
    assert len(mine) == 1 and mine[0]["observed"] == 20  # the planted surge still alarms
    # The province's page reads the coverage with totals (the cache's version): the same
    # period, the gap found there too.
    province = Unit("35", "Jawa Timur", ["35"], "province")
    report = warning.alarms_report(province, LAST_MONTH)
    assert report["period"]["left_out"] == [hole.isoformat()[:7]]
    assert [a["village_code"] for a in report["alarms"]] == [a["village_code"] for a in r["alarms"]]


def test_the_fast_parts_of_the_scan_give_what_the_plain_ones_give():
    """`scan_active` (only series with an incident in the window), `group_totals` (a sparse
    product) and `_ranks` (a table over the values) against the plain computations, bit for
    bit, on counts and on fractional values."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from jaga.analytics.stats import scan

    @settings(max_examples=80, deadline=None)
    @given(st.integers(1, 60), st.integers(1, 8), st.booleans(), st.integers(0, 2**32 - 1))
    def check(n: int, groups_n: int, fractional: bool, seed: int) -> None:
        rng = np.random.default_rng(seed)
        obs = rng.poisson(rng.choice([0.0, 0.3, 4.0]), (n, 6)).astype(float)
        mu = rng.uniform(scan.MU_FLOOR, 5.0, (n, 6))
        plain = scan.scan(obs, mu)
        fast = scan.scan_active(obs, mu)
        for a, b in zip(plain, fast, strict=True):
            assert a.tolist() == b.tolist()
        base = rng.poisson(2.0, (n, 30)).astype(np.float32)
        if fractional:
            base += rng.random(base.shape).astype(np.float32)
        groups = rng.integers(0, groups_n, n)
        by_month = np.stack(
            [np.bincount(groups, weights=base[:, t], minlength=groups_n) for t in range(30)],
            axis=1,
        )
        assert scan.group_totals(base, groups, groups_n).tolist() == by_month.tolist()
        values = rng.integers(0, 50, n) * 1000
        assert warning._ranks(values).tolist() == np.unique(values, return_inverse=True)[1].tolist()

    check()
