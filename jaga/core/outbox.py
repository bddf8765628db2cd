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
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import router, transaction
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
