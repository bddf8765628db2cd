"""A rebuild that builds the roll-ups anew and swaps them in while an officer records an incident
(PostgreSQL, real threads and connections): the incident is counted once, whichever comes first.

The rebuild locks the live roll-ups against writes for its whole transaction (readers go on); a
writer's running count waits for it and lands in the swapped-in table after the commit, and an
incident committed before the rebuild's lock is in its recount. Either way the roll-ups then hold
exactly what a fresh recount gives.

A transactional test flushes the database; the module's `_restore_after_flush` puts the shared
data back.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.incidents.models import Category, Incident
from jaga.incidents.services import record_incident
from jaga.territory.models import Level, Territory
from tests.analytics.test_rebuild_all import snapshot

pytestmark = [
    pytest.mark.usefixtures("django_db_setup", "_restore_after_flush"),
    pytest.mark.django_db(transaction=True),
]

WAIT = 30  # seconds any step may take before the test gives up (never reached when it works)


@pytest.fixture(autouse=True)
def _postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("table locks and the swap are PostgreSQL's")
    monkeypatch.setattr(rebuild, "ALWAYS_ANEW", True)


def _record(k: int) -> Incident:
    village = Territory.objects.filter(level=Level.VILLAGE).order_by("code")[k % 7]
    return record_incident(
        category=Category.objects.filter(parent__isnull=False).order_by("code")[k % 3],
        village=village,
        occurred_at=datetime.datetime(2026, 3, 1 + k % 27, 9, tzinfo=datetime.UTC),
        source="import",
        source_ref=f"concurrent-{k}",
    )


def _waiting_on_a_lock(pid: int) -> bool:
    """Whether the backend `pid` waits for a lock (seen from another connection)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
        return bool(cursor.fetchone()[0])


def _until(test: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not test():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _in_thread(work: Callable[[], Any], pids: list[int], errors: list[BaseException]) -> Any:
    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _counted_once() -> None:
    total = Incident.objects.count()
    assert MonthlyIncidentCount.objects.aggregate(n=Sum("count"))["n"] == total
    for level in ("district", "regency"):
        rows = AreaMonthlyCount.objects.filter(level=level)
        assert rows.aggregate(n=Sum("count"))["n"] == total, level
    before = snapshot()
    rebuild.rebuild_incidents()  # a recount from scratch finds nothing to change
    assert snapshot() == before


def test_an_incident_recorded_during_a_rebuild_or_before_it_is_counted_once() -> None:
    """Both orders in one test (the flush after a transactional test empties the territory)."""
    for k in range(20):
        _record(k)
    _recorded_during_the_rebuild()
    assert Incident.objects.count() == 21
    _counted_once()
    _recorded_before_the_rebuilds_lock()
    assert Incident.objects.count() == 22
    _counted_once()


def _recorded_during_the_rebuild() -> None:
    """The rebuild holds the lock; the officer's incident is inserted, its running count waits
    for the swap and lands in the new table."""
    locked, go = threading.Event(), threading.Event()
    create = rebuild._Twin.create

    def paused(self: Any, *args: Any, **kwargs: Any) -> int:
        locked.set()  # the live tables are locked against writes by now
        assert go.wait(WAIT)
        return create(self, *args, **kwargs)

    rebuild._Twin.create = paused  # type: ignore[method-assign]
    try:
        errors: list[BaseException] = []
        rebuilder_pids: list[int] = []
        writer_pids: list[int] = []
        rebuilder = _in_thread(rebuild.rebuild_incidents, rebuilder_pids, errors)
        assert locked.wait(WAIT), errors
        writer = _in_thread(lambda: _record(100), writer_pids, errors)
        _until(lambda: bool(writer_pids) and _waiting_on_a_lock(writer_pids[0]), "writer waits")
        assert Incident.objects.filter(source_ref="concurrent-100").count() == 0  # not committed
        go.set()
        rebuilder.join(WAIT)
        writer.join(WAIT)
        assert not errors, errors
    finally:
        rebuild._Twin.create = create  # type: ignore[method-assign]


def _recorded_before_the_rebuilds_lock() -> None:
    """The officer's transaction holds its running count; the rebuild's lock waits for its
    commit, and the recount then includes the incident."""
    counted, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        with transaction.atomic():
            _record(200)  # the incident and its running count, not yet committed
            counted.set()
            assert commit.wait(WAIT)

    writer_pids: list[int] = []
    rebuilder_pids: list[int] = []
    writing = _in_thread(writer, writer_pids, errors)
    assert counted.wait(WAIT), errors
    rebuilder = _in_thread(rebuild.rebuild_incidents, rebuilder_pids, errors)
    _until(lambda: bool(rebuilder_pids) and _waiting_on_a_lock(rebuilder_pids[0]), "rebuild waits")
    commit.set()
    writing.join(WAIT)
    rebuilder.join(WAIT)
    assert not errors, errors
