"""Reads of the roll-ups for dashboards and the API: CompStat, series, figures, coverage.

Everything here reads MonthlyIncidentCount / MonthlyMetric (a handful of GROUP BY queries per
page, whatever the number of incidents); nothing reads the raw incident table.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

import numpy as np
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jaga.accounts.models import Posting, Role
from jaga.analytics import dashcache
from jaga.analytics.coverage import (
    Period,
    coverage_and_versions,
    coverage_tag,
    gap_months,
    period_for,
    regency_coverage,
)
from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.stats import compstat as cs
from jaga.analytics.stats import trend as tr
from jaga.analytics.units import Unit
from jaga.core.memo import Memo
from jaga.core.months import add_months, months_between
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.incidents.models import Category
from jaga.programs import metrics as programme_metrics
from jaga.servicedesk import metrics as desk_metrics
from jaga.territory.models import NormSetting, Population, Territory

# The figures of the other apps, by metric name (they fill MonthlyMetric in their transactions).
REQUEST_METRICS: list[str] = list(desk_metrics.ALL)
ACTIVITY_METRICS: list[str] = list(programme_metrics.ACTIVITY_FIGURES)
ATTENDANCE_METRICS: list[str] = list(programme_metrics.ATTENDANCE_FIGURES)
VISIT_METRICS: list[str] = [fieldwork_metrics.VISITS_COUNT]
GLANCE_METRICS = REQUEST_METRICS + ACTIVITY_METRICS + ATTENDANCE_METRICS + VISIT_METRICS


def category_ids_with_children(code: str) -> list[int]:
    """The category and every descendant (one query; the tree is small)."""
    rows = list(Category.objects.values_list("id", "code", "parent_id"))
    root = next((r[0] for r in rows if r[1] == code), None)
    if root is None:
        return []
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, _code, parent in rows:
        children[parent].append(pk)
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, []))
    return out


def population_of(unit: Unit) -> tuple[int, int | None]:
    """Latest-year population of the unit's villages (0, None when unknown). One query.

    The villages are a subquery on the ancestor-code index, so that the population table is read
    through its village index (a regency: a nested loop over its villages) instead of being
    scanned whole, and no list of a province's thousands of ids travels to Python and back.
    """
    if "population" in unit.memo:
        cached: tuple[int, int | None] = unit.memo["population"]
        return cached
    rows = Population.objects.all()
    if unit.level != "country":
        villages = Territory.objects.filter(unit.population_q_territory(), level="village")
        rows = rows.filter(village_id__in=villages.values("id"))
    latest = rows.values("year").annotate(n=Sum("count")).order_by("-year").first()
    result = (0, None) if latest is None else (int(latest["n"] or 0), int(latest["year"]))
    unit.memo["population"] = result
    return result


def counts_of(unit: Unit) -> QuerySet[Any]:
    """Rows with `month`, `category_id` and `count` that sum to the unit's incidents.

    Districts and regencies read the area roll-up (a few hundred rows per regency and year);
    villages read the village roll-up; a province or the country sums its regencies.
    """
    levels = {len(c.split(".")) for c in unit.codes}
    if levels <= {2, 3}:
        return AreaMonthlyCount.objects.filter(area_code__in=unit.codes)
    if unit.level == "country":
        return AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY)
    if levels == {1}:
        return AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY, parent_code__in=unit.codes)
    return MonthlyIncidentCount.objects.filter(unit.rollup_q())


# The depth of each level's codes (PP / PP.RR / PP.RR.DD) and the area rows that hold it.
AREA_DEPTH = {"province": 1, "regency": 2, "district": 3}


def area_counts_by(unit: Unit, by: str) -> QuerySet[Any] | None:
    """The area roll-up rows inside the unit, with `code` naming the unit's child at level `by`
    (district, regency or province), or None when the area rows cannot give it (by village, or a
    unit smaller than the level's areas: a village, or a district asked by regency). Their sums
    equal those of the village roll-up grouped by the same code."""
    if by not in AREA_DEPTH:
        return None
    level = AreaLevel.DISTRICT if by == "district" else AreaLevel.REGENCY
    row_depth = 3 if by == "district" else 2
    qs = AreaMonthlyCount.objects.filter(level=level).annotate(
        code=F("parent_code" if by == "province" else "area_code")
    )
    if unit.level == "country":
        return qs
    parts = []
    for c in unit.codes:
        depth = len(c.split("."))
        if depth > row_depth:
            return None
        if depth == row_depth:
            parts.append(Q(area_code=c))
        elif depth == row_depth - 1:
            parts.append(Q(parent_code=c))
        else:  # a province's districts: their parents are its regencies
            parts.append(Q(parent_code__startswith=c + "."))
    return qs.filter(reduce(or_, parts))


# --- CompStat ----------------------------------------------------------------------------------


@dataclass
class CompRow:
    category_id: int | None
    code: str
    name: str
    current: int = 0
    previous: int = 0
    last_year: int = 0
    ytd: int = 0
    ytd_last_year: int = 0
    rate: float | None = None
    change_prev: float | None = None
    change_last_year: float | None = None
    change_ytd: float | None = None
    p_prev: float = 1.0
    p_last_year: float = 1.0
    p_ytd: float = 1.0
    # Whether the register covers the compared months: outside its coverage a count is unknown
    # (shown as "—", no change, no test), never zero.
    prev_known: bool = True
    last_year_known: bool = True
    ytd_known: bool = True
    # Whether this year's own months to date are all covered: with a gap in them (or a register
    # that begins inside the year) the year-to-date count is incomplete, so unknown.
    ytd_current_known: bool = True

    def finish(
        self, month: datetime.date, population: int, known: tuple[bool, bool, bool] | None = None
    ) -> None:
        if known is not None:
            self.prev_known, self.last_year_known, self.ytd_known = known
        prev_days = (month - add_months(month, -1)).days
        cur_days = (add_months(month, 1) - month).days
        if self.prev_known:
            self.change_prev = cs.pct_change(self.current, self.previous)
            self.p_prev = cs.poisson_change_p(self.current, self.previous, cur_days / prev_days)
        if self.last_year_known:
            self.change_last_year = cs.pct_change(self.current, self.last_year)
            self.p_last_year = cs.poisson_change_p(self.current, self.last_year)
        if self.ytd_known:
            self.change_ytd = cs.pct_change(self.ytd, self.ytd_last_year)
            self.p_ytd = cs.poisson_change_p(self.ytd, self.ytd_last_year)
        self.rate = cs.rate_per_10k(self.current, population or None)

    @property
    def signal_prev(self) -> bool:
        return self.p_prev < 0.05

    @property
    def signal_last_year(self) -> bool:
        return self.p_last_year < 0.05

    @property
    def signal_ytd(self) -> bool:
        return self.p_ytd < 0.05

    def as_dict(self) -> dict[str, Any]:
        """The row; a compared count outside the register's coverage is None (unknown)."""
        out = {
            k: getattr(self, k)
            for k in (
                "code", "name", "current", "previous", "last_year", "ytd", "ytd_last_year",
                "rate", "change_prev", "change_last_year", "change_ytd", "p_prev",
                "p_last_year", "p_ytd",
            )
        }  # fmt: skip
        if not self.prev_known:
            out["previous"] = None
        if not self.last_year_known:
            out["last_year"] = None
        if not self.ytd_known:
            out["ytd_last_year"] = None
        if not self.ytd_current_known:
            out["ytd"] = None
        return out


@dataclass
class CompStat:
    unit: Unit
    month: datetime.date
    population: int
    population_year: int | None
    rows: list[CompRow] = field(default_factory=list)
    total: CompRow | None = None
    period: Period | None = None  # the register's coverage over the months compared

    @property
    def known(self) -> bool:
        """Whether the register covers the month itself (else its counts are unknown)."""
        p = self.period
        return p is None or (
            p.start is not None
            and p.end is not None
            and p.start <= self.month <= p.end
            and self.month not in p.left_out
        )

    def notice(self) -> str:
        """Why the month has no figures, when it is outside the register's coverage."""
        p = self.period
        if self.known or p is None:
            return ""
        if p.start is None or p.end is None or not p.regencies:
            return _("The register has no records for this area; this month is unknown, not zero.")
        first = max(r.first for r in p.regencies)
        last = min(r.last for r in p.regencies)
        if self.month in p.left_out:
            return _(
                "The register of this area has no record at all in %(month)s in some regency: "
                "a gap, so this month is unknown, not zero."
            ) % {"month": self.month.isoformat()[:7]}
        if self.month > last:
            return _(
                "The register of this area ends in %(end)s; this month is unknown, not zero."
            ) % {"end": last.isoformat()[:7]}
        return _(
            "The register of this area begins in %(start)s; this month is unknown, not zero."
        ) % {"start": first.isoformat()[:7]}


def compstat(unit: Unit, month: datetime.date) -> CompStat:
    """Counts by category for the month against the previous month, the same month last year and
    year to date, with % change and the exact Poisson test. Four queries."""
    start = datetime.date(month.year - 1, 1, 1)
    data = (
        counts_of(unit)
        .filter(month__gte=start, month__lte=month)
        .values_list("category_id", "month")
        .annotate(n=Sum("count"))
    )
    return compstat_from(unit, month, data)


def compstat_from(
    unit: Unit, month: datetime.date, data: Iterable[tuple[int, datetime.date, int | None]]
) -> CompStat:
    """The CompStat table from (category_id, month, count) rows; rows outside the months it
    compares (January of last year to `month`) are ignored."""
    start = datetime.date(month.year - 1, 1, 1)
    prev = add_months(month, -1)
    ly = add_months(month, -12)
    categories = {c.pk: c for c in Category.objects.all()}
    rows: dict[int, CompRow] = {}
    for cid, m, count in data:
        if m < start or m > month:
            continue
        n = int(count or 0)
        cat = categories[cid]
        row = rows.setdefault(cid, CompRow(cid, cat.code, cat.name))
        if m == month:
            row.current += n
        if m == prev:
            row.previous += n
        if m == ly:
            row.last_year += n
        if m.year == month.year and m <= month:
            row.ytd += n
        if m.year == month.year - 1 and m.month <= month.month:
            row.ytd_last_year += n
    population, year = population_of(unit)
    period = period_for(unit, start, month)
    covered = period_for(unit, month, month, period.regencies)  # the month itself
    # Gaps (a month without a single record in some regency) are unknown, not zero: the month
    # itself, or a month a comparison needs.
    holes = set(gap_months(unit, start, month, period.regencies)) if not period.empty else set()
    covered.left_out = sorted(h for h in holes if h == month)
    comp = CompStat(unit, month, population, year, period=covered)
    if not comp.known:
        # No table of zeros: the month is unknown. The total stays (for callers that sum it)
        # with every comparison unknown; `known` and `notice()` say why there is no figure.
        comp.total = CompRow(
            None,
            "",
            "",
            prev_known=False,
            last_year_known=False,
            ytd_known=False,
            ytd_current_known=False,
        )
        comp.total.finish(month, population)
        return comp
    first = max((r.first for r in period.regencies), default=start)
    year_to_date = [
        m for m in holes if m.month <= month.month and m.year in (month.year, month.year - 1)
    ]
    known = (
        first <= prev and prev not in holes,
        first <= ly and ly not in holes,
        first <= start and not year_to_date,  # January of last year: both years to date covered
    )
    this_year = datetime.date(month.year, 1, 1)
    current_known = first <= this_year and not any(m.year == month.year for m in year_to_date)
    ordered = sorted(rows.values(), key=lambda r: (-r.current, -r.ytd, r.code))
    total = CompRow(None, "", "", ytd_current_known=current_known)
    for r in ordered:
        r.ytd_current_known = current_known
        r.finish(month, population, known)
        for f in ("current", "previous", "last_year", "ytd", "ytd_last_year"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
    total.finish(month, population, known)
    comp.rows, comp.total = ordered, total
    return comp


# --- Series and trend --------------------------------------------------------------------------


def incident_series(
    unit: Unit, start: datetime.date, end: datetime.date, category_ids: list[int] | None = None
) -> tuple[list[datetime.date], list[int]]:
    """Monthly totals of the unit from `start` to `end` (zeros filled). One query."""
    qs = counts_of(unit).filter(month__gte=start, month__lte=end)
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    found = dict(qs.values("month").annotate(n=Sum("count")).values_list("month", "n"))
    months = months_between(start, end)
    return months, [int(found.get(m, 0)) for m in months]


def trend(
    unit: Unit,
    end: datetime.date,
    months: int = 36,
    category_code: str | None = None,
    counts: DashboardCounts | None = None,
) -> dict[str, Any]:
    """GLM trend (population offset, month-of-year) and Mann-Kendall on the unit's series.

    With `counts` (the dashboard's one read, all categories, the same `end` and `months`) the
    series is taken from it instead of being read again.
    """
    period = period_for(unit, add_months(end, -(months - 1)), end)
    if period.empty or period.start is None or period.end is None:
        return {
            "months": [],
            "counts": [],
            "population": None,
            "population_year": None,
            "fit": None,
            "period": period.as_dict(),
        }
    start, end = period.start, period.end
    month_list = months_between(start, end)
    if (
        counts is not None
        and category_code is None
        and start in counts.months
        and end in counts.months
    ):
        i = counts.months.index(start)
        series = counts.series[i : i + len(month_list)]
    else:
        ids = category_ids_with_children(category_code) if category_code else None
        month_list, series = incident_series(unit, start, end, ids)
    # A month without a single record in some regency is a hole in the register, not a month
    # without incidents: left out of the series and the fit (the coverage read gives it).
    period.left_out = gap_months(unit, start, end)
    if period.left_out:
        holes = set(period.left_out)
        kept = [(m, c) for m, c in zip(month_list, series, strict=True) if m not in holes]
        month_list, series = [m for m, _ in kept], [c for _, c in kept]
    population, year = population_of(unit)
    fit = tr.glm_trend(
        series,
        first_month=start.month,
        population=population or None,
        offsets=[(m.year - start.year) * 12 + m.month - start.month for m in month_list],
    )
    return {
        "months": [m.isoformat()[:7] for m in month_list],
        "counts": series,
        "population": population,
        "population_year": year,
        "fit": fit,
        "period": period.as_dict(),
    }


def trend_with_gaps(
    trend_result: dict[str, Any],
) -> tuple[list[str], list[int | None], list[float | None] | None]:
    """The months of a `trend` result from its first to its last with a gap month (left out:
    some regency has no record at all, unknown and not zero) as None in the counts and the
    fitted line, for a chart that shows the gap instead of joining the months beside it."""
    kept = trend_result["months"]
    if not kept:
        return [], [], None
    first, last = (datetime.date.fromisoformat(m + "-01") for m in (kept[0], kept[-1]))
    months = [m.isoformat()[:7] for m in months_between(first, last)]
    where = {m: i for i, m in enumerate(kept)}
    counts = [trend_result["counts"][where[m]] if m in where else None for m in months]
    fit = trend_result["fit"]
    fitted = [fit.fitted[where[m]] if m in where else None for m in months] if fit else None
    return months, counts, fitted


def _children_counts(unit: Unit) -> tuple[QuerySet[Any], str, Q]:
    """The roll-up rows of the unit's child areas, the field naming the child, and the children."""
    levels = {len(c.split(".")) for c in unit.codes}
    if unit.level == "polsek" and len(unit.codes) > 1 and levels <= {2, 3}:
        return (
            AreaMonthlyCount.objects.filter(area_code__in=unit.codes),
            "area_code",
            Q(code__in=unit.codes),
        )
    children = Q(parent=unit.territory) if unit.territory else Q(parent__code__in=unit.codes)
    if levels == {3}:
        return MonthlyIncidentCount.objects.filter(unit.rollup_q()), "village__code", children
    if levels == {2}:
        qs = AreaMonthlyCount.objects.filter(level=AreaLevel.DISTRICT, parent_code__in=unit.codes)
        return qs, "area_code", children
    qs = AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY)
    if unit.level == "country":
        # The country's children are its provinces (38 lines, not 514 regencies): the regency
        # rows summed by the province they lie in.
        return qs, "parent_code", Q(level="province")
    return qs.filter(parent_code__in=unit.codes), "area_code", Q(parent__code__in=unit.codes)


def district_sparklines(unit: Unit, end: datetime.date, months: int = 24) -> list[dict[str, Any]]:
    """Monthly totals per child area (district of a regency, village of a district, ...)."""
    if unit.level == "village":
        return []
    start = add_months(end, -(months - 1))
    qs, field_name, _children = _children_counts(unit)
    rows = (
        qs.filter(month__gte=start, month__lte=end)
        .values(field_name, "month")
        .annotate(n=Sum("count"))
        .values_list(field_name, "month", "n")
    )
    return sparklines_from(unit, start, end, rows)


def sparklines_from(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    rows: Iterable[tuple[str, datetime.date, int | None]],
) -> list[dict[str, Any]]:
    """The sparkline of every child area from (child code, month, count) rows.

    A month in which some regency of the child has no record at all (a gap in its register, or a
    month before its register begins or after it ends: unknown, not zero) is None; the 12-month total is then None if the gap falls in it, and the
    Mann-Kendall test reads the known months only (as the unit's own trend does)."""
    series: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    for code, m, n in rows:
        series[code][m] = int(n or 0)
    month_list = months_between(start, end)
    # Per regency with records, the months of the window it does not cover: gaps in its
    # register and the months before it begins or after it ends (unknown, not zero).
    unknown = {
        r.code: set(r.missing) | {m for m in month_list if m < r.first or m > r.last}
        for r in regency_coverage(unit)
    }
    out = []
    for child in Territory.objects.filter(_children_counts(unit)[2]).order_by("code"):
        # A province's unknown months are those of any of its regencies; a smaller area's, its
        # regency's.
        regencies = (
            [".".join(child.code.split(".")[:2])]
            if "." in child.code
            else [r for r in unknown if r.startswith(child.code + ".")]
        )
        gaps: set[datetime.date] = set()
        for r in regencies:
            gaps |= unknown.get(r, set())
        own = series.get(child.code, {})
        values = [None if m in gaps else own.get(m, 0) for m in month_list]
        last = values[-12:]
        known = [v for v in values if v is not None]
        out.append(
            {
                "territory": child,
                "values": values,
                "total": None if None in last else sum(v for v in last if v is not None),
                "mk": tr.mann_kendall_of(tuple(float(v) for v in known)),
            }
        )
    return out


# --- The Polres dashboard in one read -----------------------------------------------------------


@dataclass
class DashboardCounts:
    """Everything the dashboard shows of incident counts, from ONE query on the roll-ups."""

    comp: CompStat
    months: list[datetime.date]  # the series' months, oldest first
    series: list[int]  # monthly totals of the unit (zeros filled)
    first_month: datetime.date | None  # earliest month with a roll-up row inside the series
    sparks: list[dict[str, Any]]


def _windows(
    end: datetime.date, months: int, spark_months: int
) -> tuple[datetime.date, datetime.date, datetime.date]:
    """The dashboard's first months: of the series, of the unit's own rows (the series and
    CompStat's two years) and of the sparklines."""
    start = add_months(end, -(months - 1))
    own_start = min(start, datetime.date(end.year - 1, 1, 1))
    return start, own_start, add_months(end, -(spark_months - 1))


Rows = list[tuple[str, int | None, datetime.date, int | None]]


def dashboard_counts(
    unit: Unit,
    end: datetime.date,
    months: int = 36,
    spark_months: int = 24,
    rows: Rows | None = None,
) -> DashboardCounts:
    """CompStat, the `months`-month series and the child sparklines in one round trip.

    The unit's own rows grouped by (category, month) and its children's rows grouped by
    (child, month) are read as one UNION ALL, each part on its own (covering) index; they are
    told apart by the child column (empty for the unit's own rows) and split here. The figures
    are those of compstat(), incident_series() and district_sparklines(), which read them in
    three queries. A province or the country sums its regencies' rows as this process keeps them
    (`regency_counts`) instead: the same rows, the same sums. `rows`: those rows, already read.
    """
    start, own_start, spark_start = _windows(end, months, spark_months)
    if rows is None and by_regency(unit):
        rows = _rows_from_regencies(unit, own_start, spark_start, end)
    elif rows is None:
        rows = _rows_read(unit, own_start, spark_start, end)
    own_rows = [(cat, m, n) for child, cat, m, n in rows if child == ""]
    child_rows = [(child, m, n) for child, cat, m, n in rows if child != ""]
    month_list = months_between(start, end)
    totals: dict[datetime.date, int] = defaultdict(int)
    for _cat, m, n in own_rows:
        totals[m] += int(n or 0)
    in_series = [m for _cat, m, _n in own_rows if m >= start]
    return DashboardCounts(
        comp=compstat_from(unit, end, [(c, m, n) for c, m, n in own_rows if c is not None]),
        months=month_list,
        series=[totals.get(m, 0) for m in month_list],
        first_month=min(in_series, default=None),
        sparks=[]
        if unit.level == "village"
        else sparklines_from(unit, spark_start, end, child_rows),
    )


# What a cached CompStat holds instead of its unit (given back on reading): the unit's memo holds
# the coverage of every regency, which the cache need not keep twice.
_NO_UNIT = Unit("", "", [], "")


def dashboard_figures(unit: Unit, end: datetime.date) -> tuple[DashboardCounts, dict[str, Any]]:
    """`dashboard_counts(unit, end)` and `trend(unit, end, counts=...)`, the dashboard's figures
    of incidents; a province's or the country's through the shared cache, keyed by every input
    (`jaga.analytics.dashcache`): the sums they are computed from (`regency_sums`, a digest of
    every cell), the register's coverage of each regency, the population, territory and
    category versions, the month and the language.

    The key names what was read, not the regencies' versions: a new incident outside the months
    shown (live recording's usual case, today's incidents on last month's dashboard) moves a
    version but neither the sums nor, once its month has a record, the coverage, so the figures
    are found again. A request after new data reads the versions, the rows and coverage of the
    regencies whose version moved (two small queries) and brings the kept sums up to date."""
    if not by_regency(unit):
        counts = dashboard_counts(unit, end)
        return counts, trend(unit, end, counts=counts)
    coverage, _versions = coverage_and_versions(unit)  # read before the figures: see dashcache
    _start, own_start, spark_start = _windows(end, 36, 24)
    sums = regency_sums(unit, own_start, spark_start, end)

    def stripped() -> tuple[DashboardCounts, dict[str, Any]]:
        # The population is kept apart: the country's is not summed again from its 83,762
        # villages when an incident moves the key (memo: CompStat and trend read it).
        unit.memo["population"] = dashcache.kept(
            unit, "population", [], dashcache.POPULATION_READ, lambda: population_of(unit)
        )
        # The rows digested in the key, not read again.
        counts = dashboard_counts(unit, end, rows=sums.rows())
        found = trend(unit, end, counts=counts)
        comp = dataclasses.replace(counts.comp, unit=_NO_UNIT)
        return dataclasses.replace(counts, comp=comp), found

    asked = [end.isoformat(), 36, 24, get_language(), sums.digest(), coverage_tag(coverage)]
    counts, found = dashcache.kept(unit, "dashboard", asked, dashcache.COUNTS_READ, stripped)
    counts.comp.unit = unit
    return counts, found


def _rows_read(
    unit: Unit, own_start: datetime.date, spark_start: datetime.date, end: datetime.date
) -> list[tuple[str, int | None, datetime.date, int | None]]:
    """The dashboard's rows (child "" and category: the unit's own by category and month; child
    and no category: each child's by month) in one query."""
    own_qs = counts_of(unit).filter(month__gte=own_start, month__lte=end).order_by()
    own: QuerySet[Any]
    if len(unit.codes) == 1 and len(unit.codes[0].split(".")) in (2, 3):
        # One district or regency: its rows are already one per (month, category).
        own = own_qs.annotate(child=Value(""), cat=F("category_id"), n=F("count"))
    else:
        own = (
            own_qs.annotate(child=Value(""), cat=F("category_id"))
            .values("child", "cat", "month")
            .annotate(n=Sum("count"))
        )
    own = own.values_list("child", "cat", "month", "n")
    if unit.level == "village":
        return list(own)
    qs, field_name, _children = _children_counts(unit)
    parts = (
        qs.filter(month__gte=spark_start, month__lte=end)
        .order_by()
        .annotate(child=F(field_name), cat=Value(None, output_field=IntegerField()))
        .values("child", "cat", "month")
        .annotate(n=Sum("count"))
        .values_list("child", "cat", "month", "n")
    )
    return list(own.union(parts, all=True))


# --- Above a regency: each regency's counts, kept per process under its version -----------------


@dataclass(frozen=True)
class RegencyCounts:
    """Every regency roll-up row of one regency, as arrays (months as year * 12 + month - 1)."""

    code: str
    parent: str
    month: np.ndarray
    category: np.ndarray
    count: np.ndarray


# {regency: (version, its rows)}: read once, used while the regency's version
# (`RegencyVersion`, moved by every write to its rows) stays the one they were read under.
_REGENCY_COUNTS: dict[str, tuple[int, RegencyCounts]] = {}


def by_regency(unit: Unit) -> bool:
    """Whether the unit's counts are summed from `regency_counts`: a province or the country."""
    return unit.level in ("province", "country") and all("." not in c for c in unit.codes)


def _month_index(m: datetime.date) -> int:
    return m.year * 12 + m.month - 1


def regency_counts(unit: Unit) -> list[RegencyCounts]:
    """The regency roll-up rows of every regency of a province or the country, by regency.

    The regencies' versions are read first (`coverage_and_versions`: the unit's memo, read once
    a request), then, in one query, the rows of the regencies this process has not read under
    that version: none once every regency is known, one regency after a new incident. A write
    committed in between makes the rows read newer than their version, never older."""
    _coverage, versions = coverage_and_versions(unit)
    missing = [
        code
        for code, version in versions.items()
        if (known := _REGENCY_COUNTS.get(code)) is None or known[0] != version
    ]
    if missing:
        qs = AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY)
        if len(missing) < len(versions):
            qs = qs.filter(area_code__in=missing)
        elif unit.level != "country":
            qs = qs.filter(parent_code__in=unit.codes)
        found: dict[str, list[tuple[str, datetime.date, int, int]]] = defaultdict(list)
        for code, parent, month, category, count in qs.values_list(
            "area_code", "parent_code", "month", "category_id", "count"
        ).order_by():
            found[code].append((parent, month, category, count))
        for code in missing:
            got = found.get(code, [])
            _REGENCY_COUNTS[code] = (
                versions[code],
                RegencyCounts(
                    code,
                    got[0][0] if got else code.split(".")[0],
                    np.array([_month_index(r[1]) for r in got], dtype=np.int64),
                    np.array([r[2] for r in got], dtype=np.int64),
                    np.array([r[3] for r in got], dtype=np.int64),
                ),
            )
    return [_REGENCY_COUNTS[code][1] for code in sorted(versions) if code in _REGENCY_COUNTS]


