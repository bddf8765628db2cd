"""jaga.core.taskqueue: django_tasks_db's queue with a leaner enqueue, the same rows."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models.sql.compiler import SQLInsertCompiler

from jaga.notifications import tasks

EVENT = {
    "event": "report.created",
    "territory_code": "00.00.00.0000",
    "object_type": "servicedesk.servicerequest",
    "object_id": "TIKET",
    "data": {},
    "at": "2026-12-01T00:00:00+00:00",
}
LIBRARY = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JAGA = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}
SAME = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    "run_after",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
)


def _stored(result: Any) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.get(id=result.id)
    return {name: getattr(row, name) for name in SAME}


# The worker checks its connection between tasks as in production: committed rows, no test
# transaction around them.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("django_db_setup", "_restore_after_flush")
def test_the_row_is_the_one_django_tasks_db_writes_and_the_worker_runs_it(settings: Any) -> None:
    settings.TASKS = LIBRARY
    theirs = tasks.notify_officers.enqueue(EVENT)
    settings.TASKS = JAGA
    with mock.patch.object(SQLInsertCompiler, "as_sql", side_effect=AssertionError("compiled")):
        ours = tasks.notify_officers.enqueue(EVENT)
    assert ours.id != theirs.id and ours.status == "READY" and ours.args == [EVENT]
    assert ours.enqueued_at is not None
    assert _stored(ours) == _stored(theirs)
    deferred = tasks.notify_officers.using(run_after=ours.enqueued_at).enqueue(EVENT)
    assert _stored(deferred)["run_after"] == ours.enqueued_at

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    ours.refresh()
    assert ours.status == "SUCCESSFUL" and ours.return_value == 0
