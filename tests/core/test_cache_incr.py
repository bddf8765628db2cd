"""The database cache's atomic `incr` (the rate limits' counter): one locked read, one update."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_incr_counts_and_refuses_a_missing_or_expired_key() -> None:
    assert cache.add("counter", 1, 60)
    assert cache.incr("counter") == 2
    assert cache.incr("counter", 5) == 7
    assert cache.get("counter") == 7
    with pytest.raises(ValueError):
        cache.incr("never-set")
    cache.set("short", 1, 1)
    time.sleep(2.1)  # the cache stores expiry to the second
    with pytest.raises(ValueError):
        cache.incr("short")
    assert cache.add("short", 1, 60)  # the expired row is gone: a new window starts at 1
    assert cache.get("short") == 1
