"""Requests that no view can store: refused before they reach one.

A NUL character cannot be stored in a PostgreSQL text column (psycopg refuses the query), so a NUL
anywhere in the path, the query string, a form field, a file name or a JSON body used to end as a
500 deep inside a view. No legitimate input holds one: the request is refused with a 400 and a
message in the user's language. Uploaded file contents are left alone (an XLSX is a zip full of
NUL bytes); the importers judge those.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NUL = "\x00"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def has_nul(request: HttpRequest) -> bool:
    if b"\x00" in unquote_to_bytes(request.META.get("PATH_INFO", "")):
        return True
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "").replace("+", " ")):
        return True
    if any(NUL in key or NUL in value for key, value in request.headers.items()):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return b"\x00" in request.body
        return any(NUL in s for s in _strings(body))
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            fields = [*request.POST.keys(), *(v for vs in request.POST.lists() for v in vs[1])]
            names = [f.name or "" for fs in request.FILES.lists() for f in fs[1]]
        except MultiPartParserError:
            return False  # the view answers a broken upload itself
        return any(NUL in s for s in (*fields, *names))
    return False


def database_busy(exc: BaseException) -> bool:
    """SQLite's answer when another writer held the database past the busy timeout."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


BUSY_MESSAGE = gettext_lazy(
    "The database is busy with another import or change. Nothing was saved: try again in a minute."
)


class RejectNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not has_nul(request):
            return self.get_response(request)
        message = _("The request contains a NUL character, which no field may hold.")
        path = request.path_info
        if path.startswith("/open311/"):
            return JsonResponse([{"code": 400, "description": message}], status=400, safe=False)
        if path.startswith("/api/"):
            return JsonResponse({"code": "nul_character", "message": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Two imports at once on SQLite: the second waits (busy timeout); past it, it is refused
        # with a message instead of a "database is locked" traceback. Its transaction rolled back.
        if not database_busy(exception):
            return None
        message = str(BUSY_MESSAGE)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "database_busy", "message": message}, status=409)
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
