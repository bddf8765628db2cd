"""Early warning from the roll-ups: a Poisson likelihood-ratio scan per village x category and
per village total, all at once (`stats/scan.py`); one alarm per village and problem."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext as _

from jaga.analytics.coverage import Period, RegencyCoverage, period_for, regency_coverage
from jaga.analytics.models import MonthlyIncidentCount
from jaga.analytics.stats.scan import ScanResult, alarms_without, poisson_scan
from jaga.analytics.units import Unit
from jaga.core.months import add_months, months_between
from jaga.incidents.models import Category
from jaga.territory.models import Territory

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


# One roll-up row packed in an int8: category id, days from the first month, count.
PACK_CATEGORY = 1 << 48
PACK_DAYS = 1 << 32
MAX_PACKED_CATEGORY = (1 << 15) - 1
# The GROUP BY keeps one growing byte string per village in memory: about 8 bytes per roll-up
# row read, 60 MB for the whole country; with the default 4 MB it spills to disk.
READ_WORK_MEM = "256MB"


def incident_matrix_packed(unit: Unit, start: datetime.date, end: datetime.date) -> Matrix:
    """PostgreSQL: the same matrix from one row per village, its roll-up rows packed by the
    database into one byte string of 8-byte integers and unpacked by numpy in one go.

    Sending every roll-up row (7.6 million for the country over 42 months) costs the server far
    more than reading it: four values to format and send per row. Grouped by village, the
    server sends 84,000 rows and one integer per roll-up row. The series come out sorted by
    village and category.
    """
    from django.db import connections, router, transaction

    months = months_between(start, end)
    table = MonthlyIncidentCount._meta.db_table
    where = ["month >= %s", "month <= %s"]
    params: list[Any] = [start, start, end]
    if unit.level != "country":
        clauses = []
        for code in unit.codes:
            clauses.append(f"{LEVEL_COLUMN[len(code.split('.'))]} = %s")
            params.append(code)
        where.append("(" + " OR ".join(clauses) + ")")
    sql = (
        "SELECT village_id, string_agg(int8send(category_id * "  # noqa: S608 - names from code
        f"{PACK_CATEGORY} + (month - %s::date)::int8 * {PACK_DAYS} + count), ''::bytea) "
        f"FROM {table} WHERE {' AND '.join(where)} GROUP BY village_id"
    )
    alias = router.db_for_read(MonthlyIncidentCount)
    from jaga.analytics.rebuild import local_settings

    with (
        transaction.atomic(using=alias),
        connections[alias].cursor() as cursor,
        local_settings(cursor, work_mem=READ_WORK_MEM),
    ):
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not found:
        return Matrix(np.array([], int), np.array([], int), months, np.zeros((0, len(months))))
    lengths = np.fromiter((len(blob) // 8 for _v, blob in found), dtype=np.int64, count=len(found))
    packed = np.frombuffer(b"".join(bytes(blob) for _v, blob in found), dtype=">i8")
    village = np.repeat(np.fromiter((v for v, _b in found), np.int64, len(found)), lengths)
    # The count is the low 32 bits, signed; what is above it is category and days exactly.
    n = (packed & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
    high = (packed - n) >> 32
    category = high >> 16
    days = high & 0xFFFF
    starts = np.array([(m - start).days for m in months])
    t = np.searchsorted(starts, days, side="right") - 1
    return matrix_from_sorted_keys(village, category, t, n.astype(np.float32), months)


def matrix_from_sorted_keys(
    v: np.ndarray, c: np.ndarray, t: np.ndarray, n: np.ndarray, months: list[datetime.date]
) -> Matrix:
    """Pivot long arrays to the dense matrix, series sorted by (village, category): without
    hashing, by marking which of the (village, category) slots occur."""
    villages, v_index = np.unique(v, return_inverse=True)
    categories, c_index = np.unique(c, return_inverse=True)
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
    """Category ids fit the packed integer of `incident_matrix_packed` (they are a few dozen)."""
    from django.db.models import Max

    top = Category.objects.aggregate(top=Max("id"))["top"] or 0
    return bool(top <= MAX_PACKED_CATEGORY)


def without_duplicate_totals(matrix: Matrix) -> Matrix:
    """Drop a village's total where it is the same series as one of its categories (a village
    whose incidents are all of one category): the same problem would be listed twice."""
    if matrix.counts.shape[0] == 0:
        return matrix
    is_total = matrix.category_ids == ALL_CATEGORIES
    active = ~is_total & (matrix.counts.sum(axis=1) > 0)
    villages, per_village = np.unique(matrix.village_ids[active], return_counts=True)
    single = set(villages[per_village == 1].tolist())
    drop = is_total & np.isin(matrix.village_ids, list(single))
    keep = ~drop
    return Matrix(
        matrix.village_ids[keep], matrix.category_ids[keep], matrix.months, matrix.counts[keep]
    )


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


def run(matrix: Matrix, window: int = WINDOW, alpha: float = ALPHA) -> ScanResult:
    _use_cache_for_limits()
    months_of_year = np.array([m.month for m in matrix.months])
    _, groups = np.unique(matrix.category_ids, return_inverse=True)
    return poisson_scan(
        matrix.counts,
        window=window,
        groups=groups,
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
    """
    regencies = regency_coverage(unit) if coverage is None else coverage
    last = min((r.last for r in regencies), default=end)
    used_end = min(end, last)  # the window ends with the register, baseline before it
    period = period_for(unit, add_months(used_end, -(window + HISTORY - 1)), used_end, regencies)
    period.asked_end = end
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
    category that alarmed. Each alarm gives the 1-3 month window with the strongest evidence, with its first month
    (`month`), last month (`end_month`), observed and expected counts over it. The months read
    are those of `alarm_period`: when the register ends before `end`, the window ends with its
    last month; with fewer covered months than the window and one more, there is no alarm.
    """
    if period is None:
        period = alarm_period(unit, end, window)
    if period.empty or period.start is None or period.end is None:
        return []
    start, end = period.start, period.end
    if len(months_between(start, end)) <= window:
        return []
    matrix = without_duplicate_totals(load_matrix(unit, start, end))
    if matrix.counts.shape[0] == 0:
        return []
    result = run(matrix, window, alpha)
    hit = one_alarm_per_problem(matrix, result, np.flatnonzero(result.alarm), alpha)
    if hit.size == 0:
        return []
    villages = {
        t.pk: t
        for t in Territory.objects.filter(pk__in=matrix.village_ids[hit].tolist()).only(
            "id", "code", "name", "kind", "level"
        )
    }
    categories = {
        c.pk: c for c in Category.objects.filter(pk__in=matrix.category_ids[hit].tolist())
    }
    window_months = matrix.months[-window:]
    out: list[dict[str, Any]] = []
    for i in hit:
        first = int(result.start[i])
        last = first + int(result.length[i]) - 1
        village = villages[int(matrix.village_ids[i])]
        category = categories.get(int(matrix.category_ids[i]))
        out.append(
            {
                "village_code": village.code,
                "village_name": village.display_name,
                "category_code": category.code if category else "",
                "category_name": category.name if category else _("All categories"),
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
    out.sort(key=lambda a: (not a["ongoing"], -window_months.index(a["month"]), -a["statistic"]))
    return out


CACHE_SECONDS = 600


def alarms_cached(unit: Unit, end: datetime.date) -> list[dict[str, Any]]:
    """`alarms` through the cache for ten minutes, keyed by the unit's incident total and row
    count over the months read (one small query on the area roll-up), so new data shows at once.
    """
    found: list[dict[str, Any]] = alarms_report(unit, end)["alarms"]
    return found


def alarms_report(unit: Unit, end: datetime.date) -> dict[str, Any]:
    """`alarms` with the period read (`period`: `Period.as_dict()`, its `reason` saying when the
    register ends before the month asked for), through the cache like `alarms_cached`."""
    from django.core.cache import cache
    from django.db.models import Count, Sum

    from jaga.analytics.queries import counts_of

    period = alarm_period(unit, end)
    start = add_months(end, -(WINDOW + HISTORY - 1))
    version = (
        counts_of(unit)
        .filter(month__gte=start, month__lte=end)
        .aggregate(n=Sum("count"), rows=Count("id"))
    )
    key = f"jaga:alarms:3:{unit.key}:{end.isoformat()}:{version['n']}:{version['rows']}"
    found = cache.get_or_set(key, lambda: alarms(unit, end, period=period), CACHE_SECONDS)
    return {"alarms": list(found or []), "period": period.as_dict()}
