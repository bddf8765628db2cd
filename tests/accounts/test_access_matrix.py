"""The access matrix: every route × every persona × an object in scope and one outside.

Routes come from the URL resolver (pages) and the OpenAPI document of /api/v1 (operations), so a
new route cannot be forgotten: a route without a role declaration (`@allow` / `@allow_public`)
fails `test_every_route_declares_its_roles` unless it is a third-party or class-based route listed
in UNDECLARED below. Each route is then opened by each persona:

- anonymous: the login page (pages) or 401 (API), unless the route is public;
- a role the route does not declare: 403, before any lookup;
- a declared role: an object in its scope opens (never 403/404), one outside answers 404.

Every response body of the matrix is searched for planted personal data (reporter names and
phones, household heads, informants' information, case parties, partner people, the NIK) and the
test fails where the persona has no need to see it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jaga.accounts.access import SIGNED_IN, declared_access
from jaga.accounts.models import Role
from jaga.api import api as jaga_api
from jaga.territory.models import COUNTRY_CODE, Territory
from jaga.territory.polres import ensure_country
from tests.conftest import client_for
from tests.factories import (
    NIK_A,
    NIK_C,
    PERSON_PHONES,
    PHONES,
    PostingFactory,
    UserFactory,
    build_world,
    marker,
)

VILLAGE_A, DISTRICT_AB = "35.03.11.1002", "35.03.11"
DISTRICT_C, REGENCY = "35.03.02", "35.03"

# persona -> (role, territory of its posting); admin is a superuser without a posting.
PERSONAS: dict[str, tuple[str, str] | None] = {
    "anonymous": None,
    "warga": (Role.PUBLIC, VILLAGE_A),
    "partner": (Role.PARTNER, DISTRICT_AB),
    "alice": (Role.BHABIN, VILLAGE_A),
    "bob": (Role.POLSEK, DISTRICT_AB),
    "charlie": (Role.POLSEK, DISTRICT_C),
    "satbinmas": (Role.SATBINMAS, REGENCY),
    "leader": (Role.LEADER, REGENCY),
    "admin": (Role.ADMIN, "*"),
    # The levels above a Polres (jaga polres create): a Kapolda posted to the province and the
    # national unit (Korbinmas) posted to the country row, which opens everything.
    "kapolda": (Role.LEADER, "35"),
    "korbinmas": (Role.LEADER, COUNTRY_CODE),
}

# Routes that cannot carry a decorator of ours: Django's admin (its own staff login), the
# language switch and catalogue, the class-based login views and the DEBUG media server.
# name (or name prefix ending in ":") -> who may open it.
UNDECLARED: dict[str, str] = {
    "admin:": "django admin (is_staff, its own login)",
    "set_language": "public",
    "javascript-catalog": "public",
    "accounts:login": "public",
    "accounts:logout": "public",
    "accounts:password_change": "signed in",
    "media": "DEBUG only",
}
UNDECLARED_ACCESS = {
    "public": None,
    "signed in": SIGNED_IN,
}

# Independent of the declarations: police records never open to residents or partners,
# partnership data never to residents. (pattern over the route id, roles that must not be declared)
POLICE = frozenset({Role.PUBLIC, Role.PARTNER})
POLICY: list[tuple[str, frozenset[str]]] = [
    (r"^(fieldwork|incidents|analytics|reports|territory):", POLICE),
    (r"^servicedesk:(queue|desk_entry|detail|photo|act|bulk|saved_filters)$", POLICE),
    (r"^maps:(reports|incidents|hotspots)$", POLICE),
    (
        r"^surveys:(results|results_for|ikm_entry|trust_entry|import|import_template|export)$",
        POLICE,
    ),
    (r"^(partners|programs):", frozenset({Role.PUBLIC})),
    (r"^notifications:(inbox|unread|settings)$", frozenset({Role.PUBLIC})),
    (r"^\w+ /api/v1/(fieldwork|incidents|analytics|territories|surveys|reports/anev)", POLICE),
    (r"^GET /api/v1/servicedesk/requests", POLICE),
    # POST /requests/with-photos is the public intake with photos, as POST /requests.
    (r"^\w+ /api/v1/servicedesk/(requests/(?!with-photos$)|intake|summary)", POLICE),
    (r"^\w+ /api/v1/(partners|programmes)", frozenset({Role.PUBLIC})),
]


@dataclass
class Route:
    id: str  # "namespace:name" for pages, "METHOD /api/v1/path" for operations
    kind: str  # "page" or "api"
    params: list[str]
    public: bool
    roles: frozenset[str]
    method: str = "GET"
    path: str = ""  # API path template
    query: dict[str, str] = field(default_factory=dict)
    body: bool = False


def _walk(patterns: list[Any], ns: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "api":
                continue
            inner = ":".join(x for x in (ns, p.namespace) if x) if p.namespace else ns
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns else (p.name or "")
            yield name, p


def _undeclared(name: str) -> str | None:
    for key, what in UNDECLARED.items():
        if name == key or (key.endswith(":") and name.startswith(key)):
            return what
    return None


def _params(pattern: URLPattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def _pages(patterns: list[Any] | None = None) -> tuple[list[Route], list[str]]:
    routes, missing = [], []
    for name, pattern in _walk(get_resolver().url_patterns if patterns is None else patterns):
        if "media" in str(pattern.pattern) and not name:
            continue
        declared = declared_access(pattern.callback)
        if declared is None:
            what = _undeclared(name)
            if what is None:
                missing.append(f"{name or pattern.pattern} ({pattern.lookup_str})")
                continue
            if what not in UNDECLARED_ACCESS:
                continue
            roles = UNDECLARED_ACCESS[what]
            routes.append(Route(name, "page", _params(pattern), roles is None, roles or SIGNED_IN))
            continue
        routes.append(
            Route(name, "page", _params(pattern), declared.public, frozenset(declared.roles))
        )
    return routes, missing


def _operations(api: Any) -> dict[str, Any]:
    """operationId -> Ninja operation, for every operation mounted on the API."""
    found = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                found[api.get_openapi_operation_id(operation)] = operation
    return found


def _api(api: Any = jaga_api, prefix: str | None = None) -> tuple[list[Route], list[str]]:
    operations = _operations(api)
    routes, missing = [], []
    for path, methods in api.get_openapi_schema(path_prefix=prefix)["paths"].items():
        for method, spec in methods.items():
            rid = f"{method.upper()} {path}"
            operation = operations.get(spec["operationId"])
            declared = declared_access(operation.view_func) if operation else None
            if declared is None:
                missing.append(rid)
                continue
            query = {
                p["name"]: ""
                for p in spec.get("parameters", [])
                if p["in"] == "query" and p.get("required")
            }
            routes.append(
                Route(
                    rid,
                    "api",
                    re.findall(r"{(\w+)}", path),
                    declared.public,
                    frozenset(declared.roles),
                    method=method.upper(),
                    path=path,
                    query=query,
                    body="requestBody" in spec,
                )
            )
    return routes, missing


PAGES, MISSING_PAGES = _pages()
OPERATIONS, MISSING_OPERATIONS = _api()
ROUTES = PAGES + OPERATIONS


def test_every_route_declares_its_roles() -> None:
    assert not MISSING_PAGES, f"pages without @allow/@allow_public: {MISSING_PAGES}"
    assert not MISSING_OPERATIONS, (
        f"API operations without @allow/@allow_public: {MISSING_OPERATIONS}"
    )


def test_the_matrix_covers_the_whole_api_and_every_app() -> None:
    assert len(OPERATIONS) >= 85
    namespaces = {r.id.split(":")[0] for r in PAGES if ":" in r.id}
    assert {"fieldwork", "incidents", "servicedesk", "partners", "programs", "portal"} <= namespaces


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_declarations_follow_the_policy(route: Route) -> None:
    for pattern, never in POLICY:
        if re.search(pattern, route.id):
            assert not route.public, f"{route.id} is police or partnership data: not public"
            assert not (route.roles & never), f"{route.id} opens to {sorted(route.roles & never)}"


def test_a_route_without_declaration_is_caught() -> None:
    from django.urls import path
    from ninja import NinjaAPI, Router

    def naked(request: Any) -> Any:
        raise AssertionError("never called")

    _routes, missing = _pages([*get_resolver().url_patterns, path("qz-naked/", naked, name="qz")])
    assert any(m.startswith("qz ") for m in missing)

    router = Router()
    router.get("/naked")(naked)
    other = NinjaAPI(urls_namespace="qz-api")
    other.add_router("qz", router)
    _routes, missing = _api(other, "/qz-api/")
    assert missing == ["GET /qz-api/qz/naked"]


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """Personas, their clients and the objects of both sides, built once for the module inside
    a transaction that is rolled back at the end (each test rolls back its own changes)."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PROTECTED_MEDIA_ROOT=str(media / "protected")),
        transaction.atomic(),
    ):
        users = {}
        for name, posting in PERSONAS.items():
            if posting is None:
                continue
            role, code = posting
            if name == "admin":
                users[name] = UserFactory(username="qz-admin", is_staff=True, is_superuser=True)
                continue
            if code == COUNTRY_CODE:
                ensure_country()
            user = UserFactory(username=f"qz-{name}")
            PostingFactory(user=user, role=role, territory=Territory.objects.get(code=code))
            users[name] = user
        objects = build_world(users)
        sessions = {}
        for name, user in users.items():
            client = client_for(user)  # leaders and administrators have passed two-factor login
            sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield {"users": users, "objects": objects, "sessions": sessions, "media": str(media)}
        transaction.set_rollback(True)


