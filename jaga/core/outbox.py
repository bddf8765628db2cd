"""Tasks queued with the change that causes them (a transactional outbox).

With the database queue (`django_tasks_db`, production) a task enqueued inside the caller's
transaction is one more row of that transaction: it commits with the change or not at all, so a
crash between the commit and a later enqueue can no longer lose it, and the change's commit (one
WAL flush) carries it. The worker only sees committed rows, so it never runs a task of a change
that is still open or was rolled back.

Any other queue (the immediate backend of tests and the demo, `TASKS_IMMEDIATE`) would run the
task at once, inside the transaction, before the change is visible or even certain: there the
task is enqueued after the commit (`transaction.on_commit`), as before, and never for a rolled
back change. Outside a transaction the task is enqueued at once on every queue.

**Rows that are their own outbox.** Where a change happens very often and its follow-up is the
same every time (every public report tells the officers of its village), a task row per change
costs a row in the request and a claim and two status writes in the worker. There the changed row
carries a mark instead (the report's `to_announce`), and a *drain* registered here
(`register_drain`) finds the marked rows, unmarks them and does their follow-up in one
transaction, a batch at a time: the worker (`jaga db_worker`, Jaga's) runs every drain in a
thread beside its task loop. It is the same guarantee as a task row: the mark commits with the
change, a drain that fails or is killed rolls back and the rows stay marked for the next one, and
two workers never take the same row (`FOR UPDATE SKIP LOCKED`; SQLite's writer lock). Only the
database queue has a worker: a writer marks rows only when `database_queue()` says so, and on any
other queue does the follow-up as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, router, transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend

log = logging.getLogger(__name__)


def in_transaction(task: Task[Any, Any]) -> bool:
    """Whether `task` enqueued now becomes a row of the caller's open transaction."""
    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult  # models: imported once apps are ready

    return bool(transaction.get_connection(router.db_for_write(DBTaskResult)).in_atomic_block)


def enqueue(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` so that it runs only if the current transaction commits.

    In the transaction's own statements on the database queue (an error rolls the change back:
    the task is part of it); after the commit on any other queue, where a failure to enqueue is
    logged and never undoes the committed change."""
    if in_transaction(task):
        task.enqueue(*args, **kwargs)
        return

    def after_commit() -> None:
        try:
            task.enqueue(*args, **kwargs)
        except Exception:  # the change is committed: a queue outage must not turn it into an error
            log.exception("enqueueing %s failed", task.module_path)

    transaction.on_commit(after_commit)


def database_queue() -> bool:
    """Whether the default queue is the database's, with a worker that runs the drains."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


# name -> drain(limit) -> how many rows it took (fewer than `limit`: nothing more is waiting).
Drain = Callable[[int], int]
_drains: dict[str, Drain] = {}


def register_drain(name: str, drain: Drain) -> None:
    _drains[name] = drain


def drain(limit: int = 200) -> int:
    """One batch of every drain; the rows taken in all. A failing drain is logged (its rows stay
    marked: the next batch tries them again) and the others still run."""
    taken = 0
    for name, fn in list(_drains.items()):
        try:
            taken += fn(limit)
        except Exception:
            log.exception("outbox drain %s failed", name)
    return taken


def drain_all(limit: int = 200) -> int:
    """Drain until nothing is waiting (`db_worker --batch`, tests); the rows taken in all."""
    total = 0
    while True:
        taken = drain(limit)
        total += taken
        if taken == 0:
            return total


def drain_forever(stop: threading.Event, interval: float, limit: int = 200) -> None:
    """The worker's drain thread, until `stop` is set: full batches one after another while
    more wait, else a look every `interval` s. A row waits at most about `interval` s, and under
    a steady stream each look takes what came in the meantime as one batch (a transaction and a
    few statements for all of them, not for each)."""
    while not stop.is_set():
        close_old_connections()
        if drain(limit) < limit:
            stop.wait(interval)
