"""The public JSON intake's queries, pinned (bench/throughput.py measures its speed under load)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from jaga.core.audit import verify_chain
from jaga.core.models import AuditLog
from jaga.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db

BODY = {
    "service_code": "knalpot_brong",
    "village_code": "35.03.11.1002",
    "description": "Knalpot brong tiap malam.",
    "name": "Warga",
    "phone": "081234567890",
    "answers": {"waktu": "malam"},
}


def post(client: Client, n: int) -> Any:
    return client.post(
        "/api/v1/servicedesk/requests",
        json.dumps({**BODY, "description": f"Knalpot brong tiap malam ({n})."}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"key-{n}",
    )


def test_one_report_takes_a_fixed_number_of_queries(
    client: Client, units: dict, alice: Any, django_assert_num_queries: Any
) -> None:
    # The window's rate-limit counter now exists, and the second count stored it in the form the
    # database adds to (jaga.core.cache).
    assert post(client, 1).status_code == 201
    assert post(client, 2).status_code == 201
    with django_assert_num_queries(EXPECTED):
        answer = post(client, 3)
    assert answer.status_code == 201
    assert ServiceRequest.objects.count() == 3


# The rate-limit counter (PostgreSQL: one UPDATE adding to it; SQLite: SAVEPOINT, SELECT ... FOR
# UPDATE, UPDATE, RELEASE); the tables' versions (one read for the village, the service, its
# questions and the Polsek, kept per process: jaga.core.versioned), the village's
# Bhabinkamtibmas (the idempotency key is read only when the report's INSERT finds it taken);
# then SAVEPOINT; on PostgreSQL the report, its first update, the roll-up and the audit chain's
# lock in one statement, then the audit row read onto the chain's head (one statement); RELEASE.
# In production the savepoints are BEGIN/COMMIT and the officers' notification is no statement
# at all: the report row is marked and the worker announces it (the test below); the immediate
# queue here emits it after the commit. SQLite: the report, its update and the roll-up apart
# (its write lock needs no statement), then the chain's head and the audit row apart.
EXPECTED = 7 if connection.vendor == "postgresql" else 13


def test_on_the_database_queue_the_report_is_its_own_outbox(
    client: Client, units: dict, alice: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "jaga.core.taskqueue.DatabaseBackend"}}
    assert post(client, 1).status_code == 201
    assert post(client, 2).status_code == 201
    with django_assert_num_queries(EXPECTED) as captured:
        assert post(client, 3).status_code == 201
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if "django_tasks_database_dbtaskresult" in sql]
    # Marked in the report's own INSERT, for the worker's drain (jaga.servicedesk.services.announce).
    assert list(ServiceRequest.objects.values_list("to_announce", flat=True)) == [True] * 3


def test_its_statements_are_prepared_and_its_audit_rows_hashed_right(
    client: Client, units: dict, alice: Any
) -> None:
    """PostgreSQL binds the values of the intake's statements on the server and prepares each
    once per connection (jaga.core.prepared.cursor): the same rows, a sound audit chain."""
    for n in range(3):
        assert post(client, n).status_code == 201
    assert verify_chain().intact  # the audit rows hashed on the server match their content
    for report in ServiceRequest.objects.all():  # on PostgreSQL written with the chain's lock
        assert [u.status_to for u in report.updates.all()] == ["received"]
        row = AuditLog.objects.get(action="servicedesk.received", object_id=str(report.pk))
        assert row.after["id"] == report.pk and row.after["ticket"] == report.ticket
        assert row.after["secret_hash"] == "***" and row.after["phone"] == "***"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            statements = "\n".join(str(row[0]) for row in cursor.fetchall())
        for table in ("servicedesk_servicerequest", "servicedesk_requestupdate", "core_auditlog"):
            assert f'INSERT INTO "{table}"' in statements
