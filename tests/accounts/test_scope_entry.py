"""No page, API operation, feed or export reads a scoped model without the scope entry point.

jaga.accounts.access marks the querysets its entry points make (`for_user`, `get_for_user`, the
partnership reads of jaga.partners.access, and `unscoped(queryset, reason)` for the reads that
rightly bypass a user's scope). While every GET route of the access matrix is opened by staff of
a small territory, a partner coordinator and a resident, each SQL query compiled for a scoped
model (`scope_field`) is checked: if its queryset was first built in request-serving code (a
view, an API module, a feed, an export, a template tag, a read helper they call: our innermost
frame when the queryset was made) and it carries no mark, the test fails and names where it was
built. Only GET: the forms' POSTs write through the services, which check scope themselves.

Querysets Django builds itself from an object already in hand (a related manager, a foreign key,
`refresh_from_db`, a deletion's cascade, a prefetch) are not counted: the object they start from
went through the entry point.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from django.db.models import QuerySet
from django.db.models.sql import Query
from django.db.models.sql.subqueries import AggregateQuery, DeleteQuery, InsertQuery
from django.http import Http404
from django.test import Client

import jaga
from jaga.accounts.access import SCOPE_MARK, get_for_user, unscoped
from tests.accounts import test_access_matrix as matrix
from tests.accounts.test_access_matrix import ROUTES, VILLAGE_A, _body, _request, _url

# The access matrix's world, personas' clients and file roots (built again for this module).
world = matrix.world
clients = matrix.clients
_file_roots = matrix._file_roots
_fresh_cache = matrix._fresh_cache

JAGA = str(Path(jaga.__file__).parent) + "/"
# Where a request is served: what these build is read on behalf of the user asking. Beside the
# views, API modules, feeds, exports and template tags: the read helpers they call (queries.py,
# the analytics pages' modules), where a leak hides as well (the desk's "nearby" suggestions).
SERVING = re.compile(
    r"(^|/)(views|portal_views|api|home|exports?|feeds?|open311|maps|glance|pwa|nav|choose"
    r"|queries|portal|portal_series|public|participation|warning|hotspots|scorecard|coverage"
    r"|units)\.py$"
    r"|(^|/)templatetags/"
)
# Django code that builds a queryset from an object already fetched (and so already scoped).
FROM_AN_OBJECT = (
    "/django/db/models/fields/related_descriptors.py",
    "/django/db/models/fields/related.py",
    "/django/db/models/deletion.py",
    "/django/db/models/base.py",
    "/django/contrib/contenttypes/fields.py",
)
# The entry points themselves (and the querysets' own methods) build querysets of every kind.
ENTRY = ("accounts/access.py", "partners/access.py")
ORIGIN = "jaga_origin"
# The staff of a small territory (a village, a district, the regency's satbinmas), a partner
# coordinator and a resident (whose pages read their own rows).
PERSONAS = ("alice", "bob", "satbinmas", "partner", "warga")


def _origin(frame: FrameType | None) -> str | None:
    """Where a fresh queryset is built: "file:line" of our innermost frame in request-serving
    code, or None when Django builds it from an object or when our code there is not serving."""
    while frame is not None:
        path = frame.f_code.co_filename
        if path.endswith(FROM_AN_OBJECT):
            return None
        if path.startswith(JAGA):
            rel = path[len(JAGA) :]
            if rel.endswith(ENTRY):
                return None
            if SERVING.search(rel):
                return f"jaga/{rel}:{frame.f_lineno}"
            return None
        frame = frame.f_back
    return None


class Watch:
    """Records where querysets of scoped models are built and reports unmarked reads."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.route = ""

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original_init = QuerySet.__init__
        original_compiler = Query.get_compiler
        watch = self

        def init(
            qs: QuerySet[Any], model: Any = None, query: Any = None, *a: Any, **k: Any
        ) -> None:
            original_init(qs, model, query, *a, **k)
            if query is None and model is not None and getattr(model, "scope_field", None):
                origin = _origin(sys._getframe(1))
                if origin:
                    setattr(qs._query, ORIGIN, origin)

        def get_compiler(query: Query, *a: Any, **k: Any) -> Any:
            watch.check(query)
            return original_compiler(query, *a, **k)

        monkeypatch.setattr(QuerySet, "__init__", init)
        monkeypatch.setattr(Query, "get_compiler", get_compiler)

    def check(self, query: Query) -> None:
        if isinstance(query, AggregateQuery | DeleteQuery | InsertQuery):
            return  # made by Django around a query that is checked itself, or a write
        origin = getattr(query, ORIGIN, None)
        if origin is None or getattr(query, SCOPE_MARK, None):
            return
        model = query.model.__name__ if query.model else "?"
        self.found.setdefault(f"{model} built at {origin}", self.route)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Watch:
    found = Watch()
    found.install(monkeypatch)
    return found


GETS = [r for r in ROUTES if r.method == "GET"]


def test_every_unscoped_read_is_found(
    world: dict[str, Any], clients: dict[str, Client], watch: Watch, db: Any
) -> None:
    """Walk every GET route as the personas above; no unmarked read may be left."""
    objects = world["objects"]
    shared = objects["shared"]
    for route in GETS:
        for side, village in (("A", VILLAGE_A), ("C", "35.03.02.2008")):
            url, _kind = _url(route, objects[side], shared, village)
            for persona in PERSONAS:
                watch.route = f"{route.id} as {persona}: {url}"
                response = _request(clients[persona], route, url, "GET")
                _body(response)  # a streamed export reads while it is consumed
    assert not watch.found, "scoped models read without for_user/get_for_user/unscoped:\n" + (
        "\n".join(f"{where} (first seen on {route})" for where, route in watch.found.items())
    )


def test_the_watch_sees_an_unmarked_read(watch: Watch, db: Any) -> None:
    """The watch is not vacuous: a read built as if in a view is caught, a marked one is not."""
    from jaga.servicedesk.models import ServiceRequest

    origin = _origin(sys._getframe(0))
    assert origin is None  # a test module is not request-serving code

    def as_view(build: Any) -> Any:
        # Compile the code under a file name of a view module: the watch sees a view.
        code = compile("result = build()", JAGA + "servicedesk/views.py", "exec")
        scope: dict[str, Any] = {"build": build}
        exec(code, scope)
        return scope["result"]

    list(as_view(lambda: ServiceRequest.objects.all()))
    assert any(
        k.startswith("ServiceRequest built at jaga/servicedesk/views.py") for k in watch.found
    )
    watch.found.clear()
    as_view(lambda: ServiceRequest.objects.filter(pk__in=ServiceRequest.objects.all()).count())
    assert watch.found, "an unscoped subquery is a read too"
    watch.found.clear()
    list(as_view(lambda: unscoped(ServiceRequest.objects.all(), "test").values("pk")))
    list(as_view(lambda: ServiceRequest.objects.for_user(None).order_by("pk")))
    with pytest.raises(Http404):
        as_view(lambda: get_for_user(ServiceRequest.objects.all(), None, pk=1))
    assert not watch.found, watch.found


def test_unscoped_needs_a_reason() -> None:
    from jaga.servicedesk.models import ServiceRequest

    with pytest.raises(ValueError):
        unscoped(ServiceRequest.objects.all(), " ")
