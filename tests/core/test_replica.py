"""Reads from a real streaming replica (jaga/core/dbrouter.py, docs/scaling.md).

The router's decisions are checked everywhere. On PostgreSQL the module also starts the second
PostgreSQL itself (`tools/pg_replica.py start`: pg_basebackup of the local server, port 5440) and

- opens every page of the access matrix as every persona with reads routed to the replica: each
  page answers as it does from the primary, its figures read from the replica, the primary only
  asked for sessions, cache counters, login failures, the task queue or inside a transaction;
- pauses the replica's replay, submits a report, and sees it read back from the primary by the
  browser that wrote it, while another browser (reading the paused replica) does not see it yet;
- refuses a write on the replica (it is a real standby, not a second copy).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from jaga.core import dbrouter
from jaga.incidents.models import Incident
from jaga.territory.models import Territory
from tests.accounts.test_access_matrix import VILLAGE_A
from tests.core.test_distribution_key import personas, read_paths

ROOT = Path(__file__).resolve().parents[2]
ROUTERS = ["jaga.core.dbrouter.ReplicaRouter"]
# tables the primary alone answers for (dbrouter.PRIMARY_ONLY)
PRIMARY_TABLES = re.compile(
    r'"(django_session|jaga_cache|axes_\w+|django_tasks_database_\w+|otp_\w+)"'
)


def decide(
    method: str, cookies: dict[str, str] | None = None, monkeypatch: Any = None
) -> tuple[dict[str, str], Any]:
    """Where the middleware sends the reads of one request (model -> alias) and its response."""
    seen: dict[str, str] = {}

    def view(_request: HttpRequest) -> HttpResponse:
        from django.contrib.sessions.models import Session

        seen["incident"] = router.db_for_read(Incident)
        seen["session"] = router.db_for_read(Session)
        if monkeypatch is not None:  # as inside transaction.atomic() (no database here)
            monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "in_atomic_block", True)
            seen["in_transaction"] = router.db_for_read(Incident)
            monkeypatch.undo()
        seen["write"] = router.db_for_write(Incident)
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method.lower())("/")
    request.COOKIES.update(cookies or {})
    response = dbrouter.ReplicaReadsMiddleware(view)(request)
    seen["after"] = router.db_for_read(Incident)
    return seen, response


def test_the_router_sends_page_reads_to_the_replica_and_pins_a_writer(
    settings: Any, monkeypatch: Any
) -> None:
    settings.DATABASE_ROUTERS = ROUTERS
    seen, response = decide("GET", monkeypatch=monkeypatch)
    assert seen == {
        "incident": "replica",
        "session": "default",
        "in_transaction": "default",
        "write": "default",
        "after": "default",  # outside a request (commands, the worker): the primary
    }
    assert dbrouter.PIN_COOKIE not in response.cookies

    seen, response = decide("POST")
    assert seen["incident"] == "default"
    pin = response.cookies[dbrouter.PIN_COOKIE]
    assert pin["max-age"] == settings.REPLICA_PIN_SECONDS
    assert pin["httponly"]

    # the browser that wrote reads the primary while the cookie lasts
    seen, _response = decide("GET", {dbrouter.PIN_COOKIE: "1"})
    assert seen["incident"] == "default"


# ---------------------------------------------------------------- against a real replica


@pytest.fixture(scope="module")
def replica_server() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: a streaming replica is a PostgreSQL feature "
            "(run with DATABASE_URL=postgres://...)"
        )
    started = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pg_replica.py"), "start"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", "")},
        check=False,
        timeout=600,
    )
    if started.returncode == 2:
        pytest.skip(f"this machine cannot run a replica: {started.stderr.strip()}")
    assert started.returncode == 0, started.stdout + started.stderr


def put_back(saved: str) -> None:
    """The shared data (territory, catalogue) as serialized before the module (a transactional
    test's flush empties it; the flush's post_migrate re-created permissions and content types
    with new ids, the saved ones come back)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    Permission.objects.all().delete()
    ContentType.objects.all().delete()
    ContentType.objects.clear_cache()
    connection.creation.deserialize_db_from_string(saved)


@pytest.fixture(scope="module")
def replica_alias(
    replica_server: None, django_db_setup: None, django_db_blocker: Any
) -> Iterator[str]:
    """The `replica` database: the test database as the standby on port 5440 serves it. Declared
    before the tests' database fixtures (module scope) so that they may use it; a mirror, so that
    their flush leaves it alone (the primary's flush reaches it by replication)."""
    with django_db_blocker.unblock():
        saved = str(connection.creation.serialize_db_to_string())
    config = {**connections[DEFAULT_DB_ALIAS].settings_dict}
    config.update(HOST="127.0.0.1", PORT=int(os.environ.get("JAGA_REPLICA_PORT", "5440")))
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[dbrouter.REPLICA] = config
    try:
        yield saved
    finally:
        connections[dbrouter.REPLICA].close()
        del connections[dbrouter.REPLICA]
        connections.settings.pop(dbrouter.REPLICA, None)
        with django_db_blocker.unblock():
            put_back(saved)


