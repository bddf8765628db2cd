"""The heavy pages and the API's lists take a pinned number of queries, whatever the number of rows.

The access matrix's world (tests/accounts/test_access_matrix.py) is built once; every route below
is opened with 3 rows of each kind in the regency (reports, visits, detections, cases, operations,
incidents, people, organisations, memberships, activities, invitations, survey answers) and again
with 30. Both counts must equal the pinned one: a count that grows with the rows is an N+1 (fix it
with select_related/prefetch_related), a count that changes otherwise is a change to look at and
pin again. PostgreSQL and SQLite may differ (PINNED_POSTGRESQL lists only the differences).

Each request is made twice with an empty cache, the first one warming what a process keeps
(content types, the compiled templates): the second one is counted.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.accounts import test_access_matrix as matrix
from tests.accounts.test_access_matrix import ROUTES, VILLAGE_A, Route, _body, _request, _url

_file_roots = matrix._file_roots

# (route id, persona) -> queries on SQLite.
PINNED: dict[tuple[str, str], int] = {
    ("core:home", "alice"): 23,
    ("core:home", "bob"): 25,
    ("core:home", "satbinmas"): 25,
    ("core:home", "leader"): 21,
    ("core:home", "partner"): 9,
    ("core:home", "warga"): 4,
    ("core:home", "admin"): 28,
    ("servicedesk:queue", "bob"): 15,
    ("servicedesk:queue", "satbinmas"): 15,
    ("servicedesk:moderation", "satbinmas"): 6,
    ("maps:reports", "satbinmas"): 4,
    ("maps:incidents", "satbinmas"): 7,
    ("maps:hotspots", "satbinmas"): 6,
    ("maps:public_reports", "anonymous"): 1,
    ("programs:participation", "satbinmas"): 12,
    ("programs:activities", "satbinmas"): 6,
    ("analytics:participation", "satbinmas"): 15,
    ("analytics:dashboard", "satbinmas"): 25,
    ("analytics:dashboard", "alice"): 25,
    ("analytics:alarms", "satbinmas"): 13,
    ("analytics:hotspots", "satbinmas"): 8,
    ("analytics:scorecard", "satbinmas"): 19,
    ("analytics:records", "satbinmas"): 8,
    ("portal:territory", "anonymous"): 5,
    ("reports:anev", "satbinmas"): 5,
    ("open311:requests", "anonymous"): 2,
    ("fieldwork:index", "satbinmas"): 11,
    ("fieldwork:detections", "satbinmas"): 5,
    ("fieldwork:cases", "satbinmas"): 5,
    ("fieldwork:operations", "satbinmas"): 5,
    ("incidents:index", "satbinmas"): 6,
    ("partners:people", "satbinmas"): 5,
    ("partners:index", "partner"): 7,
    ("surveys:results", "satbinmas"): 22,
    ("GET /api/v1/me", "satbinmas"): 3,
    ("GET /api/v1/me/tokens", "satbinmas"): 4,
    ("GET /api/v1/territories", "satbinmas"): 4,
    ("GET /api/v1/partners/organisations", "satbinmas"): 4,
    ("GET /api/v1/partners/organisations/export", "satbinmas"): 4,
    ("GET /api/v1/partners/people", "satbinmas"): 4,
    ("GET /api/v1/partners/people/export", "satbinmas"): 4,
    ("GET /api/v1/partners/memberships", "satbinmas"): 4,
    ("GET /api/v1/partners/memberships/export", "satbinmas"): 4,
    ("GET /api/v1/partners/agreements", "satbinmas"): 5,
    ("GET /api/v1/programmes/activities", "satbinmas"): 7,
    ("GET /api/v1/programmes/activities/export", "satbinmas"): 4,
    ("GET /api/v1/programmes/participation", "satbinmas"): 5,
    ("GET /api/v1/programmes", "satbinmas"): 6,
    ("GET /api/v1/servicedesk/requests", "satbinmas"): 4,
    ("GET /api/v1/servicedesk/summary", "satbinmas"): 8,
    ("GET /api/v1/fieldwork/visits", "satbinmas"): 4,
    ("GET /api/v1/fieldwork/visits/villages", "satbinmas"): 6,
    ("GET /api/v1/fieldwork/visits/areas", "satbinmas"): 7,
    ("GET /api/v1/fieldwork/operations", "satbinmas"): 5,
    ("GET /api/v1/incidents/categories", "satbinmas"): 4,
    ("GET /api/v1/incidents", "satbinmas"): 5,
    ("GET /api/v1/analytics/compstat", "satbinmas"): 8,
    ("GET /api/v1/analytics/trend", "satbinmas"): 7,
    # Through the per-regency cache (coverage, version, and here a miss: read, cull count, write).
    ("GET /api/v1/analytics/alarms", "satbinmas"): 11,
    ("GET /api/v1/analytics/scorecard", "satbinmas"): 17,
    ("GET /api/v1/analytics/coverage", "satbinmas"): 9,
    ("GET /api/v1/analytics/participation", "satbinmas"): 8,
    ("GET /api/v1/analytics/glance", "satbinmas"): 7,
    ("GET /api/v1/analytics/rollups", "satbinmas"): 5,
    ("GET /api/v1/analytics/hotspots", "satbinmas"): 5,
    ("GET /api/v1/analytics/raid-plans", "satbinmas"): 4,
    ("GET /api/v1/analytics/dashboard", "satbinmas"): 24,
}
# Where PostgreSQL differs from SQLite (none today: both were run and agree).
PINNED_POSTGRESQL: dict[tuple[str, str], int] = {}

HOMES = ["alice", "bob", "satbinmas", "leader", "partner", "warga", "admin"]
PAGES = [
    ("servicedesk:queue", "bob"),
    ("servicedesk:queue", "satbinmas"),
    ("servicedesk:moderation", "satbinmas"),
    ("maps:reports", "satbinmas"),
    ("maps:incidents", "satbinmas"),
    ("maps:hotspots", "satbinmas"),
    ("maps:public_reports", "anonymous"),
    ("programs:participation", "satbinmas"),
    ("programs:activities", "satbinmas"),
    ("analytics:participation", "satbinmas"),
    ("analytics:dashboard", "satbinmas"),
    ("analytics:dashboard", "alice"),
    ("analytics:alarms", "satbinmas"),
    ("analytics:hotspots", "satbinmas"),
    ("analytics:scorecard", "satbinmas"),
    ("analytics:records", "satbinmas"),
    ("portal:territory", "anonymous"),
    ("reports:anev", "satbinmas"),
    ("open311:requests", "anonymous"),
    ("fieldwork:index", "satbinmas"),
    ("fieldwork:detections", "satbinmas"),
    ("fieldwork:cases", "satbinmas"),
    ("fieldwork:operations", "satbinmas"),
    ("incidents:index", "satbinmas"),
    ("partners:people", "satbinmas"),
    ("partners:index", "partner"),
    ("surveys:results", "satbinmas"),
]
BY_ID = {r.id: r for r in ROUTES}
# Every API list: the GET operations without a path parameter, as the regency's satbinmas.
API_LISTS = [
    (r.id, "satbinmas")
    for r in ROUTES
    if r.kind == "api"
    and r.method == "GET"
    and not r.params
    and not r.public
    # the evaluation answers a question about a programme and period it must be asked (400)
    and r.id != "GET /api/v1/analytics/evaluation"
]
CASES: list[tuple[str, str]] = [("core:home", p) for p in HOMES] + PAGES + API_LISTS


def _grow(users: dict[str, Any], start: int, count: int) -> None:
    """Add `count` rows of each kind in the regency (numbered from `start`: unique keys)."""
    from jaga.fieldwork import services as fieldwork
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident
    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind
    from jaga.programs import services as programs
    from jaga.programs.models import Programme
    from jaga.servicedesk.models import Channel, Service
    from jaga.servicedesk.services import moderate_request, submit_request
    from jaga.surveys import services as surveys
    from jaga.territory.models import PoliceUnit, Territory

    villages = [Territory.objects.get(code=c) for c in (VILLAGE_A, "35.03.11.2001")]
    district = Territory.objects.get(code="35.03.11")
    admin, officer = users["satbinmas"], users["bob"]
    programme = Programme.objects.get(code="QZP")
    categories = list(Category.objects.filter(children__isnull=True).order_by("code")[:3])
    service = Service.objects.get(code="knalpot_brong")
    unit = PoliceUnit.objects.get(code="polsek-a")
    now = timezone.now()
    for i in range(start, start + count):
        village = villages[i % 2]
        when = now - datetime.timedelta(days=2 + i % 20, hours=i)
        cache.clear()  # the intake's rate limits
        report, _ = submit_request(
            service=service,
            village=village,
            description=f"Knalpot brong nomor {i} di jalan desa.",
            channel=Channel.WEB,
            reporter_name=f"Pelapor {i}",
            phone=f"0812{i:08d}",
        )
        # Moderated: the public outputs (Open311, the public map) list it too.
        moderate_request(report, actor=users["bob"], approve=True, public_text=f"Knalpot {i}.")
        fieldwork.record_visit(
            actor=officer,
            village=village,
            visited_on=when.date(),
            household_head=f"Kepala {i}",
            topic="security",
            concerns=f"Keluhan {i}",
        )
        fieldwork.record_detection(
            actor=officer,
            village=village,
            observed_at=when,
            information=f"Informasi {i}",
            source_kind="resident",
            urgency="high",
            frequency="once",
            topic="security",
        )
        fieldwork.open_case(
            actor=officer,
            village=village,
            title=f"Sengketa {i}",
            kind="dispute",
            opened_on=when.date(),
            problem="Batas tanah.",
            party_one=f"Pihak satu {i}",
            party_two=f"Pihak dua {i}",
        )
        fieldwork.record_operation(
            actor=users["bob"],
            programme=programme,
            village=village,
            started_at=when,
            place=f"Tempat {i}",
            team_size=3,
            note="",
        )
        record_incident(
            category=categories[i % len(categories)],
            village=village,
            occurred_at=when,
            source="import",
            source_ref=f"qc-{i}",
            description=f"Kejadian {i}",
        )
        person = partners.create_person(
            actor=admin, full_name=f"Warga {i}", village=village, gender="f", phone=""
        )
        org = partners.create_organisation(
            actor=admin, kind=OrgKind.COMMUNITY, name=f"Paguyuban {i}", territory=village
        )
        partners.add_membership(
            actor=admin, person=person, organisation=org, started_on=datetime.date(2024, 1, 1)
        )
        activity = programs.record_activity(
            actor=admin,
            programme=programme,
            kind="meeting",
            title=f"Rapat {i}",
            starts_at=when,
            village=village,
            area=district,
        )
        activity.partners.add(org)
        programs.invite(activity, actor=admin, person=person)
        surveys.submit_ikm_response(
            village=village,
            unit=unit,
            scores={f"u{n}": 1 + i % 4 for n in range(1, 10)},
            answered_on=when.date(),
        )


def _measure(case: tuple[str, str], world: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(status, queries, their SQL) of the route opened by the persona."""
    route_id, persona = case
    route: Route = BY_ID[route_id]
    objects = world["objects"]
    url, _kind = _url(route, objects["A"], objects["shared"], VILLAGE_A)
    client = world["clients"][persona]
    cache.clear()
    _body(_request(client, route, url, "GET"))  # warm what the process keeps
    cache.clear()
    with CaptureQueriesContext(connection) as seen:
        response = _request(client, route, url, "GET")
        _body(response)
    return (
        response.status_code,
        len(seen.captured_queries),
        [q["sql"] for q in seen.captured_queries],
    )


