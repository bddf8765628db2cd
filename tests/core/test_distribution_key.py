"""Ready for Citus: every read of a big table names the distribution key (docs/scaling.md).

Past one machine, the big tables (incidents and their village roll-ups) are distributed by
`regency_code`, co-located, so that a query naming one regency (or a list of them) runs on the
shard holding it and a GROUP BY regency_code runs in parallel on every shard. A query on those
tables without the key would have to visit every shard of the country.

This test opens every page of the access matrix as every persona (the suite's read paths, with
the matrix's objects in scope), records every SQL statement, and fails on any SELECT that reads a
big table without `regency_code` in its WHERE, JOIN or GROUP BY.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jaga.territory.models import COUNTRY_CODE, Territory
from jaga.territory.polres import ensure_country
from tests.accounts.test_access_matrix import PAGES, PERSONAS, VILLAGE_A, _url
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory, build_world

# distributed by regency_code (docs/scaling.md); every other table is a reference table (copied
# to every node: territory, categories, users) or small and regional (the desk, field work)
BIG_TABLES = ("incidents_incident", "analytics_monthlyincidentcount", "analytics_monthlymetric")
# Pages that still read a big table without the key: the field-work pages of one case, detection
# or raid join a coordinator-local row to its incidents by incident id (a foreign key without
# regency_code; docs/scaling.md, "What a migration to Citus still needs"). The list only shrinks: a
# page not in it that reads a big table must name regency_code.
KNOWN_UNKEYED: frozenset[str] = frozenset(
    {
        "fieldwork:case",
        "fieldwork:detection",
        "fieldwork:operation",
    }
)
# Whose scope is the whole country ("*"): a read of theirs with no territory condition at all
# (the national register, the national desk trend) is meant to visit every shard, in parallel.
NATIONAL = frozenset({"admin"})
SKIP = ("admin:", "set_language", "accounts:logout", "media", "javascript-catalog")
# \b: incidents_incidentlink (small, keyed by the incident) is not incidents_incident
TABLE = re.compile(r'(?:FROM|JOIN)\s+"?(' + "|".join(BIG_TABLES) + r')\b"?', re.IGNORECASE)
KEYED = re.compile(r"\b(WHERE|GROUP BY|ON)\b.*\bregency_code\b", re.IGNORECASE | re.DOTALL)
# a condition on a territory: a code column, the territory join's code or a village id
TERRITORY_CONDITION = re.compile(
    r'\bWHERE\b.*(_code"|"territory_territory"\."code"|"village_id")', re.IGNORECASE | re.DOTALL
)


def unkeyed(sql: str) -> bool:
    """A SELECT on a big table whose conditions or grouping never name regency_code."""
    return sql.lstrip().upper().startswith(("SELECT", "WITH")) and bool(
        TABLE.search(sql) and not KEYED.search(sql)
    )


def national_fanout(persona: str, sql: str) -> bool:
    """A whole-country read by a national persona: no territory condition to name a key by."""
    return persona in NATIONAL and not TERRITORY_CONDITION.search(sql)


def test_the_check_itself() -> None:
    assert unkeyed('SELECT COUNT(*) FROM "incidents_incident" WHERE "village_id" = 3')
    assert not unkeyed(
        'SELECT COUNT(*) FROM "incidents_incident" WHERE "incidents_incident"."regency_code" = %s'
    )
    assert not unkeyed(
        'SELECT "regency_code", SUM("count") FROM "analytics_monthlyincidentcount" '
        'GROUP BY "regency_code"'
    )
    assert not unkeyed('SELECT * FROM "territory_territory" WHERE "code" = %s')
    assert not unkeyed('SELECT * FROM "incidents_incidentlink" WHERE "incident_id" = 1')
    national = 'SELECT COUNT(*) FROM "incidents_incident" WHERE "incidents_incident"."id" = 1'
    assert national_fanout("admin", national) and not national_fanout("alice", national)
    assert not national_fanout(
        "admin", 'SELECT 1 FROM "incidents_incident" WHERE "incidents_incident"."district_code" = 1'
    )


def read_paths(users: dict[str, Any]) -> tuple[dict[str, Client], list[tuple[str, str, str]]]:
    """(persona -> signed-in client, [(persona, route, url)]): every GET page each persona may
    open."""
    objects = build_world(users)
    clients: dict[str, Client] = {"anonymous": Client()}
    clients.update({name: client_for(user) for name, user in users.items()})
    paths = []
    for persona, posting in PERSONAS.items():
        if persona not in CRAWLED and persona != "anonymous":
            continue
        for route in PAGES:
            if route.id.startswith(SKIP):
                continue
            if not (route.public or (posting is not None and posting[0] in route.roles)):
                continue
            url, _kind = _url(route, objects["A"], objects["shared"], VILLAGE_A)
            paths.append((persona, route.id, url))
    return clients, paths


# every role once (charlie is bob's role elsewhere): the crawl is minutes as it is
CRAWLED = ("warga", "partner", "alice", "bob", "satbinmas", "leader", "admin")


def personas(prefix: str) -> dict[str, Any]:
    users: dict[str, Any] = {}
    for name, posting in PERSONAS.items():
        if posting is None:
            continue
        role, code = posting
        if name == "admin":
            users[name] = UserFactory(username=f"{prefix}-admin", is_staff=True, is_superuser=True)
            continue
        if code == COUNTRY_CODE:
            ensure_country()
        user = UserFactory(username=f"{prefix}-{name}")
        PostingFactory(user=user, role=role, territory=Territory.objects.get(code=code))
        users[name] = user
    return users


@pytest.mark.heavy  # a crawl of several hundred pages (minutes)
@pytest.mark.django_db
def test_every_read_of_a_big_table_names_the_regency() -> None:
    clients, paths = read_paths(personas("dk"))
    offending: dict[str, str] = {}
    reads = 0
    for persona, route, url in paths:
        with CaptureQueriesContext(connection) as queries:
            # the test client closes a response itself (a second close() would send
            # request_finished outside its guard and close the test's PostgreSQL connection); a
            # streamed one (an export) is read to its end, which closes it
            response = clients[persona].get(url)
            if response.streaming:
                b"".join(response.streaming_content)  # type: ignore[arg-type]
        for query in queries.captured_queries:
            if TABLE.search(query["sql"]):
                reads += 1
            if (
                unkeyed(query["sql"])
                and route not in KNOWN_UNKEYED
                and not national_fanout(persona, query["sql"])
            ):
                offending.setdefault(route, f"{persona} {url}: {query['sql'][:300]}")
    assert reads > 10  # the crawl did read the big tables
    assert offending == {}, "new reads without regency_code:\n" + "\n".join(
        f"{route!r},  # {where}" for route, where in sorted(offending.items())
    )
