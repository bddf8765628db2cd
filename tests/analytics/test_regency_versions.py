"""The roll-up version of each regency (`RegencyVersion`), moved by database triggers whenever
one of its district or regency rows is written, and what is cached under it: the coverage
(per process) and the early-warning alarms (shared cache). Nothing cached is read after the
figures behind it moved, even when their sums did not."""

from __future__ import annotations

import datetime

import pytest

from jaga.analytics import warning
from jaga.analytics.coverage import coverage_and_versions, regency_coverage
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount, RegencyVersion
from jaga.analytics.rebuild import rebuild_areas
from jaga.analytics.rollups import add_area_counts, bump_incidents
from jaga.core.months import add_months
from jaga.incidents.models import Category
from tests.analytics.conftest import LAST_MONTH
from tests.analytics.test_warning_regencies import keys, plant_both, unit

pytestmark = pytest.mark.django_db

REGENCY = "35.03"


def version(code: str) -> int | None:
    return (
        RegencyVersion.objects.filter(regency_code=code).values_list("version", flat=True).first()
    )


def test_every_writer_of_the_area_roll_up_moves_its_regencys_version(villages):
    village = villages[0]
    theft = Category.objects.get(code="pencurian").pk
    assert version(REGENCY) is None  # no row yet
    seen = []

    def moved() -> int:
        now = version(REGENCY)
        assert now is not None and now not in seen, seen
        seen.append(now)
        return now

    bump_incidents(village, LAST_MONTH, theft, 2)  # inserts the rows
    moved()
    bump_incidents(village, LAST_MONTH, theft, 1)  # updates them
    moved()
    add_area_counts(
        {(village.pk, LAST_MONTH, theft): 3},
        {village.pk: (village.province_code, village.regency_code, village.district_code)},
    )
    moved()
    rebuild_areas()  # TRUNCATE (PostgreSQL) or DELETE, then INSERT ... SELECT
    moved()
    AreaMonthlyCount.objects.filter(level="district").update(count=1)  # a plain UPDATE
    moved()
    AreaMonthlyCount.objects.filter(level="regency").delete()
    moved()


def test_the_coverage_follows_a_new_month_at_once(frozen, villages):
    village = villages[0]
    bump_incidents(
        village, add_months(LAST_MONTH, -3), Category.objects.get(code="pencurian").pk, 1
    )
    bump_incidents(village, LAST_MONTH, Category.objects.get(code="pencurian").pk, 1)
    (first,) = regency_coverage(unit(REGENCY))
    assert (first.first, first.last, first.months_with_records) == (
        add_months(LAST_MONTH, -3),
        LAST_MONTH,
        2,
    )
    assert regency_coverage(unit("35")) == [first]  # from this process's entry, same figures
    later = add_months(LAST_MONTH, 1)
    bump_incidents(village, later, Category.objects.get(code="pencurian").pk, 1)
    for code in (REGENCY, "35", "*"):
        (now,) = regency_coverage(unit(code))
        assert (now.first, now.last, now.months_with_records) == (first.first, later, 3), code
    # A unit kept across the write reads its memo; asked fresh, it reads the new version.
    kept = unit("35")
    coverage_and_versions(kept)
    bump_incidents(village, add_months(later, 1), Category.objects.get(code="pencurian").pk, 1)
    assert coverage_and_versions(kept)[0][0].last == later
    assert coverage_and_versions(kept, fresh=True)[0][0].last == add_months(later, 1)


def test_moving_incidents_inside_a_regency_is_never_served_from_the_cache(frozen, villages):
    """The surge moved to another village of the same regency: the regency's incident total and
    its number of roll-up rows do not change (the version the cache keys used to name), its
    alarms do."""
    surge, _blitar_surge = plant_both(villages, LAST_MONTH)
    theft = Category.objects.get(code="pencurian").pk
    before = warning.alarms_report(unit(REGENCY), LAST_MONTH)["alarms"]
    assert any(a["village_code"] == surge.code for a in before)
    quiet = villages[0]
    rows = AreaMonthlyCount.objects.filter(level="regency", area_code=REGENCY).count()
    for month in (add_months(LAST_MONTH, -1), LAST_MONTH):
        n = MonthlyIncidentCount.objects.get(village=surge, month=month, category_id=theft).count
        bump_incidents(surge, month, theft, -n)
        bump_incidents(quiet, month, theft, n)
    assert AreaMonthlyCount.objects.filter(level="regency", area_code=REGENCY).count() == rows
    for code in (REGENCY, "35"):
        after = warning.alarms_report(unit(code), LAST_MONTH)["alarms"]
        computed = warning.alarms(unit(code), LAST_MONTH)
        assert keys(after) == keys(computed), code
        assert not any(
            a["village_code"] == surge.code and a["month"] >= add_months(LAST_MONTH, -1)
            for a in after
        )


def test_versions_never_repeat_after_the_table_is_emptied(villages):
    village = villages[0]
    theft = Category.objects.get(code="pencurian").pk
    bump_incidents(village, LAST_MONTH, theft, 1)
    first = version(REGENCY)
    RegencyVersion.objects.all().delete()
    bump_incidents(village, LAST_MONTH, theft, 1)
    assert version(REGENCY) not in (None, first)


def test_a_regency_without_rows_has_no_coverage(villages):
    assert regency_coverage(unit(REGENCY)) == []
    bump_incidents(
        villages[0], datetime.date(2026, 1, 1), Category.objects.get(code="pencurian").pk, 1
    )
    assert [c.code for c in regency_coverage(unit(REGENCY))] == [REGENCY]


@pytest.mark.parametrize("code", ["35", "*"])
def test_a_province_or_the_country_sums_what_its_regencies_hold_now(frozen, villages, code):
    """Above a regency the dashboard sums each regency's rows as the process keeps them: after a
    new incident the figures are those read from the roll-up, not the ones kept."""
    from jaga.analytics import queries
    from tests.analytics.test_dashboard_counts import separate

    theft = Category.objects.get(code="pencurian").pk
    for i, village in enumerate(villages[:20]):
        for back in range(30):
            bump_incidents(village, add_months(LAST_MONTH, -back), theft, 1 + (i + back) % 3)
    before = queries.dashboard_counts(unit(code), LAST_MONTH)
    bump_incidents(villages[3], LAST_MONTH, theft, 5)
    bump_incidents(
        villages[4], add_months(LAST_MONTH, -14), Category.objects.get(code="miras").pk, 2
    )
    got = queries.dashboard_counts(unit(code), LAST_MONTH)
    comp, series, sparks = separate(unit(code))
    assert got.comp.total.current == before.comp.total.current + 5
    assert [r.as_dict() for r in got.comp.rows] == [r.as_dict() for r in comp.rows]
    assert got.series[-36:] == series
    assert [(s["territory"].code, s["values"]) for s in got.sparks] == [
        (s["territory"].code, s["values"]) for s in sparks
    ]
