"""Two officers change one report at the same moment (PostgreSQL row locks, real threads).

A transactional test flushes the database afterwards; the module fixture saves the shared data
(territory, seeded catalogues) first and puts it back, so later tests find it again.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from jaga.core.errors import DomainError
from jaga.servicedesk import services
from jaga.servicedesk.models import RequestUpdate, ServiceRequest, Status


@pytest.mark.usefixtures("_restore_after_flush")
@pytest.mark.django_db(transaction=True)
def test_two_officers_changing_one_report_at_once_never_lose_a_change(
    file_report: Any, village_a: Any, bob: Any, alice: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    report = file_report(village_a)
    services.transition_request(report, Status.ASSIGNED, actor=bob)
    version = ServiceRequest.objects.get(pk=report.pk).version
    outcomes: list[str] = []

    def act(actor: Any, to: str) -> None:
        try:
            services.transition_request(report, to, actor=actor, note="n", expected_version=version)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(alice, Status.IN_PROGRESS)),
        threading.Thread(target=act, args=(bob, Status.REJECTED)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    report.refresh_from_db()
    assert report.version == version + 1
    assert RequestUpdate.objects.filter(request=report, status_from=Status.ASSIGNED).count() == 1


def test_the_shared_data_is_back_after_the_flush(db: Any) -> None:
    from jaga.servicedesk.models import Service
    from jaga.territory.models import Territory

    assert Territory.objects.filter(code="35.03.11.1002").exists()
    assert Service.objects.filter(code="kdrt").exists()