@pytest.fixture
def clients(world: dict[str, Any]) -> dict[str, Client]:
    """A client per persona, on the session made for the module (a test that logs out only
    ends the session inside its own transaction)."""
    found = {"anonymous": Client()}
    for name, key in world["sessions"].items():
        found[name] = Client()
        found[name].cookies[settings.SESSION_COOKIE_NAME] = key
    return found


@pytest.fixture(autouse=True)
def _file_roots(settings: Any, world: dict[str, Any]) -> None:
    """The module's files (photos, documents) stay where the world put them."""
    settings.MEDIA_ROOT = world["media"]
    settings.PROTECTED_MEDIA_ROOT = str(Path(world["media"]) / "protected")


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _scope_code(obj_kind: str, side_objects: dict[str, Any]) -> str | None:
    """The territory code that decides who sees the object (None: not territory-scoped)."""
    obj = side_objects[obj_kind]
    if obj_kind in {"job", "raid_plan", "import_job"}:
        return str(obj.territory.code)
    if obj_kind == "invitation":
        return str(obj.activity.village.code)
    if obj_kind in {"organisation", "agreement"}:
        return str(obj.territory.code)
    if obj_kind in {"village", "district"}:
        return str(obj.code)
    if hasattr(obj, "village"):
        return str(obj.village.code)
    return None


