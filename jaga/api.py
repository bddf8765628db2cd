"""The JSON API (django-ninja), OpenAPI docs at /api/v1/docs.

Each app with an `api.py` that defines `router` is mounted at `/api/v1/<prefix>/`.
Authentication: the browser session, or a personal token as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from jaga.core import apidocs
from jaga.core.errors import (
    FORBIDDEN,
    INVALID_REQUEST,
    NOT_FOUND,
    OUT_OF_RANGE,
    UNAUTHENTICATED,
    DomainError,
    ImportFailed,
)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from jaga.accounts.models import ApiToken, hash_token
        from jaga.core import ratelimit

        # Ninja authenticates twice per operation (the role gate of `allow`, then the operation
        # itself): the second time is answered from the request, with no query.
        known = getattr(request, "_jaga_token", None)
        if known is not None and known[0] == token:
            request.user = known[1]
            return known[1]
        # Guessing tokens: an address with too many wrong ones is refused for a while (429).
        ratelimit.check_credential_failures(request)
        try:
            found = ApiToken.objects.select_related("user").get(
                key_hash=hash_token(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            ratelimit.count_credential_failure(request)
            return None
        if not found.user.is_active:
            ratelimit.count_credential_failure(request)
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request._jaga_token = (token, found.user)  # type: ignore[attr-defined]
        return found.user


AUTH = [TokenAuth(), django_auth]

api = NinjaAPI(
    # Lazy: the docs page and its OpenAPI document are read in the reader's language.
    title=apidocs.TITLE,
    version="1",
    description=apidocs.DESCRIPTION,
    auth=AUTH,
    urls_namespace="api",
)


@api.exception_handler(ImportFailed)
def import_failed(request: HttpRequest, exc: ImportFailed) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=400)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "message": str(NOT_FOUND)}, status=404
    )


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"code": "forbidden", "message": str(FORBIDDEN)}, status=403
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": str(UNAUTHENTICATED)},
        status=401,
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "invalid", "message": str(INVALID_REQUEST), "errors": exc.errors},
        status=422,
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number beyond what the database stores (an id of 2^70) or a value it cannot hold: the
    # request is wrong, not the server. Schemas bound what they can; this catches the rest.
    return api.create_response(
        request, {"code": "out_of_range", "message": str(OUT_OF_RANGE)}, status=422
    )


API_PREFIXES = {
    "accounts": "",
    "territory": "territories",
    "partners": "partners",
    "programs": "programmes",
    "servicedesk": "servicedesk",
    "fieldwork": "fieldwork",
    "incidents": "incidents",
    "analytics": "analytics",
    "surveys": "surveys",
    "reports": "reports",
}

for _app, _prefix in API_PREFIXES.items():
    _module = f"jaga.{_app}.api"
    if importlib.util.find_spec(_module) is not None:
        _router = getattr(importlib.import_module(_module), "router", None)
        if _router is not None:
            api.add_router(_prefix, _router)
