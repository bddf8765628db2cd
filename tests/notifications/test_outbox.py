"""An officers' notification is queued with the change that causes it (jaga.core.outbox): a row of
the change's own transaction on the database queue, after the commit on the immediate one. (A new
public report on the database queue is its own outbox instead: tests/servicedesk/test_announce.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from jaga.core import events, outbox
from jaga.notifications import tasks
from jaga.notifications.models import Notification
from jaga.servicedesk.models import ServiceRequest
from jaga.servicedesk.services.common import emit_report_event

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}  # production's


class Rollback(Exception):
    pass


def queued() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=tasks.notify_officers.module_path))


def overdue(report: ServiceRequest) -> None:
    """What the desk's reminder emits for a report past its time limit."""
    emit_report_event(events.REPORT_OVERDUE, report)


def test_the_notification_is_a_row_of_the_changes_transaction(
    settings: Any, file_report: Any, village_a: Any
) -> None:
    report = file_report(village_a)
    settings.TASKS = DATABASE_QUEUE
    with transaction.atomic():
        overdue(report)
        # Queued inside the transaction, not after its commit: it commits with the change.
        (task,) = queued()
        assert task.status == "READY"
        (event,) = task.args_kwargs["args"]
        assert event["event"] == "report.overdue" and event["object_id"] == report.ticket


def test_a_rolled_back_change_leaves_no_notification_queued(
    settings: Any, file_report: Any, village_a: Any
) -> None:
    report = file_report(village_a)
    settings.TASKS = DATABASE_QUEUE
    with pytest.raises(Rollback), transaction.atomic():
        overdue(report)
        assert len(queued()) == 1
        raise Rollback
    assert queued() == []


def test_on_the_immediate_queue_the_notification_runs_only_after_the_commit(
    file_report: Any, village_a: Any, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert not outbox.in_transaction(tasks.notify_officers)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            file_report(village_a)
            assert not Notification.objects.exists()  # not run inside the transaction
        assert not Notification.objects.exists()
    assert Notification.objects.filter(user=alice).exists()


def test_on_the_immediate_queue_a_rolled_back_report_notifies_nobody(
    file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as pending,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        file_report(village_a)
        raise Rollback
    assert pending == [] and not Notification.objects.exists()
