"""A small fixed-window rate limiter for public intake, on the Django cache (shared by servers)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError


class RateLimited(DomainError):
    status = 429


def client_id(request: HttpRequest) -> str:
    """The client a limit applies to: the peer address (proxies set REMOTE_ADDR for us)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(bucket: str, client: str, *, limit: int | None = None, window: int | None = None) -> None:
    """Count one attempt by `client`; raise RateLimited once it is over the limit."""
    limit = limit if limit is not None else int(settings.PUBLIC_RATE_LIMIT)
    window = window if window is not None else int(settings.PUBLIC_RATE_WINDOW)
    digest = hashlib.sha256(client.encode()).hexdigest()[:32]
    key = f"servicedesk-rate:{bucket}:{digest}"
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
    if count > limit:
        raise RateLimited(
            "rate_limited",
            _("Too many submissions from your connection. Please try again in %(minutes)s minutes.")
            % {"minutes": max(1, window // 60)},
        )