def _page_value(
    route: Route, param: str, side: dict[str, Any], shared: dict[str, Any]
) -> tuple[Any, str | None]:
    """(value, object kind) for a page parameter; kind None when the value scopes nothing."""
    name = route.id
    if param == "fmt":
        return ("json" if name.startswith("open311") else "csv"), None
    if param == "kind":
        return ("ikm" if name.startswith("surveys") else "people"), None
    if param == "file_pk":
        return side["activity_file"].pk, "activity"
    if param == "action":
        return "note", None
    if param == "ticket":
        return side["report"].ticket, ("report" if not _public(route) else None)
    if param == "user_id":
        return side["visit"].officer_id, "visit"
    if param == "incident_id":
        return side["incident"].pk, "incident"
    if param == "token_id":
        return side["token"].pk, "token"
    if param == "token":
        return (side["trust_invitation"].token if name.startswith("surveys") else "none"), None
    if param == "code":
        if name in {
            "fieldwork:village",
            "territory:detail",
            "territory:polmas_status",
            "surveys:results_for",
        }:
            return side["village"].code, "village"
        if name.startswith("reports:"):
            return side["job"].code, "job"
        if name == "incidents:import_job":
            return side["import_job"].code, "import_job"
        if name == "programs:checkin":
            return side["invitation"].code, "invitation"
        if name == "programs:programme":
            return shared["programme"].code, None
        if name.startswith("portal:"):
            return REGENCY, None
        if name in {"servicedesk:report_form", "open311:service"}:
            return shared["service"].code, None
        if name == "servicedesk:track_code":
            return "NOTTHECODE000000", None  # a wrong tracking code: the public answer
    if param == "pk":
        if name.startswith("fieldwork:detection"):
            return side["detection"].pk, "detection"
        if name.startswith("fieldwork:case"):
            return side["case"].pk, "case"
        if name == "fieldwork:visit_photo":
            return side["visit"].pk, "visit"
        if name == "partners:agreement_document":
            return side["agreement"].pk, "agreement"
        if name == "fieldwork:operation":
            return side["operation"].pk, "operation"
        if name.startswith("partners:person"):
            return side["person"].pk, "person"
        if name in {"partners:organisation", "partners:agreement_create"}:
            return side["organisation"].pk, "organisation"
        if name in {"programs:print", "programs:answer"}:
            return side["invitation"].pk, "invitation"
        if name.startswith("programs:"):
            return side["activity"].pk, "activity"
        if name in {"servicedesk:photo", "servicedesk:public_photo"}:
            return side["photo"].pk, None
    raise AssertionError(f"no value for {param} of {name}: add it to the matrix")


