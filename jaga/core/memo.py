"""A small bounded memo kept by a process: what a process read or computed last, at most `size`
entries, the oldest put dropped first.

Several reads keep their last answers this way (the regencies' alarms, the sums of a province's
dashboard, the reads of rarely changed tables): the memo is shared by every request the process
answers, in one thread (gunicorn's sync workers) or several (the development server, the browser
tests' live server, threaded workers). Each operation holds a lock, so that no two threads see
the dict half changed (an eviction's `next(iter(...))` racing a put would raise); what is kept
is shared by the callers, who read it and must not change it unless its owner says so.

Order: `put` makes an entry the newest (a key put again moves to the end); `get` leaves the
order alone. When more than `size` entries are kept, the oldest put go first.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


class Memo(Generic[K, V]):
    """`Memo(64)`: at most 64 entries; `get`/`put`/`setdefault`/`pop`/`clear` (see above)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a memo keeps at least one entry")
        self.size = size
        self._kept: dict[K, V] = {}
        self._lock = threading.Lock()

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The value kept for `key`, or `default`."""
        with self._lock:
            return self._kept.get(key, default)

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `key` as the newest entry, dropping the oldest beyond `size`."""
        with self._lock:
            self._kept.pop(key, None)
            self._make_room()
            self._kept[key] = value

    def setdefault(self, key: K, value: V) -> V:
        """The value kept for `key`; if none, `value` is put (as `put`) and given back. One
        step: two threads asking together get the same value."""
        with self._lock:
            if key in self._kept:
                return self._kept[key]
            self._make_room()
            self._kept[key] = value
            return value

    @overload
    def pop(self, key: K) -> V | None: ...

    @overload
    def pop(self, key: K, default: D) -> V | D: ...

    def pop(self, key: K, default: object = None) -> object:
        """Take the value kept for `key` out of the memo (`default` if none)."""
        with self._lock:
            return self._kept.pop(key, default)

    def _make_room(self) -> None:
        # The lock held, before a new entry: drop the oldest until it fits (never more than
        # `size` entries, even for a moment).
        while len(self._kept) >= self.size:
            del self._kept[next(iter(self._kept))]

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._kept.clear()

    def keys(self) -> list[K]:
        """The keys kept, oldest first (a copy)."""
        with self._lock:
            return list(self._kept)

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._kept