world = matrix.world


@pytest.fixture(scope="module")
def counted(
    world: dict[str, Any], django_db_blocker: Any
) -> dict[tuple[str, str], tuple[int, int, int, list[str]]]:
    """(route, persona) -> (status, queries with 3 rows of each kind, with 30, the SQL with 30).

    Inside the world's transaction: the rows added here go with it."""
    with django_db_blocker.unblock():
        clients = {"anonymous": Client()}
        for name, key in world["sessions"].items():
            clients[name] = Client()
            clients[name].cookies[settings.SESSION_COOKIE_NAME] = key
        built = {**world, "clients": clients}
        _grow(world["users"], 0, 2)
        small = {case: _measure(case, built)[1] for case in CASES}
        _grow(world["users"], 2, 27)
        found = {}
        for case in CASES:
            status, count, sql = _measure(case, built)
            found[case] = (status, small[case], count, sql)
    return found


@pytest.mark.parametrize("case", CASES, ids=[f"{r} as {p}" for r, p in CASES])
def test_the_count_is_pinned_and_does_not_grow_with_the_rows(
    case: tuple[str, str], counted: dict[tuple[str, str], tuple[int, int, int, list[str]]], db: Any
) -> None:
    status, small, large, sql = counted[case]
    assert status == 200, f"{case}: {status}"
    assert small == large, (
        f"{case}: {small} queries with 3 rows, {large} with 30 (an N+1):\n" + "\n".join(sql)
    )
    pinned = PINNED[case]
    if connection.vendor == "postgresql":
        pinned = PINNED_POSTGRESQL.get(case, pinned)
    assert large == pinned, f"{case}: {large} queries, pinned {pinned}:\n" + "\n".join(sql)