API_IDS = {
    "visit_id": "visit",
    "detection_id": "detection",
    "case_id": "case",
    "operation_id": "operation",
    "incident_id": "incident",
    "org_id": "organisation",
    "person_id": "person",
    "activity_id": "activity",
    "invitation_id": "invitation",
    "token_id": "token",
}


def _api_value(
    route: Route, param: str, side: dict[str, Any], shared: dict[str, Any]
) -> tuple[Any, str | None]:
    if param in API_IDS:
        kind = API_IDS[param]
        return side[kind].pk, kind
    if param == "ticket":
        return side["report"].ticket, (None if route.public else "report")
    if param == "code":
        if "/territories/" in route.path or "/surveys/results/" in route.path:
            return side["village"].code, "village"
        if "/reports/anev/" in route.path:
            return side["district"].code, "district"
        if "/reports/public/" in route.path:
            return REGENCY, None
        if "/incidents/import-jobs/" in route.path:
            return side["import_job"].code, "import_job"
        if route.path.startswith("/api/v1/programmes/"):
            return shared["programme"].code, None
    raise AssertionError(f"no value for {param} of {route.id}: add it to the matrix")


QUERY = {"service_code": "knalpot_brong", "programme": "QZP", "month": "2024-01"}


def _public(route: Route) -> bool:
    return route.public


def _visible(persona: str, kind: str | None, side_objects: dict[str, Any]) -> bool:
    """Whether the persona's posting covers the object (the expected answer, from the data)."""
    posting = PERSONAS[persona]
    if kind is None or posting is None:
        return True
    if kind == "token":
        return side_objects["token"].user.username == f"qz-{persona}"
    if kind == "visit" and side_objects["visit"].officer.username == f"qz-{persona}":
        return True
    code = _scope_code(kind, side_objects)
    _role, scope = posting
    everything = scope in {"*", COUNTRY_CODE}
    return code is None or everything or code == scope or code.startswith(scope + ".")


def _url(
    route: Route, side: dict[str, Any], shared: dict[str, Any], village: str
) -> tuple[str, str | None]:
    kinds = []
    if route.kind == "page":
        kwargs = {}
        for param in route.params:
            value, kind = _page_value(route, param, side, shared)
            kwargs[param] = value
            kinds.append(kind)
        url = reverse(route.id, kwargs=kwargs)
        if route.id.endswith((":export", "_export")) or route.id == "partners:export":
            url += "?format=csv"
    else:
        url = route.path
        for param in route.params:
            value, kind = _api_value(route, param, side, shared)
            url = url.replace("{" + param + "}", str(value))
            kinds.append(kind)
        query = {k: QUERY.get(k, village) for k in route.query}
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    scoped = [k for k in kinds if k is not None]
    return url, (scoped[0] if scoped else None)


def _body(response: Any) -> str:
    # Reading a streamed answer to its end closes it (as a WSGI server would); closing an answer
    # again would send request_finished and close the test's database connection.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # XLSX: the text is inside the zip
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b" ".join(archive.read(n) for n in archive.namelist())
    return content.decode("utf-8", errors="replace").lower()


def _request(client: Client, route: Route, url: str, method: str) -> Any:
    if route.kind == "api":
        call = getattr(client, method.lower())
        if route.body or method in {"POST", "PATCH", "PUT"}:
            return call(url, data={}, content_type="application/json")
        return call(url)
    return client.post(url, POST_DATA.get(route.id, {})) if method == "POST" else client.get(url)


# Forms that answer 404 to an empty POST (an unknown action is not a page).
POST_DATA = {"fieldwork:detection_escalate": {"to": "closed"}}


# Personal data each persona may see; everything else planted must never reach it.
POLICE_FIELDS = ["head", "concern", "informant", "partyone", "partytwo", "opnote", "incident"]
REPORTER_FIELDS = ["reporter", "mail"]
PARTNER_FIELDS = ["person"]


def _markers(side: str, fields: list[str]) -> list[str]:
    return [marker(f, side) for f in fields]


