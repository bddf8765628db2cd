"""Early warning from the roll-ups: a Poisson likelihood-ratio scan per village x category and
per village total, all at once (`stats/scan.py`); one alarm per village and problem."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext as _

from jaga.analytics import series
from jaga.analytics.coverage import (
    Period,
    RegencyCoverage,
    coverage_and_versions,
    gap_months,
    period_for,
    regency_coverage,
    versions_tag,
)
from jaga.analytics.models import MonthlyIncidentCount
from jaga.analytics.stats.scan import ScanResult, alarms_without, poisson_scan
from jaga.analytics.units import Unit
from jaga.core.choose import territory_label
from jaga.core.memo import Memo
from jaga.core.months import add_months, months_between
from jaga.incidents.models import Category
from jaga.territory.models import Level, Territory

LEVEL_COLUMN = {1: "province_code", 2: "regency_code", 3: "district_code"}
WINDOW = 6  # months monitored
HISTORY = 36  # months of baseline before the window
ALPHA = 0.002  # nominal chance that a series in control alarms within the window (a regency
# has about 3,000 village x category series: some 6 false alarms per window, not 30)


@dataclass
class Matrix:
    village_ids: np.ndarray  # (series,)
    category_ids: np.ndarray  # (series,)
    months: list[datetime.date]
    counts: np.ndarray  # (series, months) float32


def incident_matrix(q: Q, start: datetime.date, end: datetime.date) -> Matrix:
    """The roll-up as a dense (village x category) by month matrix. One query."""
    months = months_between(start, end)
    index = {m: i for i, m in enumerate(months)}
    rows = list(
        MonthlyIncidentCount.objects.filter(q, month__gte=start, month__lte=end)
        .values_list("village_id", "category_id", "month", "count")
        .iterator(chunk_size=20_000)
    )
    if not rows:
        return Matrix(np.array([], int), np.array([], int), months, np.zeros((0, len(months))))
    v = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    c = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    t = np.fromiter((index[r[2]] for r in rows), dtype=np.int64, count=len(rows))
    n = np.fromiter((r[3] for r in rows), dtype=np.float32, count=len(rows))
    return matrix_from_arrays(v, c, t, n, months)


def _month_index(m: datetime.date) -> int:
    return m.year * 12 + m.month - 1


def incident_matrix_packed(unit: Unit, start: datetime.date, end: datetime.date) -> Matrix:
    """PostgreSQL: the same matrix from one array of every roll-up row packed in an 8-byte
    integer (village, category, month, count), parsed by numpy in one go (`_packed_read`).

    Sending every roll-up row as four values to format (7.6 million for the country over 42
    months) costs the server far more than reading them. The series come out sorted by village
    and category.
    """
    where: list[str] = []
    params: list[Any] = []
    if unit.level != "country":
        clauses = []
        for code in unit.codes:
            clauses.append(f"{LEVEL_COLUMN[len(code.split('.'))]} = %s")
            params.append(code)
        where.append("(" + " OR ".join(clauses) + ")")
    return _packed_read(start, end, where, params)[0]


def incident_matrix_by_regency(
    regencies: list[str], start: datetime.date, end: datetime.date
) -> tuple[Matrix, VillageRegencies]:
    """PostgreSQL: the packed read (`incident_matrix_packed`) of whole regencies, with the
    regency of each village read."""
    return _packed_read(start, end, ["regency_code = ANY(%s)"], [list(regencies)])


# One roll-up row packed in an int8 for the national read: village id (23 bits), category id
# (10), month index from the first month read (10), count plus COUNT_OFFSET (20 bits; a count
# outside +-524,287 incidents in one village, month and category is clamped).
PACK_VILLAGE_LIMIT = 1 << 23
PACK_CATEGORY_LIMIT = 1 << 10
COUNT_BITS = 20
COUNT_OFFSET = 1 << (COUNT_BITS - 1)
ARRAY_HEADER = 20  # array_send of a one-dimensional array: ndim, flags, type, length, lower bound


def _packed_read(
    start: datetime.date, end: datetime.date, where: list[str], params: list[Any]
) -> tuple[Matrix, VillageRegencies]:
    """Every roll-up row of the months packed in one 8-byte integer (village, category, month,
    count), all of them aggregated by PostgreSQL into ONE array sent in its binary form
    (`array_send`), which numpy reads as fixed-width records in one go.

    The server neither formats a value per row nor groups by village: a binary COPY sends one
    message per row (7.4 million for the country, 30 s of Python to receive), string_agg per
    village spent 15-20 s hashing 84,000 groups; one array_agg took 2.9 s on a loaded machine.
    """
    from django.db import connections, router, transaction

    months = months_between(start, end)
    if len(months) > 1 << 10:
        raise ValueError("the packed read holds at most 1,024 months")
    table = MonthlyIncidentCount._meta.db_table
    conditions = " AND ".join(["month >= %s", "month <= %s", *where])
    base = start.year * 12 + start.month - 1
    sql = (
        "SELECT array_send(array_agg(((village_id * %s + category_id) * %s + "  # noqa: S608
        "((date_part('year', month) * 12 + date_part('month', month))::int8 - 1 - %s)) * %s + "
        f"LEAST(GREATEST(count, %s), %s) + %s)) FROM {table} WHERE {conditions}"
    )
    alias = router.db_for_read(MonthlyIncidentCount)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(
            sql,
            [
                PACK_CATEGORY_LIMIT,
                1 << 10,
                base,
                1 << COUNT_BITS,
                1 - COUNT_OFFSET,
                COUNT_OFFSET - 1,
                COUNT_OFFSET,
                start,
                end,
                *params,
            ],
        )
        (blob,) = cursor.fetchone()
    if blob is None:
        empty = Matrix(np.array([], int), np.array([], int), months, np.zeros((0, len(months))))
        return empty, VillageRegencies(np.array([], np.int64), np.array([], dtype=object))
    packed = np.frombuffer(
        blob, dtype=np.dtype([("length", ">i4"), ("value", ">i8")]), offset=ARRAY_HEADER
    )["value"].astype(np.int64)
    n = (packed & ((1 << COUNT_BITS) - 1)) - COUNT_OFFSET
    rest = packed >> COUNT_BITS
    t = rest & ((1 << 10) - 1)
    rest >>= 10
    category = rest & (PACK_CATEGORY_LIMIT - 1)
    village = rest >> 10
    # Villages ranked by a table over their ids (a few hundred thousand), not by sorting.
    seen = np.zeros(int(village.max()) + 1, dtype=bool)
    seen[village] = True
    villages = np.flatnonzero(seen)
    rank = (np.cumsum(seen) - 1)[village]
    matrix = matrix_from_indexed(villages, rank, category, t, n.astype(np.float32), months)
    regency_of = dict(
        Territory.objects.using(alias)
        .filter(level=Level.VILLAGE, pk__gte=int(villages[0]), pk__lte=int(villages[-1]))
        .values_list("id", "regency_code")
    )
    regencies = np.array([regency_of[int(v)] for v in villages], dtype=object)
    return matrix, VillageRegencies(villages, regencies)


@dataclass
class VillageRegencies:
    """The regency of each village read (villages sorted)."""

    villages: np.ndarray
    regencies: np.ndarray

    @cached_property
    def _ranked(self) -> tuple[np.ndarray, np.ndarray]:
        names, per_village = np.unique(self.regencies.astype(str), return_inverse=True)
        return names, per_village

    def indices(self, village_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The regency codes read (sorted) and, for each village id given, its index there."""
        names, per_village = self._ranked
        if not len(village_ids):
            return names, np.array([], dtype=np.int64)
        return names, per_village[np.searchsorted(self.villages, village_ids)]


