"""The QR check-in's queries, pinned (bench/throughput.py measures its speed under load).

One check-in through the API with a personal token: the rate-limit read for wrong tokens, the
token, the officer's postings (roles and scope), the activity in the officer's scope, then in one
transaction the invitation found by its code and locked, its update, one roll-up update for both
figures, and the audit row (chain lock, last hash, insert). A second scan of the same code stops
after the lock: nothing is written, no audit row.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jaga.accounts.services import create_api_token
from jaga.core.models import AuditLog
from jaga.programs import services
from jaga.programs.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(satbinmas: Any) -> str:
    made, raw = create_api_token(satbinmas, "scanner", actor=satbinmas)
    made.last_used_at = timezone.now()  # used a moment ago: no last-use update in the count
    made.save(update_fields=["last_used_at"])
    return raw


def test_one_check_in_takes_a_fixed_number_of_queries(
    meeting: Any,
    person_a: Any,
    resident_a: Any,
    satbinmas: Any,
    token: str,
    django_assert_num_queries: Any,
) -> None:
    first = services.invite(meeting, actor=satbinmas, person=person_a)
    second = services.invite(meeting, actor=satbinmas, person=resident_a)
    url = f"/api/v1/programmes/activities/{meeting.pk}/checkin"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    audit_rows = AuditLog.objects.count()
    with time_machine.travel(meeting.starts_at + datetime.timedelta(minutes=5), tick=False):
        # Both invitations already have their roll-up rows (the first check-in creates them).
        client.post(url, {"code": second.code}, content_type="application/json")
        # rate-limit read, token, postings, activity, SAVEPOINT, invitation FOR UPDATE,
        # invitation UPDATE, roll-up UPDATE, audit lock, audit INSERT, RELEASE
        # (the savepoint is the service's transaction inside the test's: BEGIN/COMMIT in
        # production)
        # (PostgreSQL: the audit lock is an advisory lock, and the INSERT reads the chain's head
        # itself; SQLite's write lock needs no statement, and the last hash is read before the
        # INSERT)
        with django_assert_num_queries(11):
            answer = client.post(url, {"code": first.code}, content_type="application/json")
        assert answer.status_code == 200
        assert answer.json()["already"] is False
        assert answer.json()["invitation"]["invitee"] == person_a.full_name
        with CaptureQueriesContext(connection) as again:
            repeat = client.post(url, {"code": first.code}, content_type="application/json")
    assert repeat.json()["already"] is True
    assert not [q for q in again.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert AuditLog.objects.count() == audit_rows + 2
    assert Invitation.objects.get(pk=first.pk).status == "present"


def test_the_token_is_looked_up_once_per_request(
    meeting: Any, person_a: Any, satbinmas: Any, token: str
) -> None:
    invitation = services.invite(meeting, actor=satbinmas, person=person_a)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/programmes/activities/{meeting.pk}/checkin"
    with (
        time_machine.travel(meeting.starts_at, tick=False),
        CaptureQueriesContext(connection) as seen,
    ):
        client.post(url, {"code": invitation.code}, content_type="application/json")
    sql = [q["sql"] for q in seen.captured_queries]
    assert len([s for s in sql if "accounts_apitoken" in s]) == 1
    assert len([s for s in sql if "accounts_posting" in s]) == 1