def _forbidden(persona: str) -> list[str]:
    never = [NIK_A, NIK_C]
    police = {
        s: _markers(s, POLICE_FIELDS + REPORTER_FIELDS) + [PHONES[s][-10:]] for s in ("A", "C")
    }
    people = {s: _markers(s, PARTNER_FIELDS) + [PERSON_PHONES[s][-10:]] for s in ("A", "C")}
    own = [marker("own", "A"), "81255550011"]
    if persona in {"anonymous", "warga"}:
        hidden = police["A"] + police["C"] + people["A"] + people["C"]
        return never + hidden + ([] if persona == "warga" else own)
    if persona == "partner":
        return never + police["A"] + police["C"] + people["C"] + own
    if persona in {"alice", "bob"}:
        return never + police["C"] + people["C"]
    if persona == "charlie":
        return never + police["A"] + people["A"] + own
    return never


OK_STATUSES = {200, 201, 204, 302, 303, 400, 405, 409, 422, 429}


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_route(route: Route, world: dict[str, Any], clients: dict[str, Client], db: Any) -> None:
    objects = world["objects"]
    shared = objects["shared"]
    method = route.method
    if route.kind == "page":
        # A POST-only page answers GET with 405 before anything else: ask it with POST.
        probe, _kind = _url(route, objects["A"], shared, VILLAGE_A)
        answer = clients["admin"].get(probe)
        _body(answer)
        if answer.status_code == 405:
            method = "POST"
    problems: list[str] = []
    leaks: list[str] = []
    asked = set()
    for side, village in (("A", VILLAGE_A), ("C", "35.03.02.2008")):
        url, kind = _url(route, objects[side], shared, village)
        if url in asked:  # a route without an object: one round is enough
            continue
        asked.add(url)
        for persona, client in clients.items():
            token = objects[side]["token"]
            token.refresh_from_db()
            was_active = token.revoked_at is None
            response = _request(client, route, url, method)
            status = response.status_code
            where = f"{persona} {method} {url} → {status}"
            if status >= 500:
                problems.append(f"{where}: server error")
                continue
            posting = PERSONAS[persona]
            if route.public:
                if status in {401, 403} or _login_redirect(response):
                    problems.append(f"{where}: a public route refused")
            elif posting is None:
                wanted = 401 if route.kind == "api" else "login"
                if not (status == 401 if route.kind == "api" else _login_redirect(response)):
                    problems.append(f"{where}: anonymous should get {wanted}")
            elif posting[0] not in route.roles:
                if status != 403:
                    problems.append(f"{where}: role {posting[0]} is not declared, expected 403")
            elif _visible(persona, kind, objects[side]):
                if status not in OK_STATUSES:
                    problems.append(f"{where}: in scope, expected an answer")
            elif kind == "token":  # someone else's token: refused, and still valid
                token.refresh_from_db()
                if was_active and (token.revoked_at is not None or status in {200, 204}):
                    problems.append(f"{where}: revoked someone else's token")
            elif status != 404 and not (route.body and status == 422):
                problems.append(f"{where}: out of scope, expected 404")
            body = _body(response)
            for secret in _forbidden(persona):
                if secret.lower() in body:
                    leaks.append(f"{where}: shows {secret}")
    assert not problems, "access matrix:\n" + "\n".join(problems)
    assert not leaks, "personal data the persona has no need for:\n" + "\n".join(leaks)


def test_the_world_plants_every_marker(
    world: dict[str, Any], clients: dict[str, Client], db: Any
) -> None:
    """The personal-data search would pass vacuously if staff in scope never saw the markers."""
    satbinmas = clients["satbinmas"]
    objects = world["objects"]["A"]
    seen = "".join(
        _body(satbinmas.get(url))
        for url in [
            reverse("fieldwork:case", args=[objects["case"].pk]),
            reverse("fieldwork:detection", args=[objects["detection"].pk]),
            reverse("fieldwork:village", args=[VILLAGE_A]),
            reverse("servicedesk:detail", args=[objects["report"].ticket]),
            reverse("partners:person", args=[objects["person"].pk]),
        ]
    )
    for field_name in ["partyone", "informant", "head", "reporter", "person"]:
        assert marker(field_name, "A").lower() in seen, field_name
    # The same pages given to a partner, a resident or Charlie would be flagged.
    for persona in ("partner", "warga", "anonymous", "charlie"):
        assert any(secret.lower() in seen for secret in _forbidden(persona)), persona
