"""Reads from a streaming replica, writes to the primary, and a user's own writes read back.

Active when `DATABASE_REPLICA_URL` is set (settings adds the `replica` database, this router and
`ReplicaReadsMiddleware`; docs/scaling.md):

- A GET or HEAD request (dashboards, lists, the portal, analytics, the API's reads) reads from the
  replica, unless the browser carries the `jaga_primary` cookie.
- Any other request (a form sent, an API write) reads and writes the primary, and its response
  sets `jaga_primary` for `REPLICA_PIN_SECONDS`: for that long the same browser reads from the
  primary too, so what a user just saved is there on the next page even while the replica lags.
- Commands, the task worker, the scheduler and the tests read the primary (no request, no replica).
- Inside a transaction every read goes to the primary (a service reads what it is about to
  change; `select_for_update`, `get_or_create` already do).
- Sessions, the shared cache (rate limits), login failures, the task queue and second factors are
  always read from the primary: they are counters and states, not figures, and must never lag.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "jaga_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# app labels whose tables are only ever read on the primary
PRIMARY_ONLY = frozenset(
    {"sessions", "django_cache", "axes", "django_tasks_db", "otp_totp", "otp_static"}
)

_reads_from_replica: ContextVar[bool] = ContextVar("jaga_reads_from_replica", default=False)


class ReplicaRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _reads_from_replica.get():
            return None
        if model._meta.app_label in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is the same database, a moment later

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Decides per request where its reads go (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        replica = safe and PIN_COOKIE not in request.COOKIES
        token = _reads_from_replica.set(replica)
        try:
            response = self.get_response(request)
        finally:
            _reads_from_replica.reset(token)
        if not safe:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
