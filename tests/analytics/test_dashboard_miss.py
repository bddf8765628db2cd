"""The dashboard of a province or the country after new data: each process keeps its sums by
(category, month) and (child, month) over the months shown and brings them up to date by the
regencies whose roll-up version moved (`queries.regency_sums`), and the shared cache keeps the
figures under what they were computed from (a digest of those sums and of the register's
coverage), not under the regencies' versions.

Every answer after a change is compared with one computed from nothing (the shared cache and the
process's kept rows, sums and coverage emptied). Changes are written the way a bulk writer
would (`QuerySet.update`, a delete, no signal) or through the roll-up writer."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.core.cache import cache
from django.db.models import F

from jaga.analytics import coverage, queries
from jaga.analytics.models import AreaMonthlyCount
from jaga.analytics.rollups import bump_incidents
from jaga.analytics.units import Unit
from jaga.core.months import add_months
from jaga.incidents.models import Category
from jaga.territory.models import Territory
from tests.analytics.conftest import LAST_MONTH, put_count
from tests.analytics.test_large_scopes import world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

API = "/api/v1/analytics/dashboard?territory={}&month=2026-10"
KEPT = ("compstat", "trend", "areas")


def forget() -> None:
    """Empty the shared cache and what this process keeps (rows, sums, coverage by version)."""
    cache.clear()
    queries._SUMS.clear()
    queries._REGENCY_COUNTS.clear()
    coverage._COVERAGE.clear()


@pytest.fixture
def planted(world):  # noqa: F811
    """Incidents and residents in sixteen villages of two regencies of 35 (35.03, 35.99)."""
    return world


@pytest.fixture(autouse=True)
def _nothing_kept():
    forget()  # each test starts with what a new process holds


def _answer(client, territory: str) -> dict:
    response = client.get(API.format(territory))
    assert response.status_code == 200
    return {k: response.json()[k] for k in KEPT}


def _afresh(client, territory: str) -> dict:
    forget()
    return _answer(client, territory)


def unit(code: str) -> Unit:
    if code == "*":
        return Unit("*", "Indonesia", ["35"], "country")
    t = Territory.objects.get(code=code)
    return Unit(code, t.display_name, [code], t.level, t)


def _regency_rows(code: str, month: datetime.date):
    return AreaMonthlyCount.objects.filter(level="regency", area_code=code, month=month)


# Changes inside the months shown, each to one regency (35.99) or two (35.03 and 35.99).
def _bump(villages):
    put_count(villages[-1], LAST_MONTH, "miras", 7)


def _update_regency_row(villages):
    _regency_rows("35.99", LAST_MONTH).update(count=F("count") + 3)


def _delete_regency_rows(villages):
    _regency_rows("35.99", add_months(LAST_MONTH, -1)).delete()


def _new_category(villages):
    category = Category.objects.create(
        code="baru", name_id="Baru", name_en="New", group=Category.objects.first().group
    )
    bump_incidents(villages[0], LAST_MONTH, category.pk, 4)
    bump_incidents(villages[-1], add_months(LAST_MONTH, -13), category.pk, 2)


def _two_regencies(villages):
    put_count(villages[0], add_months(LAST_MONTH, -12), "pencurian", 9)
    _regency_rows("35.99", LAST_MONTH).update(count=F("count") - 1)


INSIDE = [_bump, _update_regency_row, _delete_regency_rows, _new_category, _two_regencies]


@pytest.mark.parametrize("territory", ["*", "35"])
@pytest.mark.parametrize("change", INSIDE, ids=[c.__name__ for c in INSIDE])
def test_a_change_inside_the_months_shown_gives_the_figures_computed_afresh(
    planted, admin_client_, territory, change
):
    before = _answer(admin_client_, territory)
    change(planted)
    after = _answer(admin_client_, territory)  # the kept sums brought up to date
    assert after == _afresh(admin_client_, territory)
    assert after != before


def test_kept_sums_equal_the_grouped_rows_through_many_changes(planted):
    """Random changes to the regency rows, one or two regencies at a time: after each, the sums
    brought up to date equal the database's GROUP BY and sums made from nothing."""
    rng = np.random.default_rng(13)
    categories = list(Category.objects.values_list("pk", flat=True)[:4])
    own_start, spark_start = datetime.date(2023, 11, 1), add_months(LAST_MONTH, -23)
    months = [add_months(LAST_MONTH, -i) for i in range(40)]
    for step in range(12):
        for _ in range(1 + step % 2):
            village = planted[int(rng.integers(len(planted)))]
            month = months[int(rng.integers(len(months)))]
            bump_incidents(
                village, month, categories[int(rng.integers(4))], int(rng.integers(1, 5))
            )
        if step % 4 == 3:  # a regency loses a month, every category of it
            _regency_rows("35.03", months[int(rng.integers(12))]).delete()
        for code in ("*", "35"):
            u = unit(code)
            kept = sorted(queries._rows_from_regencies(u, own_start, spark_start, LAST_MONTH))
            read = sorted(queries._rows_read(unit(code), own_start, spark_start, LAST_MONTH))
            queries._SUMS.clear()
            afresh = sorted(
                queries._rows_from_regencies(unit(code), own_start, spark_start, LAST_MONTH)
            )
            assert kept == read == afresh, (step, code)