# (category, month, count) of a unit's own cells, then its children's codes and (child, month,
# count) of theirs (`_Sums.cells`).
_Cells = tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]


@dataclass
class _Sums:
    """A province's or the country's dashboard rows over one window of months, summed from its
    regencies' rows (`regency_counts`): counts and roll-up rows present by (category, month) and
    by (child, month), with the `RegencyCounts` each regency added (`held`). A regency whose
    rows moved is taken out (its old rows subtracted) and put in again (its new rows added):
    integer sums, exact whatever the order."""

    own_lo: int  # first month of the unit's own rows (a month index)
    spark_lo: int  # first month of the children's rows
    last: int  # last month of both
    held: dict[str, RegencyCounts] = field(default_factory=dict)
    own: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    own_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    children: dict[str, int] = field(default_factory=dict)  # child code: its row below
    child: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    child_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    def copy(self) -> _Sums:
        return dataclasses.replace(
            self,
            held=dict(self.held),
            own=self.own.copy(),
            own_rows=self.own_rows.copy(),
            children=dict(self.children),
            child=self.child.copy(),
            child_rows=self.child_rows.copy(),
        )

    def put(self, part: RegencyCounts, child_code: str, sign: int) -> None:
        """Add (`sign` 1) or subtract (-1) one regency's rows."""
        inside = (part.month >= self.own_lo) & (part.month <= self.last)
        width = int(part.category[inside].max(initial=-1)) + 1
        own_months = self.last - self.own_lo + 1
        if width > self.own.shape[0]:  # a category id beyond those summed so far
            grow = ((0, width - self.own.shape[0]), (0, 0))
            self.own = np.pad(self.own.reshape(-1, own_months), grow)
            self.own_rows = np.pad(self.own_rows.reshape(-1, own_months), grow)
        if width:
            cells = part.category[inside] * own_months + part.month[inside] - self.own_lo
            size = self.own.size
            counts = np.bincount(cells, weights=part.count[inside], minlength=size)
            self.own += sign * counts.astype(np.int64).reshape(self.own.shape)
            self.own_rows += sign * np.bincount(cells, minlength=size).reshape(self.own.shape)
        spark_months = self.last - self.spark_lo + 1
        if child_code not in self.children:
            self.children[child_code] = len(self.children)
            grow = ((0, 1), (0, 0))
            self.child = np.pad(self.child.reshape(-1, spark_months), grow)
            self.child_rows = np.pad(self.child_rows.reshape(-1, spark_months), grow)
        row = self.children[child_code]
        inside = (part.month >= self.spark_lo) & (part.month <= self.last)
        at = part.month[inside] - self.spark_lo
        counts = np.bincount(at, weights=part.count[inside], minlength=spark_months)
        self.child[row] += sign * counts.astype(np.int64)
        self.child_rows[row] += sign * np.bincount(at, minlength=spark_months)

    def cells(self) -> _Cells:
        """The cells with a roll-up row, in one order whatever the order the regencies were
        summed in: (category, month, count) of the unit's own, ordered by category and month,
        then the children's codes and (child, month, count), ordered by code and month (months
        counted from the window's first)."""
        cats, months = np.nonzero(self.own_rows)
        order = sorted(self.children)
        at = np.array([self.children[c] for c in order], dtype=np.int64)
        present = np.asarray(self.child_rows[at].any(axis=1), dtype=bool)
        names = [c for c, p in zip(order, present.tolist(), strict=True) if p]
        kept = at[present]
        rows, child_months = np.nonzero(self.child_rows[kept])
        return (
            cats,
            months,
            self.own[cats, months],
            names,
            rows,
            child_months,
            self.child[kept][rows, child_months],
        )

    def digest(self) -> str:
        """A digest of the window and its cells (`cells`): equal digests, equal rows."""
        h = hashlib.sha256(f"{self.own_lo},{self.spark_lo},{self.last}".encode())
        cats, months, counts, names, rows, child_months, child_counts = self.cells()
        for a in (cats, months, counts, rows, child_months, child_counts):
            h.update(f"|{len(a)}|".encode())
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
        h.update("\x1f".join(names).encode())
        return h.hexdigest()[:40]

    def rows(self) -> list[tuple[str, int | None, datetime.date, int | None]]:
        """The rows GROUP BY would give: one per (category, month) and (child, month) with a
        roll-up row."""

        def month_of(i: int) -> datetime.date:
            return datetime.date(i // 12, i % 12 + 1, 1)

        cats, months, counts, names, rows, child_months, child_counts = self.cells()
        out: list[tuple[str, int | None, datetime.date, int | None]] = [
            ("", c, month_of(self.own_lo + m), n)
            for c, m, n in zip(cats.tolist(), months.tolist(), counts.tolist(), strict=True)
        ]
        out.extend(
            (names[r], None, month_of(self.spark_lo + m), n)
            for r, m, n in zip(
                rows.tolist(), child_months.tolist(), child_counts.tolist(), strict=True
            )
        )
        return out


# {(unit, window): its sums}: a province's or the country's dashboard rows as last summed by
# this process, brought up to date by the regencies whose rows moved since. A few windows (the
# months asked for, the provinces viewed) of a few thousand cells each.
SUMS_KEPT = 64
_SUMS: Memo[tuple[str, tuple[str, ...], int, int, int], _Sums] = Memo(SUMS_KEPT)


def _rows_from_regencies(
    unit: Unit, own_start: datetime.date, spark_start: datetime.date, end: datetime.date
) -> list[tuple[str, int | None, datetime.date, int | None]]:
    """`_rows_read`'s rows for a province or the country, summed from `regency_counts`: a row
    for every (category, month) and (child, month) that has a roll-up row, as GROUP BY gives."""
    return regency_sums(unit, own_start, spark_start, end).rows()


def regency_sums(
    unit: Unit, own_start: datetime.date, spark_start: datetime.date, end: datetime.date
) -> _Sums:
    """The sums of a province's or the country's rows over the window, from `regency_counts`.

    The sums of the window are kept (`_SUMS`): a request after new data subtracts the old rows
    of each regency whose version moved and adds its new ones (a few hundred rows), instead of
    summing the 324,393 regency rows of the country again. Kept sums are never changed in place
    (a copy is brought up to date, then kept): what a caller holds stays as it was."""
    parts = regency_counts(unit)
    if unit.level != "country":
        parts = [p for p in parts if p.parent in unit.codes]
    codes = () if unit.level == "country" else tuple(sorted(unit.codes))
    key = (unit.level, codes, _month_index(own_start), _month_index(spark_start), _month_index(end))
    sums = _SUMS.pop(key, None)
    current = {p.code: p for p in parts}
    if sums is None:
        sums = _Sums(key[2], key[3], key[4])
    elif any(sums.held.get(code) is not p for code, p in current.items()) or any(
        code not in current for code in sums.held
    ):
        sums = sums.copy()

    def child_of(p: RegencyCounts) -> str:
        # The country's children are its provinces, a province's its regencies.
        return p.parent if unit.level == "country" else p.code

    for code, old in list(sums.held.items()):
        if current.get(code) is not old:  # read again under a new version, or gone
            sums.put(old, child_of(old), -1)
            del sums.held[code]
    for code, p in current.items():
        if code not in sums.held:
            sums.put(p, child_of(p), 1)
            sums.held[code] = p
    _SUMS.put(key, sums)
    return sums


def rollup_by_regency(
    unit: Unit, by: str, first: datetime.date, last: datetime.date
) -> list[tuple[str, datetime.date, int]] | None:
    """Σ incidents per (regency or province, month) of a province or the country from `first` to
    `last`, ordered by code and month: the rows `area_counts_by(unit, by)` grouped by code and
    month gives (a row where a roll-up row exists), summed from `regency_counts` instead of read.
    None when they cannot be (`by` a district or village, a unit not a province or the country).

    The query grouped the country's regency rows of a year ordered by code (6,168 groups of
    108,000 rows): with the page's LIMIT, PostgreSQL walked the roll-up's key in code order
    through a million district rows (0.5-0.6 s), else sorted on disk."""
    if by not in ("regency", "province") or not by_regency(unit):
        return None
    parts = regency_counts(unit)
    if unit.level != "country":
        parts = [p for p in parts if p.parent in unit.codes]
    if not any(len(p.month) for p in parts):
        return []
    names = [p.code if by == "regency" else p.parent for p in parts]
    codes, code_of_part = np.unique(np.array(names, dtype=str), return_inverse=True)
    month = np.concatenate([p.month for p in parts])
    count = np.concatenate([p.count for p in parts])
    code = np.repeat(code_of_part, [len(p.month) for p in parts])
    # The months asked for, cut to those with rows (a start in year 1 asks for 24,000 months).
    lo = max(_month_index(first), int(month.min()))
    hi = min(_month_index(last), int(month.max()))
    if hi < lo:
        return []
    inside = (month >= lo) & (month <= hi)
    width = hi - lo + 1
    # Code-major keys: in key order the rows come out by code, then month. The sums are float64,
    # exact for any count below 2**53.
    keys = code[inside] * width + (month[inside] - lo)
    present = np.bincount(keys, minlength=len(codes) * width) > 0
    sums = np.bincount(keys, weights=count[inside], minlength=len(codes) * width)
    at = np.flatnonzero(present)
    return [
        (
            str(codes[k // width]),
            datetime.date((lo + k % width) // 12, (lo + k % width) % 12 + 1, 1),
            int(n),
        )
        for k, n in zip(at.tolist(), sums[at].tolist(), strict=True)
    ]


# --- Other monthly figures ----------------------------------------------------------------------


def metric_totals(
    unit: Unit, start: datetime.date, end: datetime.date, metrics: list[str]
) -> dict[str, int]:
    """Σ value per metric over the months (all keys). One query."""
    rows = (
        MonthlyMetric.objects.filter(
            unit.rollup_q(), month__gte=start, month__lte=end, metric__in=metrics
        )
        .values("metric")
        .annotate(n=Sum("value"))
    )
    out = dict.fromkeys(metrics, 0)
    for r in rows:
        out[r["metric"]] = int(r["n"] or 0)
    return out


def ratio(num: int, den: int) -> float | None:
    """Σnumerator / Σdenominator as a percentage, never an average of ratios."""
    return num / den * 100 if den else None


def glance_figures(unit: Unit, month: datetime.date) -> dict[str, Any]:
    """The month's desk, activity, attendance and visit figures with the previous month's."""
    cur = metric_totals(unit, month, month, GLANCE_METRICS)
    prev_month = add_months(month, -1)
    prev = metric_totals(unit, prev_month, prev_month, GLANCE_METRICS)

    def rates(d: dict[str, int]) -> dict[str, float | None]:
        return {
            "resolved_pct": ratio(d[desk_metrics.RESOLVED], d[desk_metrics.RECEIVED]),
            "in_time_pct": ratio(d[desk_metrics.RESOLVED_IN_TIME], d[desk_metrics.RESOLVED]),
            "response_pct": ratio(d[programme_metrics.RESPONDED], d[programme_metrics.INVITED]),
            "attendance_pct": ratio(d[programme_metrics.ATTENDED], d[programme_metrics.INVITED]),
            "on_time_pct": ratio(d[programme_metrics.ON_TIME], d[programme_metrics.ATTENDED]),
            "represented_pct": ratio(
                d[programme_metrics.REPRESENTED], d[programme_metrics.ATTENDED]
            ),
        }

    year = metric_totals(
        unit, add_months(month, -11), month, [desk_metrics.RECEIVED, desk_metrics.RESOLVED]
    )
    return {
        "current": cur,
        "previous": prev,
        "c": {k.replace(".", "_"): v for k, v in cur.items()},
        "rates": rates(cur),
        "previous_rates": rates(prev),
        # Reports received in the last 12 months minus those resolved: the desk's open load.
        "backlog": max(0, year[desk_metrics.RECEIVED] - year[desk_metrics.RESOLVED]),
    }


# --- Coverage ----------------------------------------------------------------------------------


def norm(key: str) -> NormSetting | None:
    return NormSetting.objects.filter(key=key).first()


def coverage(
    unit: Unit, on: datetime.date | None = None, limit: int | None = None, offset: int = 0
) -> dict[str, Any]:
    """`coverage_counted`; today's of a province or the country through the shared cache, keyed
    by the day, the page of villages asked for and the population, territory, posting and norm
    versions (`jaga.analytics.dashcache`): two queries instead of five on 83,762 villages."""
    if on is not None or unit.level not in dashcache.LARGE_LEVELS:
        return coverage_counted(unit, on, limit, offset)
    # Postings are valid by the local day, villages by the server's date: both in the key.
    asked = [timezone.localdate().isoformat(), datetime.date.today().isoformat(), limit, offset]  # noqa: DTZ011
    return dashcache.kept(
        unit,
        "coverage",
        asked,
        dashcache.COVERAGE_READ,
        lambda: coverage_counted(unit, None, limit, offset),
    )


def coverage_counted(
    unit: Unit, on: datetime.date | None = None, limit: int | None = None, offset: int = 0
) -> dict[str, Any]:
    """Residents per Bhabinkamtibmas and per officer, villages without one, against the norms.

    Postings active `on` that day (today by default: a monthly report asks for its month's end).
    The counts are counted by the database; `villages_without` lists the villages without a
    Bhabinkamtibmas by code, all of them or `limit` from `offset` (a province or the country has
    thousands): `villages_without_count` is their number either way.
    """
    villages = Territory.objects.filter(unit.village_q()).current()
    posting_q = Q()
    for c in unit.codes:
        posting_q |= Q(territory__code=c) | Q(territory__code__startswith=c + ".")
    postings = Posting.objects.active(on).filter(posting_q)
    posted = postings.filter(role=Role.BHABIN).values("territory__code")
    people = postings.aggregate(
        bhabins=Count("user_id", distinct=True, filter=Q(role=Role.BHABIN)),
        officers=Count(
            "user_id",
            distinct=True,
            filter=Q(role__in=[Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER]),
        ),
    )
    bhabins, officers = int(people["bhabins"]), int(people["officers"])
    counted = villages.aggregate(n=Count("id"), covered=Count("id", filter=Q(code__in=posted)))
    village_count, covered = int(counted["n"]), int(counted["covered"])
    uncovered: list[tuple[str, str]] = []
    if limit != 0 and covered < village_count:
        rows = villages.exclude(code__in=posted).order_by("code").values_list("code", "name")
        uncovered = list(rows[offset : offset + limit] if limit is not None else rows[offset:])
    population, year = population_of(unit)
    norms = {n.key: n for n in NormSetting.objects.all()}
    per_village = norms.get("bhabin_per_village")
    needed = village_count * float(per_village.value if per_village else Decimal(1))
    return {
        "villages": village_count,
        "population": population,
        "population_year": year,
        "bhabinkamtibmas": bhabins,
        "officers": officers,
        "villages_covered": covered,
        "villages_without": uncovered,
        "villages_without_count": village_count - covered,
        "residents_per_bhabin": population / bhabins if bhabins and population else None,
        "residents_per_officer": population / officers if officers and population else None,
        "bhabin_needed": needed,
        "bhabin_gap": max(0.0, needed - bhabins),
        "norms": [
            {
                "key": n.key,
                "label": n.label,
                "value": float(n.value),
                "reference": n.reference,
                "commonly_cited": n.commonly_cited,
            }
            for n in norms.values()
        ],
    }
