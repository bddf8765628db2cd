"""Reads of rarely changed tables, kept in each process while the tables' versions stay.

Every report's intake looks up its village, its service and the service's questions, the police
unit covering the village and, after the commit, the webhook endpoints: tables that change a few
times a year. Each of them has a version (`analytics.DataVersion`: triggers give its name a new
number, never given before, in the transaction of every write, whatever wrote it). A `Versioned`
read keeps what it found under the versions of the tables it reads and the values it was called
with, and gives it again while those versions stay: one small read of the versions instead of
the lookups.

The versions are read once per call, or once for a whole block inside `shared()`: an intake
reads them once for all its lookups. A block must not write a table that it reads through a
`Versioned` and then read it again (it would see the versions of the block's start); the
intake writes none of them.

Consistency: the versions are read before the table; a write committed in between is read under
the older version (the next read of the versions sees the new one, and reads again), never the
reverse. The versions are read on the database the table is read from (a replica's versions
describe the replica's rows). What is kept is shared by every caller of the process: callers
read it and must not change it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.db import router
from django.db.models import Model

from jaga.core import prepared
from jaga.core.memo import Memo

T = TypeVar("T")

VERSIONS_TABLE = "analytics_dataversion"
# Entries kept per read, the oldest put dropped first (values no longer asked for, old versions).
MAX_ENTRIES = 2000

_local = threading.local()
_MISSING = object()  # a read may give None: kept as such


def read_versions(alias: str) -> dict[str, int]:
    """Every table's version on the database `alias` (one statement)."""
    with prepared.cursor(alias) as cursor:
        cursor.execute(f"SELECT name, version FROM {VERSIONS_TABLE}")  # noqa: S608
        return {str(name): int(version) for name, version in cursor.fetchall()}


def versions(alias: str) -> dict[str, int]:
    """The versions on `alias`: read now, or once for the enclosing `shared()` block."""
    held: dict[str, dict[str, int]] | None = getattr(_local, "held", None)
    if held is None:
        return read_versions(alias)
    found = held.get(alias)
    if found is None:
        found = held[alias] = read_versions(alias)
    return found


@contextmanager
def shared() -> Iterator[None]:
    """Within the block, `Versioned` reads share one read of the versions (see above)."""
    if getattr(_local, "held", None) is not None:  # an enclosing block already shares
        yield
        return
    _local.held = {}
    try:
        yield
    finally:
        _local.held = None


class Versioned(Generic[T]):
    """`Versioned(Service, ("service",), read)`: `read(*values)` kept per process under the
    versions of `tables` (names of `DataVersion`); `model` is what `read` reads (its database)."""

    def __init__(self, model: type[Model], tables: tuple[str, ...], read: Callable[..., T]) -> None:
        self._model = model
        self._tables = tables
        self._read = read
        self._kept: Memo[Hashable, T] = Memo(MAX_ENTRIES)

    def __call__(self, *values: Hashable) -> T:
        alias = router.db_for_read(self._model) or "default"
        found = versions(alias)
        key = (alias, values, tuple(found.get(name) for name in self._tables))
        known = self._kept.get(key, _MISSING)
        if known is not _MISSING:
            return known  # type: ignore[return-value]
        result = self._read(*values)
        self._kept.put(key, result)
        return result

    def forget(self) -> None:
        """Drop what is kept (tests that change a table without its triggers)."""
        self._kept.clear()
