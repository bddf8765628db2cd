"""The areas' sparklines: a month in which the register has no record at all (a gap) is unknown,
not a dip to zero; it breaks the line, is marked, and counts in no total or trend."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jaga.analytics import queries
from jaga.analytics.models import MonthlyIncidentCount
from jaga.analytics.rebuild import rebuild_areas
from jaga.analytics.stats import trend as tr
from jaga.analytics.units import Unit
from jaga.core.months import add_months
from jaga.territory.models import Territory

from .conftest import LAST_MONTH, bulk_counts

pytestmark = pytest.mark.django_db


def unit(code: str) -> Unit:
    if code == "*":
        return Unit("*", "Indonesia", ["35"], "country")
    t = Territory.objects.get(code=code)
    return Unit(code, t.display_name, [code], t.level, t)


def with_gap(villages, panel_months, *holes) -> list:
    """Two incidents a month in every village (a rising count in the last months), the months
    `holes` (offsets from LAST_MONTH) without a single record in the regency."""
    y = np.full((len(villages), len(panel_months)), 2)
    y[:, -6:] = 3
    bulk_counts(villages, panel_months, y, "pencurian")
    gaps = [add_months(LAST_MONTH, -h) for h in holes]
    MonthlyIncidentCount.objects.filter(month__in=gaps).delete()
    rebuild_areas()
    return gaps


@pytest.mark.parametrize("code", ["35.03", "35.03.11", "35", "*"])
def test_a_gap_month_is_none_in_every_area_of_the_regency(frozen, villages, panel_months, code):
    (gap,) = with_gap(villages, panel_months, 4)
    got = queries.dashboard_counts(unit(code), LAST_MONTH)
    months = got.months[-24:]
    at = months.index(gap)
    assert got.sparks
    for s in got.sparks:
        assert s["values"][at] is None, s["territory"].code
        assert None not in s["values"][:at] + s["values"][at + 1 :]
        # The gap is in the last 12 months: their total is unknown, not the sum without it.
        assert s["total"] is None
        known = [v for v in s["values"] if v is not None]
        assert s["mk"] == tr.mann_kendall(np.asarray(known, dtype=float))
    # The separate read gives the same.
    separate = queries.district_sparklines(unit(code), LAST_MONTH)
    assert [(s["territory"].code, s["values"], s["total"]) for s in separate] == [
        (s["territory"].code, s["values"], s["total"]) for s in got.sparks
    ]


def test_a_gap_before_the_last_12_months_leaves_their_total_known(frozen, villages, panel_months):
    (gap,) = with_gap(villages, panel_months, 15)
    sparks = queries.dashboard_counts(unit("35.03"), LAST_MONTH).sparks
    district = next(s for s in sparks if s["territory"].code == "35.03.11")
    n = Territory.objects.filter(code__startswith="35.03.11.", level="village").count()
    assert district["values"][-16] is None
    assert district["total"] == n * (6 * 2 + 6 * 3)


def test_the_direction_does_not_read_a_gap_as_a_fall(frozen, villages, panel_months):
    """Months of a steady count with gaps late in them: read as zeros they make a falling
    series; left out, there is no trend."""
    y = np.full((len(villages), len(panel_months)), 2)
    bulk_counts(villages, panel_months, y, "pencurian")
    gaps = [add_months(LAST_MONTH, -h) for h in (1, 3, 5, 7)]
    MonthlyIncidentCount.objects.filter(month__in=gaps).delete()
    rebuild_areas()
    for s in queries.dashboard_counts(unit("35.03"), LAST_MONTH).sparks:
        assert s["mk"].trend == "no trend", s["territory"].code


def test_the_dashboard_breaks_the_sparkline_and_marks_the_gap(
    frozen, villages, panel_months, leader_client
):
    (gap,) = with_gap(villages, panel_months, 4)
    url = f"/analitik/?territory=35.03&month={LAST_MONTH:%Y-%m}"
    html = leader_client.get(url).content.decode()
    sparks = re.findall(r'<svg class="chart spark".*?</svg>', html)
    assert len(sparks) == Territory.objects.filter(parent__code="35.03").count()
    tip = "tidak ada catatan sama sekali di salah satu kabupaten/kota: tidak diketahui, bukan nol"
    for svg in sparks:
        assert svg.count("<polyline") == 2  # the line broken at the gap, not drawn down to zero
        assert f">?<title>{gap:%Y-%m}: {tip}</title>" in svg
        assert ", ?, " in re.search(r'aria-label="([^"]*)"', svg).group(1)
    # The 12-month totals are unknown, not a sum that counts the gap as zero.
    assert re.search(rf"to={LAST_MONTH:%Y-%m}\">—</a></td>", html)
    assert "?: bulan tanpa catatan sama sekali" in html  # the mark explained, in Indonesian


def test_the_api_gives_a_gap_as_null(frozen, villages, panel_months, leader_client):
    (gap,) = with_gap(villages, panel_months, 4)
    url = f"/api/v1/analytics/dashboard?territory=35.03&month={LAST_MONTH:%Y-%m}"
    areas = leader_client.get(url).json()["areas"]
    assert areas and all(a["values"][-5] is None for a in areas)
    assert all(None not in a["values"][-4:] for a in areas)


def test_months_after_the_register_ends_or_before_it_begins_are_unknown(
    frozen, villages, panel_months, leader_client
):
    """A register that ends three months before the dashboard's month (an import of history
    up to then) or begins inside the sparklines' window: those months are unknown, not a fall to
    zero; each stretch of them is marked once."""
    y = np.full((len(villages), len(panel_months)), 2)
    bulk_counts(villages, panel_months, y, "pencurian")
    ends = add_months(LAST_MONTH, -3)
    begins = add_months(LAST_MONTH, -19)
    MonthlyIncidentCount.objects.filter(month__gt=ends).delete()
    MonthlyIncidentCount.objects.filter(month__lt=begins).delete()
    rebuild_areas()
    got = queries.dashboard_counts(unit("35.03"), LAST_MONTH)
    months = got.months[-24:]
    for s in got.sparks:
        for m, v in zip(months, s["values"], strict=True):
            assert (v is None) == (m > ends or m < begins), (s["territory"].code, m)
        assert s["total"] is None  # the last 12 months hold three unknown ones
        assert s["mk"].trend == "no trend"  # a steady count, not a fall to zero
    html = leader_client.get(f"/analitik/?territory=35.03&month={LAST_MONTH:%Y-%m}").content
    svg = re.findall(r'<svg class="chart spark".*?</svg>', html.decode())[0]
    assert svg.count(">?<title>") == 2  # one mark for each stretch, not one a month
    after = f"{add_months(ends, 1):%Y-%m} – {LAST_MONTH:%Y-%m}: "
    assert f">?<title>{after}" in svg
