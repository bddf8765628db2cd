"""Each regency's village roll-up as one packed matrix, stored: what the early warning of a
province or the country reads instead of millions of roll-up rows.

A row of `RegencySeries` holds one regency's (village x category) by month counts, plus each
village's total, over its last `STORED_MONTHS` months of records, compressed (zlib) in one
value. It is derived data, stored under the regency's roll-up version (`RegencyVersion`, moved
by every write to the regency's roll-up): a row whose version is not the regency's current one
is stale and is built again from the roll-up when it is next read, in one read for all the
stale ones. The version is read before the roll-up rows, so a write committed in between leaves
a row older than its version, never newer: it is built again at the next read.

The country's 7.4 million roll-up rows arrive as 514 values of some 20 MB together, instead of
one array that PostgreSQL takes seconds to aggregate and send.
"""

from __future__ import annotations

import datetime
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, router
from django.db.models import Q

from jaga.analytics.coverage import RegencyCoverage
from jaga.analytics.models import RegencySeries, RegencyVersion
from jaga.core.months import add_months, month_index, months_between

# Months kept per regency (the early warning reads 42): a request for an older end month reads
# the roll-up instead.
STORED_MONTHS = 60
_HEADER = struct.Struct("<4sIIB")  # magic, series, months, count type
_MAGIC = b"JRS1"
_TYPES: dict[int, np.dtype[Any]] = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<i4")}


@dataclass
class RegencyMatrix:
    """One regency's series: village and category ids, sorted by village and category, then each
    village's total (category `warning.ALL_CATEGORIES`), and their counts from `first_month`
    on."""

    code: str
    first_month: datetime.date
    village_ids: np.ndarray  # (series,) int64
    category_ids: np.ndarray  # (series,) int64
    counts: np.ndarray  # (series, months), the smallest integer type that holds them

    @property
    def last_month(self) -> datetime.date:
        return add_months(self.first_month, self.counts.shape[1] - 1)

    def holds(self, start: datetime.date, end: datetime.date) -> bool:
        return self.first_month <= start and end <= self.last_month

    def columns(self, start: datetime.date, end: datetime.date) -> np.ndarray:
        """The counts of the months from `start` to `end` (inside the stored ones): a view."""
        first = month_index(start) - month_index(self.first_month)
        stop = month_index(end) - month_index(self.first_month) + 1
        return self.counts[:, first:stop]


def encode(matrix: RegencyMatrix) -> bytes:
    counts = matrix.counts
    top = int(counts.max(initial=0))
    low = int(counts.min(initial=0))
    size = 1 if low >= 0 and top < 1 << 8 else 2 if low >= 0 and top < 1 << 16 else 4
    body = b"".join(
        [
            _HEADER.pack(_MAGIC, counts.shape[0], counts.shape[1], size),
            matrix.village_ids.astype("<i4").tobytes(),
            matrix.category_ids.astype("<i2").tobytes(),
            np.clip(counts, -(1 << 31), (1 << 31) - 1).astype(_TYPES[size]).tobytes(),
        ]
    )
    return zlib.compress(body, 1)


def decode(code: str, first_month: datetime.date, data: bytes) -> RegencyMatrix:
    body = zlib.decompress(data)
    magic, series, months, size = _HEADER.unpack_from(body)
    if magic != _MAGIC:
        raise ValueError(f"regency series {code}: unknown format {magic!r}")
    at = _HEADER.size
    villages = np.frombuffer(body, "<i4", series, at).astype(np.int64)
    at += 4 * series
    categories = np.frombuffer(body, "<i2", series, at).astype(np.int64)
    at += 2 * series
    counts = np.frombuffer(body, _TYPES[size], series * months, at).reshape(series, months)
    return RegencyMatrix(code, first_month, villages, categories, counts)


def stored_span(coverage: RegencyCoverage) -> tuple[datetime.date, datetime.date]:
    """The months kept for a regency: its last `STORED_MONTHS` months of records."""
    return max(coverage.first, add_months(coverage.last, 1 - STORED_MONTHS)), coverage.last


