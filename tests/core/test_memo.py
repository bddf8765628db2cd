"""The bounded memo a process keeps its last reads in: the oldest put dropped first, `get` leaving
the order alone, and threads putting and reading together without an error or a memo too big."""

from __future__ import annotations

import threading

import pytest

from jaga.core.memo import Memo


def test_the_oldest_put_is_dropped_first() -> None:
    memo: Memo[str, int] = Memo(3)
    for i, key in enumerate("abcd"):
        memo.put(key, i)
    assert memo.keys() == ["b", "c", "d"]
    assert memo.get("a") is None
    assert memo.get("b") == 1
    assert len(memo) == 3


def test_a_key_put_again_becomes_the_newest_and_a_get_moves_nothing() -> None:
    memo: Memo[str, int] = Memo(3)
    for i, key in enumerate("abc"):
        memo.put(key, i)
    assert memo.get("a") == 0  # read: still the oldest
    memo.put("b", 10)  # put again: the newest
    assert memo.keys() == ["a", "c", "b"]
    memo.put("d", 3)
    assert memo.keys() == ["c", "b", "d"]
    assert memo.get("b") == 10
    memo.put("e", 4)
    memo.put("f", 5)
    assert memo.keys() == ["d", "e", "f"]


def test_setdefault_keeps_what_is_there_and_puts_what_is_not() -> None:
    memo: Memo[str, list[int]] = Memo(2)
    first = memo.setdefault("a", [1])
    assert memo.setdefault("a", [2]) is first
    memo.setdefault("b", [])
    memo.setdefault("c", [])
    assert memo.keys() == ["b", "c"]
    assert "a" not in memo and "c" in memo


def test_pop_get_defaults_and_clear() -> None:
    memo: Memo[str, int | None] = Memo(2)
    memo.put("none", None)
    missing = object()
    assert memo.get("none", missing) is None  # a None kept is told from nothing kept
    assert memo.get("other", missing) is missing
    assert memo.pop("none", missing) is None
    assert memo.pop("none", missing) is missing
    memo.put("a", 1)
    memo.clear()
    assert len(memo) == 0 and memo.keys() == []


def test_a_memo_keeps_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        Memo(0)
    one: Memo[int, str] = Memo(1)
    one.put(1, "x")
    one.put(2, "y")
    assert one.keys() == [2]


def test_threads_put_and_read_together() -> None:
    memo: Memo[tuple[int, int], int] = Memo(50)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(5000):
                memo.put((n, i), i)
                memo.get((n, i - 3))
                memo.setdefault((n, i % 70), i)
                if i % 7 == 0:
                    memo.pop((n, i - 1))
                assert len(memo) <= 50
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(memo) == 50
