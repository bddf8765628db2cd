"""Jaga's one rate limiter (django-ratelimit's counting on the shared cache).

Every limited door calls `hit(request, bucket)`: public intake, reporter notes, survey answers,
Open311 POSTs (per client application), failed API token checks. The count lives in the default
cache, which every worker shares (the database cache, or Redis when `REDIS_URL` is set), and the
client is `jaga.core.clientip.client_ip`, the same address that login protection uses.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import ALL, EXPIRATION_FUDGE, _get_window, _make_cache_key

from jaga.core.clientip import client_ip
from jaga.core.errors import DomainError


class RateLimited(DomainError):
    status = 429


MESSAGE = _("Too many requests from your connection. Please try again in %(minutes)s minutes.")


def _slot(
    request: Any, bucket: str, key: str | None, limit: int | None, window: int | None
) -> tuple[str, int, int, int]:
    """The counter of this client's current window: (cache key, limit, window, seconds left).

    The same fixed windows and keys as django-ratelimit's `get_usage` (its helpers), counted
    with fewer round trips to the shared cache."""
    limit = int(settings.PUBLIC_RATE_LIMIT if limit is None else limit)
    window = int(settings.PUBLIC_RATE_WINDOW if window is None else window)
    value = key if key is not None else f"ip:{client_ip(request)}"
    end = _get_window(value, window)
    cache_key = _make_cache_key(f"jaga:{bucket}", end, (limit, window), value, ALL)
    return cache_key, limit, window, end - int(time.time())


def _cache() -> Any:
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _refuse(time_left: int) -> RateLimited:
    minutes = max(1, math.ceil(int(time_left or 60) / 60))
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
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    cache_key, limit, window, time_left = _slot(request, bucket, key, limit, window)
    cache = _cache()
    # The counter usually exists already: increment it (one locked update); only the first
    # attempt of a window creates it. A racing first attempt makes `add` fail: increment then.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        if cache.add(cache_key, 1, window + EXPIRATION_FUDGE):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between the two: the window starts again
                cache.set(cache_key, 1, window + EXPIRATION_FUDGE)
                count = 1
    if count > limit:
        raise _refuse(time_left)


def check(
    request: Any,
    bucket: str,
    *,
    key: str | None = None,
    limit: int | None = None,
    window: int | None = None,
) -> None:
    """Raise RateLimited if `bucket` is already over its limit, without counting this request
    (one read of the cache: nothing is written)."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    cache_key, limit, _window, time_left = _slot(request, bucket, key, limit, window)
    if int(_cache().get(cache_key) or 0) >= limit:
        raise _refuse(time_left)


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
