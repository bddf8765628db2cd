"""Retries through the real task queue (the database queue `jaga db_worker` runs in production),
not the immediate backend the other tests use: each failed try queues the next at its time."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from jaga.core import events, outbox
from jaga.webhooks import signing
from jaga.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tests.localserver import LocalServer, Reply

SECRET = "s3cret-for-the-receiving-system-xyz"
T0 = datetime.datetime(2026, 11, 2, 3, 0, tzinfo=datetime.UTC)


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_restore_after_flush")  # the flush empties the shared territory
def test_failed_tries_wait_in_the_database_queue_with_growing_waits(
    server: LocalServer,
    settings: Any,
    file_report: Any,
    village_a: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WEBHOOK_RETRY_BASE = 60
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    server.answer("/hook", Reply(status=503, body=b"down"))
    Endpoint.objects.create(
        name="Dasbor", url=server.url("/hook"), secret=SECRET, events=[events.REPORT_CREATED]
    )
    with time_machine.travel(T0, tick=False) as clock:
        file_report(village_a)
        # The report is its own outbox: the worker's drain announces it, and then the delivery
        # is queued, not sent.
        assert not Delivery.objects.exists()
        outbox.drain_all()
        delivery = Delivery.objects.get()
        assert server.received == [] and delivery.attempts == 0
        run_worker()
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.response_code) == (1, 503)
        assert delivery.next_try_at == T0 + datetime.timedelta(seconds=60)
        (waiting,) = DBTaskResult.objects.filter(status="READY")
        assert waiting.task_path == "jaga.webhooks.tasks.send_delivery"
        assert waiting.run_after == T0 + datetime.timedelta(seconds=60)

        clock.shift(datetime.timedelta(seconds=59))
        run_worker()
        assert len(server.received) == 1  # not due yet

        clock.shift(datetime.timedelta(seconds=1))
        run_worker()
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_try_at == T0 + datetime.timedelta(seconds=60 + 120)

        server.answer("/hook", Reply(status=204, body=b""))
        clock.shift(datetime.timedelta(seconds=120))
        run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert len(server.received) == 3
    last = server.received[-1]
    assert signing.verify(
        SECRET,
        last.body,
        last.headers["X-Jaga-Signature"],
        now=(T0 + datetime.timedelta(seconds=180)).timestamp(),
    )