@pytest.mark.parametrize("territory", ["*", "35"])
def test_an_incident_after_the_months_shown_finds_the_figures_again(
    planted, admin_client_, territory, monkeypatch
):
    """Today's incident on last month's dashboard: the regency's version moves, its rows are
    read again, but neither the sums of the months shown nor the coverage move (its month
    already has records): the figures come from the cache, not computed again."""
    later = add_months(LAST_MONTH, 1)
    put_count(planted[0], later, "miras", 1)  # the month after already has records in 35.03
    put_count(planted[-1], later, "miras", 1)  # and in 35.99
    before = _answer(admin_client_, territory)
    put_count(planted[-1], later, "pencurian", 5)
    computed = []
    real = queries.dashboard_counts
    monkeypatch.setattr(
        queries, "dashboard_counts", lambda *a, **k: computed.append(1) or real(*a, **k)
    )
    after = _answer(admin_client_, territory)
    assert computed == []
    assert after == before == _afresh(admin_client_, territory)


@pytest.mark.parametrize("territory", ["*", "35"])
def test_a_register_that_starts_earlier_is_computed_again(planted, admin_client_, territory):
    """A record years before the months shown moves no sum, but the regency's register now
    begins then: the months in between are a gap (unknown, not zero) in the months shown, so the
    figures change. The coverage is in the key."""
    before = _answer(admin_client_, territory)
    put_count(planted[-1], datetime.date(2020, 1, 1), "miras", 1)
    after = _answer(admin_client_, territory)
    assert after == _afresh(admin_client_, territory)
    assert after["trend"] != before["trend"]


def test_after_one_new_incident_only_the_moved_rows_and_lines_are_tested_again(planted):
    """The exact Poisson tests of CompStat and the Mann-Kendall test of each child's line are
    remembered by their counts: after one incident in one category of one regency, only that
    category's row and the total are tested again (3 tests each), and only that province's or
    regency's line."""
    from jaga.analytics.stats import compstat as cs
    from jaga.analytics.stats import trend as tr

    cs._poisson_change_p.cache_clear()  # earlier tests may have tested the same counts
    tr._mann_kendall_of.cache_clear()
    for code in ("*", "35"):
        queries.dashboard_counts(unit(code), LAST_MONTH)
    poisson, lines = cs._poisson_change_p.cache_info(), tr._mann_kendall_of.cache_info()
    put_count(planted[-1], LAST_MONTH, "miras", 7)  # 35.99
    got = queries.dashboard_counts(unit("35"), LAST_MONTH)
    assert cs._poisson_change_p.cache_info().misses - poisson.misses <= 6
    assert tr._mann_kendall_of.cache_info().misses - lines.misses == 1
    forget()
    cs._poisson_change_p.cache_clear()
    tr._mann_kendall_of.cache_clear()
    afresh = queries.dashboard_counts(unit("35"), LAST_MONTH)
    assert [r.as_dict() for r in got.comp.rows] == [r.as_dict() for r in afresh.comp.rows]
    assert [s["mk"] for s in got.sparks] == [s["mk"] for s in afresh.sparks]
