"""`jaga db_worker --batch` announces the marked reports, then runs the tasks their
announcement queued (a module of its own: a transactional test empties the shared territory)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from jaga.accounts.models import Role
from jaga.notifications.models import Notification
from jaga.servicedesk.models import ServiceRequest
from tests.factories import PostingFactory, UserFactory

DATABASE_QUEUE = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}  # production's


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left in a transaction
@pytest.mark.usefixtures("_restore_after_flush")  # the flush empties the shared territory
def test_the_batch_worker_announces_then_runs_the_tasks(
    settings: Any, file_report: Any, village_a: Any, alice: Any, mailoutbox: list
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    # A second officer of the village: not the assignee, so told by e-mail too.
    dewi = UserFactory(username="dewi", email="dewi@polri.example")
    PostingFactory(user=dewi, role=Role.BHABIN, territory=village_a)
    report = file_report(village_a)
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "-v", "0")
    assert not ServiceRequest.objects.filter(to_announce=True).exists()
    assert Notification.objects.get(user=alice).in_inbox
    assert Notification.objects.get(user=dewi).object_id == report.ticket
    # Dewi's e-mail was queued by the drain and sent by the same run of the worker.
    assert [t.status for t in list(DBTaskResult.objects.all())] == ["SUCCESSFUL"]
    assert [m.to for m in mailoutbox] == [["dewi@polri.example"]]
