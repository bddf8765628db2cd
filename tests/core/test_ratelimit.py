"""One rate limiter (jaga.core.ratelimit) on the shared cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.core.cache import cache, caches
from django.test import Client, RequestFactory
from django.utils import timezone

from jaga.core import ratelimit
from jaga.core.cache import DatabaseCache

pytestmark = pytest.mark.django_db


def req(address: str = "10.0.0.5", **headers: str) -> Any:
    return RequestFactory().post("/", REMOTE_ADDR=address, **headers)


def test_the_default_cache_is_the_database_table_made_by_migrate(settings):
    assert isinstance(caches["default"], DatabaseCache)
    assert cache.add("probe", 1, 60)
    assert cache.get("probe") == 1


def test_incr_is_kept_in_the_window_that_add_set():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        cache.add("counter", 1, 100)
        clock.shift(50)
        assert cache.incr("counter") == 2
        assert cache.incr("counter", 3) == 5
        clock.shift(49)
        assert cache.get("counter") == 5  # the stock incr would have reset the expiry here
        clock.shift(2)
        assert cache.get("counter") is None
        with pytest.raises(ValueError):
            cache.incr("counter")


def test_hits_over_the_limit_are_refused_in_indonesian():
    for _ in range(3):
        ratelimit.hit(req(), "test", limit=3, window=600)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit(req(), "test", limit=3, window=600)
    assert refused.value.status == 429
    assert "Terlalu banyak permintaan" in str(refused.value.message)
    assert 1 <= refused.value.params["retry_after"] // 60 <= 10
    ratelimit.hit(req("10.0.0.6"), "test", limit=3, window=600)  # another client
    ratelimit.hit(req(), "other-bucket", limit=3, window=600)  # another bucket


def test_check_does_not_count():
    for _ in range(5):
        ratelimit.check(req(), "peek", limit=1, window=600)
    ratelimit.hit(req(), "peek", limit=1, window=600)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check(req(), "peek", limit=1, window=600)


def test_a_forged_forwarded_header_does_not_reset_the_count(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = ""
    for n in range(2):
        ratelimit.hit(req(HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"), "xff", limit=2, window=600)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit(req(HTTP_X_FORWARDED_FOR="1.1.1.9"), "xff", limit=2, window=600)


def test_behind_a_configured_proxy_clients_are_counted_apart(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.2"
    for _ in range(2):
        ratelimit.hit(req(proxy, HTTP_X_FORWARDED_FOR="198.51.100.1"), "p", limit=2, window=600)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit(req(proxy, HTTP_X_FORWARDED_FOR="198.51.100.1"), "p", limit=2, window=600)
    ratelimit.hit(req(proxy, HTTP_X_FORWARDED_FOR="198.51.100.2"), "p", limit=2, window=600)


def test_wrong_api_tokens_are_limited_per_address(settings, alice):
    from jaga.accounts.services import create_api_token

    settings.API_TOKEN_FAILURE_LIMIT = 3
    _token, raw = create_api_token(alice, "app", actor=alice)
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [
        guesser.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer jaga_guess{n}").status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    refused = guesser.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    owner = Client(REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert owner.get("/api/v1/me").status_code == 200


def test_wrong_open311_api_keys_are_limited_per_address(settings):
    settings.API_TOKEN_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="203.0.113.5")
    values = {"api_key": "guess", "service_code": "miras", "description": "x"}
    statuses = [client.post("/open311/v2/requests.json", values).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
    body = json.loads(client.post("/open311/v2/requests.json", values).content)
    assert body[0]["code"] == 429
