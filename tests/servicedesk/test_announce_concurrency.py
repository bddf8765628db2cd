"""Two workers' drains never announce the same report (row locks: PostgreSQL; a module of its
own: a transactional test empties the shared territory)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from jaga.core import events
from jaga.servicedesk.models import ServiceRequest
from jaga.servicedesk.services import announce

DATABASE_QUEUE = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}  # production's


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_restore_after_flush")
def test_two_workers_never_take_the_same_report(
    settings: Any, file_report: Any, village_a: Any, heard: list
) -> None:
    settings.TASKS = DATABASE_QUEUE
    reports = [file_report(village_a) for _ in range(4)]
    holding, release = threading.Event(), threading.Event()
    taken: list[int] = []
    real = announce.announce

    def slow_in_the_first(report: ServiceRequest, **kwargs: Any) -> events.Event:
        if threading.current_thread() is first:
            taken.append(report.pk)
            holding.set()
            release.wait(10)
        return real(report, **kwargs)

    def first_worker() -> None:
        try:
            announce.announce_pending(2)  # holds the two oldest until released
        finally:
            connection.close()

    first = threading.Thread(target=first_worker)
    announce.announce = slow_in_the_first  # type: ignore[assignment]
    try:
        first.start()
        assert holding.wait(10)
        assert announce.announce_pending(10) == 2  # the other two, skipping the held ones
    finally:
        release.set()
        first.join(10)
        announce.announce = real  # type: ignore[assignment]
    assert sorted(taken) == [reports[0].pk, reports[1].pk]
    assert sorted(e.object_id for e in heard) == sorted(r.ticket for r in reports)
    assert not ServiceRequest.objects.filter(to_announce=True).exists()
