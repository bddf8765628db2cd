"""On the database queue a public report is its own outbox: the intake marks it, the worker's
drain announces it (jaga.servicedesk.services.announce, jaga.core.outbox)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import transaction

from jaga.core import events, outbox
from jaga.notifications import tasks
from jaga.notifications.models import Notification
from jaga.servicedesk.models import ServiceRequest
from jaga.servicedesk.services import announce

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}  # production's


class Rollback(Exception):
    pass


def queued() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.all())


def test_the_intake_marks_the_report_and_queues_nothing(
    settings: Any, file_report: Any, village_a: Any, alice: Any
) -> None:
    settings.TASKS = DATABASE_QUEUE
    report = file_report(village_a)
    report.refresh_from_db()
    assert report.to_announce
    assert queued() == []  # no task row: the report row is the outbox
    assert not Notification.objects.exists()


def test_the_drain_announces_each_marked_report_once_after_its_commit(
    settings: Any,
    file_report: Any,
    village_a: Any,
    village_b: Any,
    alice: Any,
    heard: list,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = DATABASE_QUEUE
    first, second = file_report(village_a), file_report(village_b)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain_all() == 2
    assert not ServiceRequest.objects.filter(to_announce=True).exists()
    assert [e.object_id for e in heard] == [first.ticket, second.ticket]
    assert heard[0].at == first.received_at  # when the report came, not when it was told
    assert heard[0].data["village_code"] == village_a.code
    # The officers' notification ran in the drain's transaction, not queued for the worker again.
    (note,) = Notification.objects.filter(user=alice)
    assert note.object_id == first.ticket
    assert not [t for t in queued() if t.task_path == tasks.notify_officers.module_path]
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain_all() == 0  # nothing twice
    assert len(heard) == 2 and Notification.objects.filter(user=alice).count() == 1


def test_a_rolled_back_report_leaves_nothing_to_announce(
    settings: Any, file_report: Any, village_a: Any
) -> None:
    settings.TASKS = DATABASE_QUEUE
    with pytest.raises(Rollback), transaction.atomic():
        file_report(village_a)
        raise Rollback
    assert outbox.drain_all() == 0 and queued() == []


def test_a_failing_batch_rolls_back_and_its_reports_stay_marked(
    settings: Any,
    file_report: Any,
    village_a: Any,
    heard: list,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = DATABASE_QUEUE
    reports = [file_report(village_a) for _ in range(3)]
    real = announce.announce

    def breaks_on_the_second(report: ServiceRequest, **kwargs: Any) -> events.Event:
        if report.pk == reports[1].pk:
            raise RuntimeError("the database went away")
        return real(report, **kwargs)

    monkeypatch.setattr(announce, "announce", breaks_on_the_second)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain(10) == 0  # logged, not raised
    assert ServiceRequest.objects.filter(to_announce=True).count() == 3 and heard == []
    monkeypatch.setattr(announce, "announce", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain_all() == 3
    assert sorted(e.object_id for e in heard) == sorted(r.ticket for r in reports)


def test_a_failing_task_is_logged_and_the_report_still_announced(
    settings: Any,
    file_report: Any,
    village_a: Any,
    alice: Any,
    heard: list,
    monkeypatch: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = DATABASE_QUEUE
    from jaga.notifications import services as notification_services

    def broken(event: Any) -> list:
        Notification.objects.create(user=alice, kind=event.name, title="half-made")
        raise RuntimeError("mail server gone")

    monkeypatch.setattr(notification_services, "notify_officers", broken)
    report = file_report(village_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain_all() == 1
    # As a failed task: logged, its own writes undone (its savepoint), the report told anyway.
    assert "notify_officers failed" in caplog.text
    assert not Notification.objects.exists()
    assert [e.object_id for e in heard] == [report.ticket]
    assert not ServiceRequest.objects.filter(to_announce=True).exists()


class Stop(threading.Event):
    """Records the drain thread's waits between looks instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.log.append(f"wait {timeout}")
        return False


def test_drain_forever_takes_full_batches_at_once_and_waits_after_a_short_one() -> None:
    stop = Stop()
    taken = iter([7, 7, 3, 0])  # two full batches, what was left, then nothing

    def counting(limit: int) -> int:
        got = next(taken)
        stop.log.append(f"took {got} of {limit}")
        if got == 0:
            stop.set()
        return got

    outbox.register_drain("test.counting", counting)
    try:
        outbox.drain_forever(stop, interval=0.5, limit=7)
    finally:
        outbox._drains.pop("test.counting")
    assert stop.log == [
        "took 7 of 7",
        "took 7 of 7",  # at once after a full batch: more may wait
        "took 3 of 7",
        "wait 0.5",  # a short batch took all there was: look again later
        "took 0 of 7",
        "wait 0.5",
    ]


def test_other_writers_leave_the_report_unmarked(
    file_report: Any, village_a: Any, heard: list, django_capture_on_commit_callbacks: Any
) -> None:
    # The immediate queue (tests, TASKS_IMMEDIATE): announced in the report's own transaction.
    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(village_a)
    report.refresh_from_db()
    assert not report.to_announce
    assert [e.object_id for e in heard] == [report.ticket]
