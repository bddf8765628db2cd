"""What the register covers: per regency, the months from its first record to its last.

Real registers start late, stop early and have gaps. A month outside a regency's coverage is
unknown, never zero: history imported up to 2024-12 says nothing of 2025, and reading 2025 as
zero incidents would halve a programme's estimated effect and invent a fall. The coverage is
inferred from the roll-ups (an import brings its period's records; live recording extends the
last month as records arrive). A regency records incidents every month, so a month inside the
span without a single record is a gap, reported with the period.

Every estimate (evaluation, trend, CompStat) asks `period_for` which months it may use and says
the period and the reason with its figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.analytics.models import AreaLevel, AreaMonthlyCount
from jaga.analytics.units import Unit
from jaga.core.months import months_between


@dataclass(frozen=True)
class RegencyCoverage:
    code: str
    first: datetime.date
    last: datetime.date
    months_with_records: int
    # With `regency_coverage(..., totals_over=(start, end))`: incidents and roll-up rows of the
    # regency in those months (the version the alarms' cache keys name).
    total: int | None = None
    rows: int | None = None
    # The months from first to last without a single record (known when the coverage was read
    # month by month, the default; None from the totals query).
    missing: tuple[datetime.date, ...] | None = None

    @property
    def gaps(self) -> int:
        return len(months_between(self.first, self.last)) - self.months_with_records


@dataclass
class Period:
    """The months an estimate uses, and why."""

    start: datetime.date | None
    end: datetime.date | None
    asked_start: datetime.date
    asked_end: datetime.date
    regencies: list[RegencyCoverage] = field(default_factory=list)
    # Months inside the period that an estimate left out because some regency of the area has
    # no record at all in them (`gap_months`): unknown, not zero.
    left_out: list[datetime.date] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.start is None or self.end is None or self.start > self.end

    @property
    def gaps(self) -> int:
        return sum(r.gaps for r in self.regencies)

    def reason(self) -> str:
        """One sentence: the period used and, when it is not the one asked for, why."""
        if self.empty:
            return _("The register has no records for this area in the months asked for.")
        assert self.start is not None and self.end is not None
        values = {"start": self.start.isoformat()[:7], "end": self.end.isoformat()[:7]}
        parts = [_("Period used: %(start)s to %(end)s.") % values]
        if self.end < self.asked_end:
            parts.append(
                _(
                    "The records of this area end in %(end)s; later months are unknown, not "
                    "zero, and are left out."
                )
                % values
            )
        if self.start > self.asked_start:
            parts.append(
                _("The records of this area begin in %(start)s; earlier months are left out.")
                % values
            )
        if self.left_out:
            parts.append(
                ngettext(
                    "%(n)s month without a single record in some regency (%(months)s) is "
                    "unknown, not zero, and left out.",
                    "%(n)s months without a single record in some regency (%(months)s) are "
                    "unknown, not zero, and left out.",
                    len(self.left_out),
                )
                % {
                    "n": len(self.left_out),
                    "months": ", ".join(m.isoformat()[:7] for m in self.left_out),
                }
            )
        elif self.gaps:
            parts.append(
                _(
                    "Inside the period, %(n)s month(s) of some regency have no record at all and "
                    "may be missing from the register."
                )
                % {"n": self.gaps}
            )
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat()[:7] if self.start else None,
            "end": self.end.isoformat()[:7] if self.end else None,
            "asked_start": self.asked_start.isoformat()[:7],
            "asked_end": self.asked_end.isoformat()[:7],
            "gaps": self.gaps,
            "left_out": [m.isoformat()[:7] for m in self.left_out],
            # Set by the early warning of a unit scanned regency by regency: in how many of
            # them the records end before the period's end.
            "regencies_ending_earlier": 0,
            "reason": self.reason(),
        }


def regency_coverage(
    unit: Unit, totals_over: tuple[datetime.date, datetime.date] | None = None
) -> list[RegencyCoverage]:
    """The coverage of every regency the unit touches that has records. One query, once per unit
    (a page asks for it several times: CompStat, the trend, the early warning).

    `totals_over` (first and last month): a query of its own that also sums each regency's
    incidents and counts its roll-up rows in those months (`total`, `rows`: the version the
    alarms' cache keys name), never taken from the unit's memo."""
    if totals_over is None and "regency_coverage" in unit.memo:
        cached: list[RegencyCoverage] = unit.memo["regency_coverage"]
        return cached
    qs = AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY)
    if unit.level != "country":
        regencies = {".".join(c.split(".")[:2]) for c in unit.codes if "." in c}
        provinces = {c for c in unit.codes if "." not in c}
        qs = qs.filter(Q(area_code__in=regencies) | Q(parent_code__in=provinces))
    if totals_over is not None:
        within = Q(month__gte=totals_over[0], month__lte=totals_over[1])
        rows = (
            qs.values("area_code")
            .annotate(
                first=Min("month"),
                last=Max("month"),
                n=Count("month", distinct=True),
                total=Sum("count", filter=within),
                rows=Count("id", filter=within),
            )
            .order_by("area_code")
        )
        with_totals = [
            RegencyCoverage(
                r["area_code"],
                r["first"],
                r["last"],
                r["n"],
                r["total"],
                r["rows"],
                # Without a gap nothing is missing; which months a gap holds needs the months.
                missing=() if len(months_between(r["first"], r["last"])) == r["n"] else None,
            )
            for r in rows
        ]
        with_totals = _with_missing_months(with_totals)
        unit.memo.setdefault(
            "regency_coverage",
            [
                RegencyCoverage(c.code, c.first, c.last, c.months_with_records, missing=c.missing)
                for c in with_totals
            ],
        )
        return with_totals
    # The distinct (regency, month) pairs, summed up here: a few thousand pairs for the whole
    # country, read from a covering index, where COUNT(DISTINCT month) per regency sorted every
    # row of every category (0.47 s against 0.22 s for the country).
    months: dict[str, list[datetime.date]] = defaultdict(list)
    for code, month in qs.values_list("area_code", "month").distinct().order_by():
        months[code].append(month)
    found = [
        RegencyCoverage(code, min(ms), max(ms), len(ms), missing=_missing(min(ms), max(ms), ms))
        for code, ms in sorted(months.items())
    ]
    unit.memo["regency_coverage"] = found
    return found


def _missing(
    first: datetime.date, last: datetime.date, present: Iterable[datetime.date]
) -> tuple[datetime.date, ...]:
    have = set(present)
    return tuple(m for m in months_between(first, last) if m not in have)


def _with_missing_months(found: list[RegencyCoverage]) -> list[RegencyCoverage]:
    """The coverage with the months of its gaps: one more query, only when some regency has a
    gap (without one nothing is missing)."""
    gappy = [c.code for c in found if c.missing is None]
    if not gappy:
        return found
    present: dict[str, set[datetime.date]] = defaultdict(set)
    for code, month in (
        AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY, area_code__in=gappy)
        .values_list("area_code", "month")
        .distinct()
        .order_by()
    ):
        present[code].add(month)
    return [
        c
        if c.missing is not None
        else replace(c, missing=_missing(c.first, c.last, present[c.code]))
        for c in found
    ]


def period_for(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    coverage: list[RegencyCoverage] | None = None,
) -> Period:
    """The months from `start` to `end` that every regency of the unit with records covers."""
    regencies = regency_coverage(unit) if coverage is None else coverage
    if not regencies:
        return Period(None, None, start, end)
    first = max(r.first for r in regencies)
    last = min(r.last for r in regencies)
    return Period(max(start, first), min(end, last), start, end, regencies)


def gap_months(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    coverage: list[RegencyCoverage] | None = None,
) -> list[datetime.date]:
    """The months from `start` to `end` in which some regency of the unit (of `coverage` when
    given) has no record at all while its register runs: a hole in it, not a month without
    incidents (a regency records something every month). From the coverage when it knows its
    missing months (no query), else one query over those regencies' roll-up."""
    found = regency_coverage(unit) if coverage is None else coverage
    holes = {
        m
        for r in found
        if r.missing is not None
        for m in r.missing
        if start <= m <= end and r.first <= m <= r.last
    }
    unknown = {r.code: r for r in found if r.missing is None}
    if unknown:
        months: dict[str, set[datetime.date]] = defaultdict(set)
        for code, month in (
            AreaMonthlyCount.objects.filter(
                level=AreaLevel.REGENCY,
                area_code__in=sorted(unknown),
                month__gte=start,
                month__lte=end,
            )
            .values_list("area_code", "month")
            .distinct()
            .order_by()
        ):
            months[code].add(month)
        for code, r in unknown.items():
            holes.update(
                m
                for m in months_between(max(start, r.first), min(end, r.last))
                if m not in months[code]
            )
    return sorted(holes)