@pytest.fixture
def replica(replica_alias: str, settings: Any) -> str:
    """Reads routed to the replica; the shared data there (put back if a test before emptied it)."""
    if not Territory.objects.exists():
        put_back(replica_alias)
    settings.DATABASE_ROUTERS = ROUTERS
    settings.MIDDLEWARE = ["jaga.core.dbrouter.ReplicaReadsMiddleware", *settings.MIDDLEWARE]
    return dbrouter.REPLICA


ON_REPLICA = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, "replica"])


def caught_up(timeout: float = 60) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    with connections[dbrouter.REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"replica still behind {target}"
            time.sleep(0.05)


@ON_REPLICA
def test_the_replica_is_a_read_only_standby(replica: str) -> None:
    with connections[replica].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
        with pytest.raises(Exception, match="read-only transaction"):
            cursor.execute("CREATE TABLE jaga_nope (id int)")


class PrimaryReads:
    """Records the SELECTs the primary runs outside a transaction that the replica should have
    answered (not sessions, cache, login failures, task queue; not /healthz's SELECT 1)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        text = sql.lstrip()
        if (
            text.upper().startswith("SELECT")
            and text != "SELECT 1"
            and not context["connection"].in_atomic_block
            and not PRIMARY_TABLES.search(text)
        ):
            self.found.append(text[:160])
        return execute(sql, params, many, context)


@pytest.mark.heavy  # a crawl of several hundred pages (minutes)
@ON_REPLICA
def test_every_page_reads_from_the_replica(replica: str) -> None:
    clients, paths = read_paths(personas("rep"))
    caught_up()
    failures: list[str] = []
    from_replica = 0
    for persona, _route, url in paths:
        leaked = PrimaryReads()
        with (
            connection.execute_wrapper(leaked),
            CaptureQueriesContext(connections[replica]) as on_replica,
        ):
            response = client_get(clients[persona], url)
        from_replica += len(on_replica)
        if response.status_code >= 500:
            failures.append(f"{persona} {url}: {response.status_code}")
        if leaked.found:
            failures.append(f"{persona} {url}: read on the primary: {leaked.found[0]}")
        assert dbrouter.PIN_COOKIE not in response.cookies
    assert len(paths) > 100 and from_replica > 1000
    assert not failures, "\n".join(failures)


def client_get(client: Client, url: str) -> Any:
    response = client.get(url)
    response.close()  # file answers hold their file open until closed
    return response


@ON_REPLICA
def test_a_reporter_reads_back_their_own_report_while_the_replica_lags(replica: str) -> None:
    from jaga.servicedesk.models import Service

    caught_up()
    service = Service.objects.filter(is_active=True, sensitive=False).order_by("pk").first()
    assert service is not None
    with connections[replica].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        reporter = Client()
        created = reporter.post(
            "/api/v1/servicedesk/requests",
            {
                "service_code": service.code,
                "village_code": VILLAGE_A,
                "description": "Knalpot brong tiap malam di dekat balai desa.",
                "anonymous": True,
            },
            content_type="application/json",
        )
        assert created.status_code == 201, created.content
        assert dbrouter.PIN_COOKIE in created.cookies
        ticket, code = created.json()["ticket"], created.json()["tracking_code"]
        url = f"/api/v1/servicedesk/track/{ticket}"
        headers = {"HTTP_X_TRACKING_CODE": code}

        def read(client: Client) -> tuple[int, int, int]:
            with (
                CaptureQueriesContext(connection) as on_primary,
                CaptureQueriesContext(connections[replica]) as on_replica,
            ):
                status = client.get(url, **headers).status_code
            return status, len(on_primary), len(on_replica)

        # the reporter's browser, pinned to the primary, sees the report at once
        status, primary_count, replica_count = read(reporter)
        assert (status, replica_count) == (200, 0) and primary_count > 0
        # anybody else reads the paused replica: not there yet
        status, _primary_count, replica_count = read(Client())
        assert status == 404 and replica_count > 0
    finally:
        with connections[replica].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    caught_up()
    status, _primary_count, replica_count = read(Client())
    assert status == 200 and replica_count > 0