def matrix_from_sorted_keys(
    v: np.ndarray, c: np.ndarray, t: np.ndarray, n: np.ndarray, months: list[datetime.date]
) -> Matrix:
    """Pivot long arrays to the dense matrix, series sorted by (village, category): without
    hashing, by marking which of the (village, category) slots occur."""
    villages, v_index = np.unique(v, return_inverse=True)
    return matrix_from_indexed(villages, v_index, c, t, n, months)


def matrix_from_indexed(
    villages: np.ndarray,
    v_index: np.ndarray,
    c: np.ndarray,
    t: np.ndarray,
    n: np.ndarray,
    months: list[datetime.date],
) -> Matrix:
    """`matrix_from_sorted_keys` with the villages already ranked (`villages` sorted, `v_index`
    each row's place there). Category ids are small: they are ranked by a table, not sorted."""
    if not len(c):
        return Matrix(np.array([], int), np.array([], int), months, np.zeros((0, len(months))))
    seen = np.zeros(int(c.max()) + 1, dtype=bool)
    seen[c] = True
    categories = np.flatnonzero(seen)
    c_index = (np.cumsum(seen) - 1)[c]
    slot = v_index.astype(np.int64) * len(categories) + c_index
    present = np.zeros(len(villages) * len(categories), dtype=bool)
    present[slot] = True
    row_of_slot = np.cumsum(present) - 1
    occupied = np.flatnonzero(present)
    counts = np.zeros((len(occupied), len(months)), dtype=np.float32)
    # (village, category, month) is the roll-up's key: each cell is written once.
    counts[row_of_slot[slot], t] = n
    return Matrix(
        villages[occupied // len(categories)].astype(np.int64),
        categories[occupied % len(categories)].astype(np.int64),
        months,
        counts,
    )


def matrix_from_arrays(
    v: np.ndarray, c: np.ndarray, t: np.ndarray, n: np.ndarray, months: list[datetime.date]
) -> Matrix:
    """Pivot long (village, category, month index, count) arrays to the dense matrix."""
    import pandas as pd

    # Hash-based factorisation: several times faster than sorting millions of keys.
    codes, series = pd.factorize(v * 10_000 + c, sort=False)
    row = np.asarray(codes)
    series = np.asarray(series)
    counts = np.zeros((len(series), len(months)), dtype=np.float32)
    # (village, category, month) is the roll-up's key: each cell is written once, so a plain
    # assignment does it (np.add.at would be ten times slower on millions of rows).
    counts[row, t] = n
    return Matrix(series // 10_000, series % 10_000, months, counts)


ALL_CATEGORIES = 0  # category id of a village's total series


def with_village_totals(matrix: Matrix) -> Matrix:
    """Add one series per village summing its categories (category id ALL_CATEGORIES).

    A rise spread thinly over many categories can stay under every category's limit while the
    village's total clearly jumps: the total is watched too.
    """
    import pandas as pd

    if matrix.counts.shape[0] == 0:
        return matrix
    v = matrix.village_ids
    if bool(np.all(v[1:] >= v[:-1])):
        # Series sorted by village (the packed read): each village's rows are one block.
        first = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
        village_ids = v[first].astype(np.int64)
        totals = np.add.reduceat(matrix.counts, first, axis=0)
    else:
        frame = pd.DataFrame(matrix.counts).groupby(v, sort=False).sum()
        village_ids = frame.index.to_numpy(dtype=np.int64)
        totals = frame.to_numpy(dtype=np.float32)
    return Matrix(
        np.concatenate([matrix.village_ids, village_ids]),
        np.concatenate([matrix.category_ids, np.full(len(village_ids), ALL_CATEGORIES)]),
        matrix.months,
        np.vstack([matrix.counts, totals.astype(np.float32)]),
    )


def load_matrix(unit: Unit, start: datetime.date, end: datetime.date) -> Matrix:
    """Every village x category series of the unit, plus each village's total."""
    from django.db import connection

    big = unit.level in ("country", "province")
    if connection.vendor == "postgresql" and big and packable():
        return with_village_totals(incident_matrix_packed(unit, start, end))
    return with_village_totals(incident_matrix(unit.rollup_q(), start, end))


def packable() -> bool:
    """Village and category ids fit the packed integer of `_packed_read` (categories are a few
    dozen, villages some 84,000). Two reads of an index's end."""
    from django.db.models import Max

    top = Category.objects.aggregate(top=Max("id"))["top"] or 0
    village = Territory.objects.aggregate(top=Max("id"))["top"] or 0
    return bool(top < PACK_CATEGORY_LIMIT and village < PACK_VILLAGE_LIMIT)


def without_duplicate_totals(matrix: Matrix) -> Matrix:
    """Drop a village's total where it is the same series as one of its categories (a village
    whose incidents are all of one category): the same problem would be listed twice."""
    if matrix.counts.shape[0] == 0:
        return matrix
    keep = _unique_series(matrix)
    return Matrix(
        matrix.village_ids[keep], matrix.category_ids[keep], matrix.months, matrix.counts[keep]
    )


def _unique_series(matrix: Matrix) -> np.ndarray:
    """The rows `without_duplicate_totals` keeps (a boolean mask)."""
    is_total = matrix.category_ids == ALL_CATEGORIES
    active = ~is_total & (matrix.counts.sum(axis=1) > 0)
    # Series per village counted by a table over the ids (from the smallest), not sorted.
    offset = matrix.village_ids - int(matrix.village_ids.min())
    per_village = np.bincount(offset[active], minlength=int(offset.max()) + 1)
    keep: np.ndarray = ~(is_total & (per_village[offset] == 1))
    return keep


def one_alarm_per_problem(
    matrix: Matrix, result: ScanResult, hit: np.ndarray, alpha: float
) -> np.ndarray:
    """The alarmed rows, without a village's total that alarms only because some of its
    categories do: that is one problem, listed once (under its category). The total stays when
    the rest of the village's incidents, without the categories that alarmed, alarms on its own
    (a second problem spread thinly over other categories)."""
    is_total = matrix.category_ids[hit] == ALL_CATEGORIES
    parts: dict[int, list[int]] = {}
    for row in hit[~is_total].tolist():
        parts.setdefault(int(matrix.village_ids[row]), []).append(row)
    keep = [
        row
        for row in hit.tolist()
        if matrix.category_ids[row] != ALL_CATEGORIES
        or int(matrix.village_ids[row]) not in parts
        or alarms_without(result, row, np.array(parts[int(matrix.village_ids[row])]), alpha)
    ]
    return np.array(keep, dtype=np.int64)


def _use_cache_for_limits() -> None:
    """Keep the scan's simulated limits in Django's cache (no expiry): simulated once, not in
    every new process (about 5 s for each baseline length met)."""
    from django.core.cache import cache

    from jaga.analytics.stats import scan

    if scan.limit_store is None:
        scan.limit_store = (cache.get, lambda key, value: cache.set(key, value, None))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct values (`np.unique`'s inverse), by a table over the
    values when they are small non-negative integers (regency x category groups), without
    sorting a million of them."""
    if values.size and values.min() >= 0 and values.max() < 1 << 24:
        present = np.bincount(values) > 0
        ranks: np.ndarray = (np.cumsum(present) - 1)[values]
        return ranks
    return np.unique(values, return_inverse=True)[1]


def run(
    matrix: Matrix,
    window: int = WINDOW,
    alpha: float = ALPHA,
    groups: np.ndarray | None = None,
) -> ScanResult:
    """The scan of every series, the season and trend pooled by category (or by `groups`)."""
    _use_cache_for_limits()
    months_of_year = np.array([m.month for m in matrix.months])
    index = _ranks(matrix.category_ids if groups is None else groups)
    return poisson_scan(
        matrix.counts,
        window=window,
        groups=index,
        months_of_year=months_of_year,
        alpha=alpha,
        baseline_months=HISTORY,
    )


def alarm_period(
    unit: Unit,
    end: datetime.date,
    window: int = WINDOW,
    coverage: list[RegencyCoverage] | None = None,
) -> Period:
    """The months the scan reads for an end month asked for: the baseline and the window.

    Months outside the register's coverage are unknown, not zero: when the register of the area
    ends before `end`, the scan ends with its last month (read as zeros, the months after it
    would hide every surge and lower the baseline); months before it begins are no baseline.
    A month without a single record inside the register (a gap) is unknown too: the months read
    begin after the last gap (a register that stopped and restarted is a late start), and the
    period lists the gaps it left out.
    """
    regencies = regency_coverage(unit) if coverage is None else coverage
    last = min((r.last for r in regencies), default=end)
    used_end = min(end, last)  # the window ends with the register, baseline before it
    period = period_for(unit, add_months(used_end, -(window + HISTORY - 1)), used_end, regencies)
    period.asked_end = end
    if period.start is not None and period.end is not None and period.start <= period.end:
        holes = gap_months(unit, period.start, period.end, regencies)
        if holes:
            period.left_out = holes
            period.start = add_months(holes[-1], 1)
    return period


def alarms(
    unit: Unit,
    end: datetime.date,
    window: int = WINDOW,
    alpha: float = ALPHA,
    period: Period | None = None,
) -> list[dict[str, Any]]:
    """Alarms in the unit's villages over the last `window` months up to `end`, newest first.

    One alarm per village and problem (`one_alarm_per_problem`): a village x category series,
    or the village's total where it has more than one category and is not explained by a
    category that alarmed. Each alarm gives the 1-3 month window with the strongest evidence,
    with its first month (`month`), last month (`end_month`), observed and expected counts over
    it. The months read are those of `alarm_period`: when the register ends before `end`, the
    window ends with its last month; with fewer covered months than the window and one more,
    there is no alarm.

    A unit over several regencies (a province, the country) is scanned regency by regency
    (`regency_units`), each with its own period and its own season and trend, as each Polres
    sees it and as the monthly run stores it.
    """
    if period is None:
        coverage = regency_coverage(unit)
        parts = regency_units(unit, coverage)
        if parts:
            found = _scan_parts(parts, end, window, alpha, coverage)
            return _merged([entries for entries, _period in found.values()])
        period = alarm_period(unit, end, window, coverage)
    return _named(_scan_one(unit, period, window, alpha), spans_regencies(unit))


def regency_units(unit: Unit, coverage: list[RegencyCoverage]) -> list[Unit]:
    """The unit cut into one unit per regency when it spans more than one (empty otherwise):
    every regency with records of a province or of the country, and the codes of the unit
    inside each other regency."""
    from jaga.accounts.access import regency_of

    groups: dict[str, list[str]] = {}
    for code in unit.codes:
        regency = regency_of(code)
        if regency is not None:
            groups.setdefault(regency, []).append(code)
    provinces = {c for c in unit.codes if "." not in c}
    for regency_coverage_row in coverage:
        code = regency_coverage_row.code
        if unit.level == "country" or code.split(".")[0] in provinces:
            groups[code] = [code]
    if len(groups) < 2:
        return []
    depth = {2: Level.REGENCY, 3: Level.DISTRICT, 4: Level.VILLAGE}
    return [
        Unit(regency, regency, codes, depth[min(len(c.split(".")) for c in codes)])
        for regency, codes in sorted(groups.items())
    ]


def _scan_one(unit: Unit, period: Period, window: int, alpha: float) -> list[dict[str, Any]]:
    if period.empty or period.start is None or period.end is None:
        return []
    if len(months_between(period.start, period.end)) <= window:
        return []
    return _scan(load_matrix(unit, period.start, period.end), window, alpha)


def _scan_parts(
    parts: list[Unit],
    end: datetime.date,
    window: int,
    alpha: float,
    coverage: list[RegencyCoverage],
) -> dict[str, tuple[list[dict[str, Any]], Period]]:
    """Alarms (unnamed) and period of each part. The whole regencies among them are read from their stored packed
    matrices (`series.matrices`), then cut by month."""
    by_regency = {c.code: c for c in coverage}
    periods = {
        p.key: alarm_period(p, end, window, [by_regency[p.key]] if p.key in by_regency else [])
        for p in parts
    }
    out: dict[str, tuple[list[dict[str, Any]], Period]] = {}
    spans: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in parts:
        period = periods[p.key]
        if (
            p.codes == [p.key]
            and period.start is not None
            and period.end is not None
            and len(months_between(period.start, period.end)) > window
        ):
            spans[p.key] = (period.start, period.end)
    if len(spans) > 1 and stored_series():
        stored = series.matrices([by_regency[code] for code in sorted(spans)])
        # Regencies with the same period (nearly always all of them) are scanned together, with
        # one pooled season and trend per regency and category: the same model as scanning each
        # alone, in one vectorised pass instead of hundreds of small ones.
        by_period: dict[tuple[datetime.date, datetime.date], list[str]] = {}
        for code, span in sorted(spans.items()):
            if stored[code].holds(*span):
                by_period.setdefault(span, []).append(code)
        for (first_month, last_month), members in by_period.items():
            part, part_regency = _stored_part(stored, members, first_month, last_month)
            groups = part_regency * (int(part.category_ids.max(initial=0)) + 1) + part.category_ids
            regency_of = np.zeros(int(part.village_ids.max(initial=0)) + 1, dtype=np.int64)
            regency_of[part.village_ids] = part_regency  # a village lies in one regency
            for alarm in _scan(part, window, alpha, groups):
                code = members[int(regency_of[alarm["village_id"]])]
                out.setdefault(code, ([], periods[code]))[0].append(alarm)
            for code in members:
                out.setdefault(code, ([], periods[code]))
    for p in parts:
        if p.key not in out:
            out[p.key] = (_scan_one(p, periods[p.key], window, alpha), periods[p.key])
    return out


def stored_series() -> bool:
    """Read many regencies from the stored packed matrices (`series`); tests switch it off to
    compare with each regency read alone."""
    return True


def _stored_part(
    stored: dict[str, series.RegencyMatrix],
    members: list[str],
    first_month: datetime.date,
    last_month: datetime.date,
) -> tuple[Matrix, np.ndarray]:
    """The series of these regencies over the months, with a village's total only where it is
    not the same series as one of its categories (`without_duplicate_totals`), and the index in
    `members` of each series' regency."""
    months = months_between(first_month, last_month)
    kept: list[Matrix] = []
    regency: list[np.ndarray] = []
    for i, code in enumerate(members):
        block = stored[code]
        counts = block.columns(first_month, last_month)  # its own integer type, not copied
        rows = np.flatnonzero(counts.sum(axis=1, dtype=np.int64) > 0)
        part = Matrix(block.village_ids[rows], block.category_ids[rows], months, counts[rows])
        unique = _unique_series(part) if len(rows) else np.zeros(0, dtype=bool)
        kept.append(
            Matrix(part.village_ids[unique], part.category_ids[unique], months, part.counts[unique])
        )
        regency.append(np.full(int(unique.sum()), i, dtype=np.int64))
    return (
        Matrix(
            np.concatenate([m.village_ids for m in kept]),
            np.concatenate([m.category_ids for m in kept]),
            months,
            np.concatenate([m.counts for m in kept]).astype(np.float32),
        ),
        np.concatenate(regency),
    )


def _scan(
    matrix: Matrix, window: int, alpha: float, groups: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """The alarms of a matrix, with village and category ids (named by `_named`). `groups`: the
    pooling group of each series (default its category); give it only for a matrix already
    without duplicate totals, whose rows it follows."""
    if groups is None:
        matrix = without_duplicate_totals(matrix)
    if matrix.counts.shape[0] == 0:
        return []
    result = run(matrix, window, alpha, groups)
    hit = one_alarm_per_problem(matrix, result, np.flatnonzero(result.alarm), alpha)
    window_months = matrix.months[-window:]
    out: list[dict[str, Any]] = []
    for i in hit:
        first = int(result.start[i])
        last = first + int(result.length[i]) - 1
        out.append(
            {
                "village_id": int(matrix.village_ids[i]),
                "category_id": int(matrix.category_ids[i]),
                "month": window_months[first],
                "end_month": window_months[last],
                "months": int(result.length[i]),
                "observed": int(round(float(result.window_observed[i]))),
                "expected": round(float(result.window_expected[i]), 2),
                "window_observed": int(result.observed[i].sum()),
                "window_expected": round(float(result.expected[i].sum()), 2),
                "statistic": float(result.statistic[i]),
                "limit": float(result.limit[i]),
                "ongoing": last == window - 1,
            }
        )
    out.sort(key=lambda a: (not a["ongoing"], -a["month"].toordinal(), -a["statistic"]))
    return out


def spans_regencies(unit: Unit) -> bool:
    """Whether the unit is wider than one regency (a province, the country, parts of several
    regencies): its alarms name each village with its district and regency."""
    if unit.level in (Level.PROVINCE, Level.COUNTRY):
        return True
    return len({".".join(code.split(".")[:2]) for code in unit.codes}) > 1


@dataclass(frozen=True)
class _Place:
    """What `territory_label` reads of a territory (and `_named` of a village): its code, name,
    level and parent."""

    code: str
    name: str
    level: str
    parent: _Place | None


def _named(
    found: list[dict[str, Any]], wide: bool = False, names: _Names | None = None
) -> list[dict[str, Any]]:
    """The alarms with village and category codes and names instead of ids. Two queries, or
    none with `names` (wide lists only) once the villages and categories are known.

    `wide` (a list over several regencies, `spans_regencies`): each village is named with its
    district and regency (`territory_label`), since two villages of one name in different
    regencies would otherwise look the same."""
    if not found:
        return []
    if wide and names is not None:
        return _named_wide(found, names)
    rows = Territory.objects.filter(pk__in={a["village_id"] for a in found})
    villages: dict[int, Any]
    if wide:
        villages = _places(rows)
    else:
        villages = {t.pk: t for t in rows.only("id", "code", "name", "kind", "level")}
    # (code, name) of each category: its name is looked up once, not once per alarm (in the
    # language of the request: a property that asks for it each time).
    categories = {
        c.pk: (c.code, c.name)
        for c in Category.objects.filter(pk__in={a["category_id"] for a in found})
    }
    # `display_name` of each village, the label of its kind looked up once per kind (the
    # choices' lookup and translation cost more than the rest of naming a thousand alarms).
    kinds: dict[str, str] = {}

    def display_name(village: Any) -> str:
        if wide:
            return territory_label(village, regency=True)
        if village.level != Level.VILLAGE:
            return str(village.display_name)
        if village.kind not in kinds:
            kinds[village.kind] = village.get_kind_display()
        return f"{kinds[village.kind]} {village.name}"

    out = []
    for alarm in found:
        alarm = dict(alarm)
        village = villages[alarm.pop("village_id")]
        category = categories.get(alarm.pop("category_id"))
        out.append(
            {
                "village_code": village.code,
                "village_name": display_name(village),
                "category_code": category[0] if category else "",
                "category_name": category[1] if category else _("All categories"),
                **alarm,
            }
        )
    return out


def _places(rows: Any) -> dict[int, _Place]:
    """Villages as what `territory_label` reads, their names read as values, not models:
    building a village, its district and its regency as model instances was most of the time of
    naming the country's thousand alarms."""
    villages = {}
    for pk, code, name, level, district, regency in rows.values_list(
        "id", "code", "name", "level", "parent__name", "parent__parent__name"
    ):
        above = None if regency is None else _Place("", regency, Level.REGENCY, None)
        parent = None if district is None else _Place("", district, Level.DISTRICT, above)
        villages[pk] = _Place(code, name, level, parent)
    return villages


@dataclass(frozen=True)
class _Names:
    """The versions names are read under: the territory's, the categories' in a language."""

    territory: int | None
    categories: tuple[str, int | None]


# {territory version: {village id: (code, label)}} and {(language, category version): {category
# id: (code, name)}}: the names of a wide list, read once a version (moved by every write to the
# table) and kept by this process, so that a national list is named without a query. One
# territory version is kept (a new one: every name may have moved), a few languages' categories.
# The inner dicts are filled in place as names are read.
_VILLAGE_LABELS: Memo[int, dict[int, tuple[str, str]]] = Memo(1)
_CATEGORY_NAMES: Memo[tuple[str, int], dict[int, tuple[str, str] | None]] = Memo(8)


def _names_kept(unit: Unit) -> _Names:
    """The versions of the territory and the categories (`dashcache.data_versions`: read once
    a request, before the names) and the active language."""
    from django.utils.translation import get_language

    from jaga.analytics.dashcache import data_versions

    versions = data_versions(unit)
    return _Names(versions.get("territory"), (get_language() or "", versions.get("category")))


def _named_wide(found: list[dict[str, Any]], names: _Names) -> list[dict[str, Any]]:
    """`_named(found, wide=True)` with the names this process keeps under `names`' versions:
    only villages and categories not seen yet under them are read."""
    ids = {a["village_id"] for a in found}
    labels: dict[int, tuple[str, str]] = {}
    if names.territory is not None:
        labels = _VILLAGE_LABELS.setdefault(names.territory, {})
    unknown = ids - labels.keys()
    if unknown:
        places = _places(Territory.objects.filter(pk__in=unknown))
        labels.update({pk: (p.code, territory_label(p, regency=True)) for pk, p in places.items()})
    categories: dict[int, tuple[str, str] | None] = {}
    if names.categories[1] is not None:
        categories = _CATEGORY_NAMES.setdefault((names.categories[0], names.categories[1]), {})
    wanted = {a["category_id"] for a in found} - categories.keys()
    if wanted:  # a village's total has no category: known as such too
        got = {c.pk: (c.code, c.name) for c in Category.objects.filter(pk__in=wanted)}
        categories.update({pk: got.get(pk) for pk in wanted})
    everything = _("All categories")
    out = []
    for alarm in found:
        alarm = dict(alarm)
        code, label = labels[alarm.pop("village_id")]
        category = categories.get(alarm.pop("category_id"))
        out.append(
            {
                "village_code": code,
                "village_name": label,
                "category_code": category[0] if category else "",
                "category_name": category[1] if category else everything,
                **alarm,
            }
        )
    return out


def _sorted(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The alarms of several regencies in one list, newest first. Ties are broken by village and
    category, so that pages of the list follow each other whatever order the regencies came
    from the cache in."""
    found = [a for entries in parts for a in entries]
    found.sort(
        key=lambda a: (
            not a["ongoing"],
            -a["month"].toordinal(),
            -a["statistic"],
            a["village_id"],
            a["category_id"],
        )
    )
    return found


def _merged(
    parts: list[list[dict[str, Any]]], limit: int | None = None, offset: int = 0, wide: bool = True
) -> list[dict[str, Any]]:
    """The alarms of several regencies in one list, newest first (`_sorted`), named (`limit` of
    them from `offset`)."""
    found = _sorted(parts)
    return _named(found[offset:] if limit is None else found[offset : offset + limit], wide)


def _ongoing_villages(parts: list[list[dict[str, Any]]]) -> int:
    """The villages with an ongoing alarm (the page's sentence), from the unnamed alarms."""
    return len({a["village_id"] for entries in parts for a in entries if a["ongoing"]})


def report(unit: Unit, end: datetime.date) -> dict[str, Any]:
    """`alarms` with the period read (`Period.as_dict()`), computed now (the command line's)."""
    coverage = regency_coverage(unit)
    if regency_units(unit, coverage):
        return {
            "alarms": alarms(unit, end),
            "period": alarm_period_of_parts(unit, end, coverage),
        }
    period = alarm_period(unit, end, coverage=coverage)
    return {"alarms": alarms(unit, end, period=period), "period": period.as_dict()}


# A regency's alarms, cached under the version of its roll-up (`RegencyVersion`, moved by every
# write to its rows): new data changes the key. Kept a week, so a province or the country reads
# what the monthly run and earlier visits computed and scans only regencies whose figures moved.
REGENCY_CACHE_SECONDS = 7 * 24 * 3600


def alarms_cached(unit: Unit, end: datetime.date) -> list[dict[str, Any]]:
    """`alarms` through the cache, keyed by the versions of the unit's regencies (one small
    query), so new data shows at once."""
    found: list[dict[str, Any]] = alarms_report(unit, end)["alarms"]
    return found


def _alarms_key(key: str, end: datetime.date, versions: dict[str, int]) -> str:
    return f"jaga:alarms:5:{key}:{end.isoformat()}:{versions_tag(versions)}"


def alarms_report(
    unit: Unit, end: datetime.date, limit: int | None = None, offset: int = 0
) -> dict[str, Any]:
    """`alarms` with the period read (`period`: `Period.as_dict()`, its `reason` saying when the
    register ends before the month asked for), through the cache like `alarms_cached`. With
    `limit`, only `limit` alarms from `offset` are named and listed (a page of the list); `total`
    counts them all and `ongoing_villages` the villages with an ongoing alarm among them.

    The cache keys name the versions of the unit's regencies (`coverage_and_versions`, read
    again here, before anything else: a write committed later gives a newer version, never an
    entry older than its key). A unit over several regencies is cached regency by regency: one query gives every
    regency's version, the cache gives the regencies already scanned, and only the others are
    scanned."""
    from django.core.cache import cache

    coverage, versions = coverage_and_versions(unit, fresh=True)
    parts = regency_units(unit, coverage)
    if not parts:
        period = alarm_period(unit, end, coverage=coverage)
        key = _alarms_key(unit.key, end, versions)
        found = cache.get(key)
        if found is None:  # get and set: get_or_set would read the entry back once more
            found = _scan_one(unit, period, WINDOW, ALPHA)
            cache.set(key, found, REGENCY_CACHE_SECONDS)
        return {
            "alarms": _named(
                list(found)[offset:] if limit is None else list(found)[offset : offset + limit],
                spans_regencies(unit),
            ),
            "total": len(found),
            "ongoing_villages": _ongoing_villages([found]),
            "period": period.as_dict(),
        }
    keys = {
        p.key: _alarms_key(p.key, end, {p.key: versions[p.key]})
        for p in parts
        if p.codes == [p.key] and p.key in versions
    }
    results = _parts_found(parts, end, keys, versions, coverage)
    whole = len(keys) == len(parts)  # parts of regencies are scanned again each time
    merged = _merged_kept(unit, end, whole, versions, results)
    return {
        "alarms": _named(
            merged[offset:] if limit is None else merged[offset : offset + limit],
            True,
            names=_names_kept(unit),
        ),
        "total": len(merged),
        "ongoing_villages": _ongoing_villages([merged]),
        "period": _period_kept(unit, end, whole, versions, coverage),
    }


# What this process read last of the regencies' alarms, under their versions (a version is never
# given twice): {(regency, end month): (version, its alarms unnamed)}. A national request takes
# them from here instead of unpickling 514 cache entries; the cache serves the regencies this
# process has not read under their version yet, the scan those it does not hold either.
REGENCY_ALARMS_KEPT = 8 * 514
_REGENCY_ALARMS: Memo[tuple[str, datetime.date], tuple[int, list[dict[str, Any]]]] = Memo(
    REGENCY_ALARMS_KEPT
)

# {(unit, end month): (the regencies' versions, the alarms merged, {language: period})}: a
# province's or the country's list sorted once for the versions it was merged under.
MERGED_KEPT = 64
_MERGED: Memo[
    tuple[str, tuple[str, ...], datetime.date],
    tuple[dict[str, int], list[dict[str, Any]], dict[str, dict[str, Any]]],
] = Memo(MERGED_KEPT)


def _parts_found(
    parts: list[Unit],
    end: datetime.date,
    keys: dict[str, str],
    versions: dict[str, int],
    coverage: list[RegencyCoverage],
) -> dict[str, list[dict[str, Any]]]:
    """Each part's alarms (unnamed): from this process, the cache, or scanned (and kept in
    both). `keys`: the cache key of each whole regency."""
    from django.core.cache import cache

    results: dict[str, list[dict[str, Any]]] = {}
    for code in keys:
        known = _REGENCY_ALARMS.get((code, end))
        if known is not None and known[0] == versions[code]:
            results[code] = known[1]
    asked = [key for code, key in keys.items() if code not in results]
    cached = cache.get_many(asked) if asked else {}
    for code, key in keys.items():
        if key in cached:
            results[code] = cached[key]
    missing = [p for p in parts if p.key not in results]
    if missing:
        scanned = _scan_parts(missing, end, WINDOW, ALPHA, coverage)
        cache.set_many(
            {keys[code]: found for code, (found, _p) in scanned.items() if code in keys},
            REGENCY_CACHE_SECONDS,
        )
        results.update({code: found for code, (found, _p) in scanned.items()})
    for code in keys:
        _REGENCY_ALARMS.put((code, end), (versions[code], results[code]))
    return results


def _merged_kept(
    unit: Unit,
    end: datetime.date,
    whole: bool,
    versions: dict[str, int],
    results: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The parts' alarms in one list, newest first (`_sorted`), kept by this process for the
    versions they were found under when every part is a `whole` regency."""
    if not whole:
        return _sorted(list(results.values()))
    memo_key = (unit.key, tuple(unit.codes), end)
    known = _MERGED.get(memo_key)
    if known is not None and known[0] == versions:
        return known[1]
    merged = _sorted(list(results.values()))
    _MERGED.put(memo_key, (dict(versions), merged, {}))
    return merged


def _period_kept(
    unit: Unit,
    end: datetime.date,
    whole: bool,
    versions: dict[str, int],
    coverage: list[RegencyCoverage],
) -> dict[str, Any]:
    """`alarm_period_of_parts`, kept with the merged list (it reads the coverage, which moves
    with the versions, and says the period in the active language). A copy each time."""
    import copy

    from django.utils.translation import get_language

    known = _MERGED.get((unit.key, tuple(unit.codes), end))
    if not whole or known is None or known[0] != versions:
        return alarm_period_of_parts(unit, end, coverage)
    language = get_language() or ""
    if language not in known[2]:
        known[2][language] = alarm_period_of_parts(unit, end, coverage)
    return copy.deepcopy(known[2][language])


def alarm_period_of_parts(
    unit: Unit, end: datetime.date, coverage: list[RegencyCoverage]
) -> dict[str, Any]:
    """The period of a unit scanned regency by regency, as `Period.as_dict()`: from the earliest
    month any regency reads to the latest, saying how many regencies' records end earlier."""
    periods = [alarm_period(p, end, coverage=[c]) for p, c in _with_coverage(unit, coverage)]
    used = [p for p in periods if not p.empty]
    asked_start = add_months(end, -(WINDOW + HISTORY - 1))
    if not used:
        return Period(None, None, asked_start, end).as_dict()
    merged = Period(
        min(p.start for p in used),  # type: ignore[type-var]
        max(p.end for p in used),  # type: ignore[type-var]
        asked_start,
        end,
        [r for p in used for r in p.regencies],
        left_out=sorted({m for p in used for m in p.left_out}),
    )
    out = merged.as_dict()
    earlier = sum(1 for p in used if p.end is not None and merged.end and p.end < merged.end)
    out["regencies_ending_earlier"] = earlier
    if earlier:
        out["reason"] += " " + (
            _(
                "Each regency is scanned over its own records: in %(n)s of %(total)s regencies "
                "they end before %(end)s, and their window ends with their last month."
            )
            % {"n": earlier, "total": len(used), "end": out["end"]}
        )
    return out


def _with_coverage(
    unit: Unit, coverage: list[RegencyCoverage]
) -> list[tuple[Unit, RegencyCoverage]]:
    by_code = {c.code: c for c in coverage}
    return [(p, by_code[p.key]) for p in regency_units(unit, coverage) if p.key in by_code]
