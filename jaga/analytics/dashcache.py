"""The figures of a province's or the country's dashboard, kept in the shared cache under
everything they were computed from, so that a change of any input gives a new key at once.

Summing the CompStat, the trend and the sparklines of the country from its 514 regencies' kept
rows, testing them (63 exact Poisson tests, the Mann-Kendall test of 38 lines, the trend's fit),
the country's population (83,762 villages) and its Bhabinkamtibmas coverage (the villages counted
against the postings) took 100-250 ms of a national dashboard on the bench. They are read from
the cache instead, under a key naming:

- the unit (its key and codes) and what was asked (the month, the page of villages);
- for the incident figures, what they are computed from: a digest of the sums of the regency
  rows over the months shown (`queries.regency_sums`, kept by each process and brought up to
  date by the regencies whose roll-up version moved) and of every regency's coverage (its
  register's first and last month and gaps); an incident outside the months shown moves
  neither, so the figures are found again;
- the version of each other table read (`DataVersion`, moved by triggers on every write, bulk
  ones too): the population (rates), the territory (names, children, a province's villages),
  the categories (names), the postings and the norms (coverage);
- the active language (category names, the period's sentences) and, for the coverage, the day
  (postings and villages valid today).

The versions are read before the figures are computed: a write committed in between makes a
cached figure newer than its key, never older, and the next request reads a new key. Numbers
are never given twice, so a key is never found again once an input moved. The sums and coverage
in the key are those the figures are computed from (the same objects), so an entry always holds
the figures of its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache

from jaga.analytics.models import DataVersion
from jaga.analytics.units import Unit

T = TypeVar("T")

# The prefix names the form of the entries: raise it when what is cached changes shape.
PREFIX = "jaga:dash:1"
# Entries are found by their versions, not their age: a day keeps those still asked for.
CACHE_SECONDS = 24 * 3600

# The tables each kind of figure reads besides the regency roll-up.
COUNTS_READ = ("population", "territory", "category")
POPULATION_READ = ("population", "territory")
COVERAGE_READ = ("population", "territory", "posting", "norm")

LARGE_LEVELS = ("province", "country")


def data_versions(unit: Unit) -> dict[str, int]:
    """The version of every table in `DataVersion`, read once a request (the unit's memo: a
    dashboard asks for the counts' and the coverage's). One query on a table of five rows."""
    found: dict[str, int] | None = unit.memo.get("data_versions")
    if found is None:
        found = dict(DataVersion.objects.values_list("name", "version"))
        unit.memo["data_versions"] = found
    return found


def key_of(unit: Unit, kind: str, asked: Iterable[object], reads: Iterable[str]) -> str:
    """The cache key of figures of `kind` for the unit: what was asked and the versions of the
    tables it `reads`, digested (a key holds at most 250 characters)."""
    versions = data_versions(unit)
    parts = [
        kind,
        unit.key,
        ",".join(unit.codes),
        *(str(a) for a in asked),
        *(f"{name}={versions.get(name)}" for name in reads),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{PREFIX}:{kind}:{unit.key}:{digest}"


def kept(
    unit: Unit, kind: str, asked: Iterable[object], reads: Iterable[str], compute: Callable[[], T]
) -> T:
    """`compute()` through the shared cache under `key_of(unit, kind, asked, reads)`. The key is
    made (its versions read) before computing. What is returned may be changed by the caller:
    the cache keeps its own copy."""
    key = key_of(unit, kind, asked, reads)
    found: Any = cache.get(key)
    if found is None:  # get and set: get_or_set would read the entry back once more
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    value: T = found
    return value
