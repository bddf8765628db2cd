"""Issue 11 item 1: months outside the register's coverage are unknown, never zero."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.utils import translation

from jaga.analytics import coverage, evaluation, queries
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.analytics.rebuild import rebuild_areas
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.core.months import add_months
from jaga.territory.models import Territory

from .conftest import LAST_MONTH, bulk_counts

pytestmark = pytest.mark.django_db


def regency_unit() -> Unit:
    t = Territory.objects.get(code="35.03")
    return Unit("35.03", t.display_name, ["35.03"], t.level, t)


def cut_register(after: datetime.date) -> None:
    """The register ends at `after`: the history was imported up to that month."""
    MonthlyIncidentCount.objects.filter(month__gt=after).delete()
    rebuild_areas()


def test_the_period_ends_with_the_records_and_says_why(frozen, villages, panel_months):
    y = np.full((len(villages), len(panel_months)), 2)
    bulk_counts(villages, panel_months, y, "pencurian")
    ends = add_months(LAST_MONTH, -7)
    cut_register(ends)
    period = coverage.period_for(regency_unit(), add_months(LAST_MONTH, -35), LAST_MONTH)
    assert period.end == ends and period.start == add_months(LAST_MONTH, -35)
    with translation.override("en"):
        assert "end in " + ends.isoformat()[:7] in period.reason()
        assert "unknown, not zero" in period.reason()
    t = queries.trend(regency_unit(), LAST_MONTH)
    assert t["months"][-1] == ends.isoformat()[:7]
    assert 0 not in t["counts"]  # no month read as zero
    assert t["period"]["end"] == ends.isoformat()[:7]


def test_a_gap_inside_the_period_is_reported(frozen, villages, panel_months):
    y = np.full((len(villages), len(panel_months)), 1)
    y[:, 30] = 0  # one month missing from the register
    bulk_counts(villages, panel_months, y, "pencurian")
    period = coverage.period_for(regency_unit(), panel_months[0], LAST_MONTH)
    assert period.gaps == 1
    with translation.override("en"):
        assert "1 month(s)" in period.reason()
    # The trend leaves the hole out rather than reading it as a month without incidents.
    t = queries.trend(regency_unit(), LAST_MONTH, months=len(panel_months))
    assert panel_months[30].isoformat()[:7] not in t["months"]
    assert 0 not in t["counts"] and len(t["counts"]) == len(panel_months) - 1
    assert t["period"]["left_out"] == [panel_months[30].isoformat()[:7]]
    assert t["fit"] is not None and t["fit"].months == len(panel_months) - 1


def test_charts_show_a_gap_instead_of_joining_the_months_beside_it(
    frozen, villages, panel_months, leader_client
):
    import re

    from jaga.core.charts import column_chart, line_chart
    from jaga.core.charts.columns import Part

    y = np.full((len(villages), len(panel_months)), 1)
    hole = len(panel_months) - 5
    y[:, hole] = 0  # one month missing from the register, inside the dashboard's 36
    bulk_counts(villages, panel_months, y, "pencurian")
    t = queries.trend(regency_unit(), LAST_MONTH)
    months, counts, fitted = queries.trend_with_gaps(t)
    gap = months.index(panel_months[hole].isoformat()[:7])
    assert counts[gap] is None and fitted is not None and fitted[gap] is None
    assert None not in counts[:gap] + counts[gap + 1 :] and len(months) == len(t["months"]) + 1
    # The fitted line is two lines, not one across the gap; the gap month has its mark.
    svg = str(column_chart(months, [[Part("", counts)]], title="t", trend=fitted, withheld="?"))
    assert svg.count('stroke="#6b1d1d" stroke-width="2"') == 2 * 2  # two drawings, two runs each
    assert ">?<title>" in svg
    lines = str(line_chart(months, [("a", counts)], "t"))
    assert len(re.findall(r"<polyline", lines)) == 2 * (2 + 1)  # two runs and the legend's swatch
    # The dashboard and the Anev trend use it.
    page = leader_client.get("/analitik/?territory=35.03").content.decode()
    assert ">?<title>" in page
    assert "kabupaten/kota: tidak diketahui, bukan nol</title>" in page  # said in Indonesian
    from jaga.reports import anev

    section = anev.trend(Territory.objects.get(code="35.03"), LAST_MONTH)
    assert section["counts"][gap] is None and section["fitted"][gap] is None
    from jaga.reports.render import chart_context

    regency = Territory.objects.get(code="35.03")
    parts = {"trend": section, "compstat": anev.compstat(regency, LAST_MONTH)}
    drawn = str(chart_context(regency, LAST_MONTH, parts)["chart_trend"])
    assert drawn.count(">?<title>") == 2  # the Anev's chart marks the gap, in both drawings


def test_a_gap_last_year_leaves_this_years_count_to_date_known(frozen, villages, panel_months):
    y = np.full((len(villages), len(panel_months)), 1)
    bulk_counts(villages, panel_months, y, "pencurian")
    MonthlyIncidentCount.objects.filter(month=add_months(LAST_MONTH, -13)).delete()
    rebuild_areas()
    total = queries.compstat(regency_unit(), LAST_MONTH).total
    assert total is not None and not total.ytd_known  # last year's to date has the gap
    assert total.ytd_current_known and total.as_dict()["ytd"] == len(villages) * LAST_MONTH.month


def test_the_evaluation_is_not_diluted_by_months_after_the_register_ends(frozen, programme_panel):
    full = evaluation.evaluate("KTS", regency_unit())
    ends = add_months(LAST_MONTH, -6)
    cut_register(ends)
    cut = evaluation.evaluate("KTS", regency_unit())
    assert cut["end"] == ends.isoformat()[:7] and cut["period"]["end"] == cut["end"]
    # Reading the six missing months as zeros would shrink the effect towards zero; with the
    # coverage the estimate stays where the full register puts it (the truth is -1.5).
    assert cut["ci_low"] < -1.5 < cut["ci_high"]
    assert abs(cut["att"] - full["att"]) < 0.3
    assert cut["statement"]["period"]


def test_no_records_after_adoption_is_a_clear_error(frozen, programme_panel):
    cut_register(add_months(LAST_MONTH, -40))  # before every adoption
    with pytest.raises(DomainError) as exc:
        evaluation.evaluate("KTS", regency_unit())
    assert exc.value.code == "no_coverage"


def test_an_area_without_records_has_no_period(db):
    assert not AreaMonthlyCount.objects.exists()
    period = coverage.period_for(regency_unit(), datetime.date(2025, 1, 1), LAST_MONTH)
    assert period.empty
    assert queries.trend(regency_unit(), LAST_MONTH)["fit"] is None


def test_months_missing_from_the_register_are_left_out_of_the_evaluation(
    frozen, villages, programme_panel, panel_months
):
    """Three months without a single record (one of them a wave's adoption month) are a hole in
    the register: the evaluation compares the months that remain, as the estimator does on the
    panel without those columns, and says so; read as zeros they would sink the adopters' series
    and the interrupted time series with it."""
    from jaga.analytics.stats.did import callaway_santanna

    hole = panel_months[29:32]
    MonthlyIncidentCount.objects.filter(month__in=hole).delete()
    rebuild_areas()
    with translation.override("en"):
        r = evaluation.evaluate("KTS", regency_unit())
    assert r["period"]["left_out"] == [m.isoformat()[:7] for m in hole]
    assert "left out" in r["statement"]["period"]
    first = panel_months.index(datetime.date.fromisoformat(r["start"] + "-01"))
    keep = [i for i in range(first, len(panel_months)) if panel_months[i] not in hole]
    y = programme_panel["y"][:, keep]
    cohort = np.array(
        [
            -1 if c < 0 else next(j for j, i in enumerate(keep) if i >= c)
            for c in programme_panel["cohort"]
        ]
    )
    expected = callaway_santanna(y, cohort, min_e=evaluation.EVENT_MIN, max_e=evaluation.EVENT_MAX)
    assert r["att"] == pytest.approx(expected.att)
    assert r["pre_slope_p"] == pytest.approx(expected.pre_slope_p)
    assert r["ci_low"] < -1.5 < r["ci_high"]
    assert r["its"] is not None and r["its"]["months"] == len(keep)
    # The other months of the window are all there: nothing else is left out.
    assert coverage.gap_months(regency_unit(), panel_months[0], LAST_MONTH) == list(hole)


def test_compstat_does_not_compare_with_a_gap(frozen, villages, panel_months, leader_client):
    """CompStat compares the month with the previous one and the same month last year: when the
    regency has no record at all in one of them, that comparison is unknown, not a rise from
    zero; when the month itself is a gap, there is no table, and the notice says why."""
    y = np.full((len(villages), len(panel_months)), 1)
    bulk_counts(villages, panel_months, y, "pencurian")
    prev = add_months(LAST_MONTH, -1)
    MonthlyIncidentCount.objects.filter(month=prev).delete()
    rebuild_areas()
    c = queries.compstat(regency_unit(), LAST_MONTH)
    assert c.known and c.total is not None
    assert not c.total.prev_known and c.total.as_dict()["previous"] is None
    assert c.total.last_year_known and c.total.as_dict()["last_year"] == len(villages)
    assert not c.total.ytd_known  # a month of this year is missing
    # ... so this year's own count to date is incomplete: unknown, not a smaller number.
    assert not c.total.ytd_current_known and c.total.as_dict()["ytd"] is None
    assert all(r.as_dict()["ytd"] is None for r in c.rows)
    page = leader_client.get(f"/analitik/?territory=35.03&month={LAST_MONTH:%Y-%m}").content
    assert f'from={LAST_MONTH:%Y}-01&amp;to={LAST_MONTH:%Y-%m}">—</a></th>'.encode() in page
    from jaga.reports import anev

    section = anev.compstat(Territory.objects.get(code="35.03"), LAST_MONTH)
    assert all(not g.ytd_current_known for g in section["groups"])
    c = queries.compstat(regency_unit(), prev)
    assert not c.known
    with translation.override("en"):
        assert "gap" in c.notice() and prev.isoformat()[:7] in c.notice()
