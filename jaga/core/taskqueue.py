"""Jaga's database task queue: django_tasks_db's, with a leaner enqueue.

Every public report queues a task (the officers' notification), so the enqueue is on the
intake's hot path: here the row is inserted by a statement made once (`prepared.insert`, not
`Model.save`) and the enqueued task's result is built once, for the `task_enqueued` signal and the
caller alike. The row, the signal, the worker (`jaga db_worker`) and everything after are
django_tasks_db's own.
"""

from __future__ import annotations

from typing import Any

from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db import DatabaseBackend as _DatabaseBackend

from jaga.core.prepared import insert


class DatabaseBackend(_DatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult, get_date_max

        row: Any = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # What django_tasks_db's one pre_save receiver (`set_run_after`) does.
            run_after=task.run_after if task.run_after is not None else get_date_max(),
            backend_name=self.alias,
        )
        return insert(row, send_signals=False)

    # Typed loosely: django-stubs describes Django 6's own tasks, django_tasks_db these.
    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result
