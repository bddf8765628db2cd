"""Early warning from the roll-ups: one Poisson CUSUM per village x category, all at once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Q

from jaga.analytics.models import MonthlyIncidentCount
from jaga.analytics.stats.cusum import poisson_cusum
from jaga.analytics.units import Unit, add_months, months_between
from jaga.incidents.models import Category
from jaga.territory.models import Territory

WINDOW = 6  # months monitored
HISTORY = 36  # months of baseline before the window
ALPHA = 0.01  # nominal chance that a series in control alarms within the window


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


def matrix_from_arrays(
    v: np.ndarray, c: np.ndarray, t: np.ndarray, n: np.ndarray, months: list[datetime.date]
) -> Matrix:
    """Pivot long (village, category, month index, count) arrays to the dense matrix."""
    key = v * 10_000 + c
    series, row = np.unique(key, return_inverse=True)
    counts = np.zeros((len(series), len(months)), dtype=np.float32)
    np.add.at(counts, (row, t), n)
    return Matrix(series // 10_000, series % 10_000, months, counts)


def run(matrix: Matrix, window: int = WINDOW, alpha: float = ALPHA) -> Any:
    months_of_year = np.array([m.month for m in matrix.months])
    _, groups = np.unique(matrix.category_ids, return_inverse=True)
    return poisson_cusum(
        matrix.counts,
        window=window,
        groups=groups,
        months_of_year=months_of_year,
        alpha=alpha,
        baseline_months=HISTORY,
    )


def alarms(
    unit: Unit, end: datetime.date, window: int = WINDOW, alpha: float = ALPHA
) -> list[dict[str, Any]]:
    """Alarms in the unit's villages over the last `window` months up to `end`, newest first."""
    start = add_months(end, -(window + HISTORY - 1))
    matrix = incident_matrix(unit.rollup_q(), start, end)
    if matrix.counts.shape[0] == 0:
        return []
    result = run(matrix, window, alpha)
    hit = np.flatnonzero(result.alarm)
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
    out = []
    for i in hit:
        first = int(result.first_alarm[i])
        village = villages[int(matrix.village_ids[i])]
        category = categories[int(matrix.category_ids[i])]
        out.append(
            {
                "village_code": village.code,
                "village_name": village.display_name,
                "category_code": category.code,
                "category_name": category.name,
                "month": window_months[first],
                "observed": int(result.observed[i, first]),
                "expected": float(result.expected[i, first]),
                "window_observed": int(result.observed[i].sum()),
                "window_expected": float(result.expected[i].sum()),
                "statistic": float(result.statistic[i].max()),
                "limit": float(result.limit[i]),
                "ongoing": bool(result.statistic[i, -1] >= result.limit[i]),
            }
        )
    out.sort(key=lambda a: (not a["ongoing"], -a["month"].toordinal(), -a["statistic"]))
    return out
