"""Jaga's one rate limiter (django-ratelimit's counting on the shared cache).

Every limited door calls `hit(request, bucket)`: public intake, reporter notes, survey answers,
Open311 POSTs (per client application), failed API token checks. The count lives in the default
cache, which every worker shares (the database cache, or Redis when `REDIS_URL` is set), and the
client is `jaga.core.clientip.client_ip`, the same address that login protection uses.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

from jaga.core.clientip import client_ip
from jaga.core.errors import DomainError


class RateLimited(DomainError):
    status = 429


MESSAGE = _("Too many requests from your connection. Please try again in %(minutes)s minutes.")


def _usage(
    request: Any,
    bucket: str,
    *,
    key: str | None,
    limit: int | None,
    window: int | None,
    increment: bool,
) -> dict[str, Any] | None:
    limit = int(settings.PUBLIC_RATE_LIMIT if limit is None else limit)
    window = int(settings.PUBLIC_RATE_WINDOW if window is None else window)
    value = key if key is not None else f"ip:{client_ip(request)}"
    usage: dict[str, Any] | None = get_usage(
        request,
        group=f"jaga:{bucket}",
        key=lambda _group, _request: value,
        rate=(limit, window),
        increment=increment,
    )
    return usage


def _refuse(usage: dict[str, Any]) -> RateLimited:
    minutes = max(1, math.ceil(int(usage.get("time_left") or 60) / 60))
    return RateLimited("rate_limited", MESSAGE % {"minutes": minutes}, retry_after=minutes * 60)


def hit(
    request: Any,
    bucket: str,
    *,
    key: str | None = None,
    limit: int | None = None,
    window: int | None = None,
) -> None:
    """Count one attempt in `bucket` (per client address, or per `key`); raise RateLimited once
    there were more than `limit` in the window (default PUBLIC_RATE_LIMIT per PUBLIC_RATE_WINDOW)."""
    usage = _usage(request, bucket, key=key, limit=limit, window=window, increment=True)
    if usage is not None and usage["should_limit"]:
        raise _refuse(usage)


def check(
    request: Any,
    bucket: str,
    *,
    key: str | None = None,
    limit: int | None = None,
    window: int | None = None,
) -> None:
    """Raise RateLimited if `bucket` is already over its limit, without counting this request."""
    usage = _usage(request, bucket, key=key, limit=limit, window=window, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise _refuse(usage)


def check_credential_failures(request: Any) -> None:
    """Refuse an address that sent too many wrong API tokens or Open311 api_keys lately."""
    check(
        request,
        "bad-credential",
        limit=int(settings.API_TOKEN_FAILURE_LIMIT),
        window=int(settings.API_TOKEN_FAILURE_WINDOW),
    )


def count_credential_failure(request: Any) -> None:
    """Count one wrong API token or api_key from this address."""
    hit(
        request,
        "bad-credential",
        limit=int(settings.API_TOKEN_FAILURE_LIMIT),
        window=int(settings.API_TOKEN_FAILURE_WINDOW),
    )