def matrices(coverage: list[RegencyCoverage]) -> dict[str, RegencyMatrix]:
    """The stored matrix of each regency in `coverage` (its months: `stored_span`), the stale or
    missing ones built from the roll-up and stored first. Three queries when every row is
    current: the versions, the rows, and (on PostgreSQL) a transaction."""
    codes = sorted(c.code for c in coverage)
    by_code = {c.code: c for c in coverage}
    alias = router.db_for_read(RegencySeries)
    versions = dict(
        RegencyVersion.objects.using(alias)
        .filter(regency_code__in=codes)
        .values_list("regency_code", "version")
    )
    out: dict[str, RegencyMatrix] = {}
    rows = (
        RegencySeries.objects.using(alias)
        .filter(regency_code__in=codes)
        .values_list("regency_code", "version", "first_month", "months", "data")
    )
    for code, version, first, months, data in rows.iterator(chunk_size=100):
        span = stored_span(by_code[code])
        last = add_months(first, months - 1)
        if versions.get(code) == version and (first, last) == span:
            out[code] = decode(code, first, bytes(data))
    stale = [code for code in codes if code not in out]
    if stale:
        built = build([by_code[code] for code in stale])
        save(built, versions)
        out.update(built)
    return out


def refresh() -> int:
    """Build and store the matrices of every regency whose stored one is stale or missing (the
    daily job: a province's or the country's early warning then reads them all as they are).
    Returns how many were built."""
    from jaga.analytics.coverage import coverage_and_versions
    from jaga.analytics.units import Unit

    coverage, _versions = coverage_and_versions(Unit("*", "", [], "country"), fresh=True)
    before = dict(RegencySeries.objects.values_list("regency_code", "version"))
    matrices(coverage)
    after = dict(RegencySeries.objects.values_list("regency_code", "version"))
    return sum(1 for code, version in after.items() if before.get(code) != version)


def build(coverage: list[RegencyCoverage]) -> dict[str, RegencyMatrix]:
    """The matrices of these regencies from the village roll-up: on PostgreSQL one packed read of
    all of them (`warning.incident_matrix_by_regency`), elsewhere a read per regency."""
    from jaga.analytics import warning

    if not coverage:
        return {}
    spans = {c.code: stored_span(c) for c in coverage}
    start = min(first for first, _last in spans.values())
    end = max(last for _first, last in spans.values())
    if connection.vendor == "postgresql" and warning.packable():
        matrix, regencies = warning.incident_matrix_by_regency(sorted(spans), start, end)
        names, per_series = regencies.indices(matrix.village_ids)
        order = np.argsort(per_series, kind="stable")  # each regency's rows, still by village
        bounds = np.searchsorted(per_series[order], np.arange(len(names) + 1))
        rows_of = {
            str(code): order[bounds[i] : bounds[i + 1]] for i, code in enumerate(names.tolist())
        }
    else:
        matrix = None
    out = {}
    for code, (first, last) in sorted(spans.items()):
        if matrix is not None:
            rows = rows_of.get(code, np.array([], dtype=np.int64))
            lo = matrix.months.index(first) if first in matrix.months else 0
            part = warning.Matrix(
                matrix.village_ids[rows],
                matrix.category_ids[rows],
                months_between(first, last),
                matrix.counts[rows, lo : lo + len(months_between(first, last))],
            )
        else:
            part = warning.incident_matrix(Q(regency_code=code), first, last)
            order = np.lexsort((part.category_ids, part.village_ids))
            part = warning.Matrix(
                part.village_ids[order], part.category_ids[order], part.months, part.counts[order]
            )
        whole = warning.with_village_totals(part)
        out[code] = RegencyMatrix(
            code,
            first,
            whole.village_ids.astype(np.int64),
            whole.category_ids.astype(np.int64),
            np.rint(whole.counts).astype(np.int64),
        )
    return out


def save(built: dict[str, RegencyMatrix], versions: dict[str, int]) -> None:
    """Store the matrices under the versions read before their rows (a regency without a
    version yet is not stored: it has no roll-up row to version)."""
    rows = [
        RegencySeries(
            regency_code=code,
            version=versions[code],
            first_month=m.first_month,
            months=m.counts.shape[1],
            data=encode(m),
        )
        for code, m in built.items()
        if code in versions
    ]
    if rows:
        RegencySeries.objects.using(router.db_for_write(RegencySeries)).bulk_create(
            rows,
            batch_size=50,
            update_conflicts=True,
            unique_fields=["regency_code"],
            update_fields=["version", "first_month", "months", "data"],
        )
