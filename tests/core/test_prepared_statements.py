"""jaga.core.prepared.cursor: on PostgreSQL the hot paths' statements are bound on the server and
prepared once per connection; Django's own cursors are left as they are."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jaga.core import prepared
from jaga.core.versioned import read_versions

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
)


def _prepared() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return {str(statement): str(name) for name, statement in cursor.fetchall()}


@postgresql_only
def test_a_statement_is_prepared_once_and_djangos_own_are_not() -> None:
    ours = "SELECT count(*) FROM analytics_dataversion WHERE version >= $1"
    for _ in range(3):
        with prepared.cursor() as cursor:
            cursor.execute(ours.replace("$1", "%s"), [0])
    with connection.cursor() as cursor:  # Django's cursor: bound on the client, never prepared
        for _ in range(6):
            cursor.execute("SELECT count(*) FROM analytics_dataversion WHERE version > %s", [0])
    statements = [s for s in _prepared() if "FROM analytics_dataversion WHERE" in s]
    assert statements == [ours]  # once, with its values bound: not one per value


@postgresql_only
@override_settings(JAGA_PREPARED_STATEMENTS=False)
def test_off_the_hot_paths_use_djangos_cursor() -> None:
    with prepared.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_auditlog WHERE id > %s", [-1])
    assert not [s for s in _prepared() if "core_auditlog WHERE id >" in s]
    assert "territory" in read_versions("default")


@postgresql_only
def test_values_are_typed_on_the_server_and_read_back_in_the_connections_zone() -> None:
    moment = timezone.now().replace(microsecond=0)
    with prepared.cursor() as cursor:
        cursor.execute(
            "SELECT %s::timestamptz + interval '1 hour', %s || 'x', %s + 1", [moment, "a", 41]
        )
        later, text, number = cursor.fetchone()
    assert later == moment + datetime.timedelta(hours=1)
    assert later.utcoffset() == datetime.timedelta(0)  # USE_TZ: as Django's own cursor reads it
    assert (text, number) == ("ax", 42)


@postgresql_only
def test_captured_queries_show_the_values() -> None:
    with CaptureQueriesContext(connection) as captured, prepared.cursor() as cursor:
        cursor.execute("SELECT name FROM analytics_dataversion WHERE name = %s", ["territory"])
    assert captured.captured_queries[-1]["sql"] == (
        "SELECT name FROM analytics_dataversion WHERE name = 'territory'"
    )
