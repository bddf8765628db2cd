"""Login throttling: too many failures for one username or one address lock further attempts."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:addr:{address}"]


def is_locked(username: str, address: str) -> bool:
    # An address gets more room than one username: many officers share a Polsek's connection.
    limits = [settings.LOGIN_MAX_FAILURES, settings.LOGIN_MAX_FAILURES * 4]
    return any(
        (cache.get(key) or 0) >= limit
        for key, limit in zip(_keys(username, address), limits, strict=True)
    )


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)


def clear(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])
