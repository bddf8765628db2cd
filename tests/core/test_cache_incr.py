"""The database cache's atomic `incr` (the rate limits' counter): on PostgreSQL one UPDATE that
adds to the stored value, else one locked read and one update."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_incr_counts_and_refuses_a_missing_or_expired_key() -> None:
    assert cache.add("counter", 1, 60)
    assert cache.incr("counter") == 2
    assert cache.incr("counter", 5) == 7
    assert cache.get("counter") == 7
    with pytest.raises(ValueError):
        cache.incr("never-set")
    cache.set("short", 1, 1)
    time.sleep(2.1)  # the cache stores expiry to the second
    with pytest.raises(ValueError):
        cache.incr("short")
    assert cache.add("short", 1, 60)  # the expired row is gone: a new window starts at 1
    assert cache.get("short") == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_restore_after_flush")
def test_a_counter_of_its_own_commits_without_waiting_for_the_disk_and_nothing_else() -> None:
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    assert cache.add("counter", 1, 60)
    with CaptureQueriesContext(connection) as alone:
        assert cache.incr("counter") == 2
        assert cache.incr("counter") == 3  # now in place: one UPDATE
    # The compare-and-swap of the first increment, then the in-place UPDATE.
    assert "set_config('synchronous_commit', 'off', true)" in alone.captured_queries[2]["sql"]
    assert "set_config('synchronous_commit', 'off', true)" in alone.captured_queries[3]["sql"]
    assert setting() == "on"  # for that transaction only
    with transaction.atomic():  # inside a caller's transaction: the caller's commit is untouched
        with CaptureQueriesContext(connection) as inside:
            assert cache.incr("counter") == 4
        assert setting() == "on"
    assert not any("synchronous_commit" in q["sql"] for q in inside.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's compare-and-swap")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_restore_after_flush")
def test_a_counter_is_one_statement_and_loses_no_count_to_workers_racing() -> None:
    assert cache.add("counter", 1, 60)
    with CaptureQueriesContext(connection) as first:
        assert cache.incr("counter") == 2
    # As `add` stored it (binary pickle): the in-place UPDATE finds nothing, then a read and a
    # compare-and-swap, no transaction of its own (no BEGIN / COMMIT), which store the text form.
    assert [q["sql"].split()[0] for q in first.captured_queries] == ["UPDATE", "SELECT", "UPDATE"]
    with CaptureQueriesContext(connection) as alone:
        assert cache.incr("counter") == 3
    assert [q["sql"].split()[0] for q in alone.captured_queries] == ["UPDATE"]
    assert cache.get("counter") == 3
    assert cache.decr("counter", 2) == 1
    assert cache.incr("counter") == 2

    def count(times: int) -> None:
        try:
            for _ in range(times):
                cache.incr("counter")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=count, args=(25,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get("counter") == 2 + 4 * 25


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's in-place counter")
def test_the_in_place_counter_leaves_expired_and_other_values_to_the_general_path() -> None:
    cache.set("big", 2**40, 60)  # not pickle's short text form: read and rewritten in Python
    assert cache.incr("big") == 2**40 + 1
    assert cache.get("big") == 2**40 + 1
    cache.set("word", "x", 60)
    with pytest.raises(TypeError):
        cache.incr("word")
    assert cache.add("n", 5, 60)
    assert cache.incr("n") == 6
    assert cache.incr("n") == 7  # in place
    with connection.cursor() as cursor:  # the window ended a second ago
        cursor.execute("UPDATE jaga_cache SET expires = now() - interval '1 second'")
    with pytest.raises(ValueError):
        cache.incr("n")
