"""Login protection (django-axes + jaga.accounts.lockout): per username AND address, progressive
delays, the admin login too, the client address from the configured proxy header only."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from jaga.accounts.lockout import delay_after

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"


def login(username: str, password: str, address: str, path: str = "/akun/masuk/", **extra):
    client = Client(REMOTE_ADDR=address, **extra)
    response = client.post(path, {"username": username, "password": password})
    return client, response


def fail(username: str, address: str, times: int, path: str = "/akun/masuk/") -> None:
    for _ in range(times):
        login(username, "salah", address, path)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_four_failures_still_let_the_right_password_in(alice):
    fail("alice", "10.1.1.1", 4)
    client, response = login("alice", RIGHT, "10.1.1.1")
    assert response.status_code == 302
    assert logged_in(client)
    # and a success forgets the failures of this username and address
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_the_fifth_failure_locks_this_username_from_this_address(alice):
    fail("alice", "10.1.1.1", 4)
    _client, fifth = login("alice", "salah", "10.1.1.1")
    assert fifth.status_code == 429
    client, response = login("alice", RIGHT, "10.1.1.1")
    assert response.status_code == 429
    assert not logged_in(client)
    body = response.content.decode()
    assert "Terlalu banyak percobaan" in body
    until = timezone.localtime(timezone.now() + datetime.timedelta(seconds=60))
    assert (
        until.strftime("%H:%M") in body
        or (until - datetime.timedelta(minutes=1)).strftime("%H:%M") in body
    )
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_lockout_message_in_english(alice):
    fail("alice", "10.1.1.1", 5)
    _client, response = login("alice", RIGHT, "10.1.1.1", HTTP_ACCEPT_LANGUAGE="en")
    client = Client(REMOTE_ADDR="10.1.1.1")
    client.cookies["django_language"] = "en"
    response = client.post("/akun/masuk/", {"username": "alice", "password": RIGHT})
    assert response.status_code == 429
    assert "Try again after" in response.content.decode()


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(alice):
    fail("alice", "203.0.113.66", 30)
    client, response = login("alice", RIGHT, "10.1.1.1")
    assert response.status_code == 302
    assert logged_in(client)


def test_failures_for_one_username_do_not_lock_the_address_for_others(alice, bob):
    fail("alice", "10.1.1.1", 25)  # a Polsek's shared connection
    client, response = login("bob", RIGHT, "10.1.1.1")
    assert response.status_code == 302
    assert logged_in(client)


def test_the_wait_doubles_with_each_further_failure(alice, settings):
    settings.LOGIN_COOLOFF_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail("alice", "10.1.1.1", 5)  # 5th failure: wait 60 s
        clock.shift(59)
        assert login("alice", RIGHT, "10.1.1.1")[1].status_code == 429
        clock.shift(2)
        _client, sixth = login("alice", "salah", "10.1.1.1")  # 6th failure: wait 120 s
        assert sixth.status_code == 429
        clock.shift(119)
        assert login("alice", RIGHT, "10.1.1.1")[1].status_code == 429
        # tries during a wait are neither checked nor counted: the wait does not grow
        clock.shift(2)
        client, response = login("alice", RIGHT, "10.1.1.1")
        assert response.status_code == 302
        assert logged_in(client)


def test_delays_grow_to_the_cap(settings):
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_COOLOFF_SECONDS = 60
    settings.LOGIN_COOLOFF_MAX_SECONDS = 3600
    assert delay_after(4) == datetime.timedelta(0)
    assert [delay_after(n).total_seconds() for n in range(5, 9)] == [60, 120, 240, 480]
    assert delay_after(12).total_seconds() == 3600
    assert delay_after(10_000).total_seconds() == 3600


def test_failures_are_forgotten_after_a_day(alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail("alice", "10.1.1.1", 4)
        clock.shift(24 * 3600 + 5)
        fail("alice", "10.1.1.1", 4)  # 4 new failures, not 8
        client, response = login("alice", RIGHT, "10.1.1.1")
        assert response.status_code == 302


def test_the_admin_login_is_throttled_too(admin_user):
    fail("root", "10.1.1.1", 5, path="/admin/login/")
    client, response = login("root", RIGHT, "10.1.1.1", path="/admin/login/")
    assert response.status_code == 429
    assert not logged_in(client)
    # the same account from another address is not locked
    client, response = login("root", RIGHT, "10.2.2.2", path="/admin/login/")
    assert response.status_code == 302
    assert logged_in(client)


def test_admin_and_site_logins_count_together(alice):
    fail("alice", "10.1.1.1", 3, path="/admin/login/")
    fail("alice", "10.1.1.1", 2)
    assert login("alice", RIGHT, "10.1.1.1")[1].status_code == 429


def test_a_forwarded_header_is_ignored_unless_configured(alice):
    # Without JAGA_TRUSTED_PROXY_HEADER an attacker cannot pick a fresh address per try.
    for n in range(5):
        login("alice", "salah", "10.1.1.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    _client, response = login("alice", RIGHT, "10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_behind_a_proxy_the_lockout_is_per_client(alice, settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.JAGA_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    fail_kwargs = {"HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for _ in range(5):
        login("alice", "salah", proxy, **fail_kwargs)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"
    # the attacker is locked ...
    assert login("alice", RIGHT, proxy, **fail_kwargs)[1].status_code == 429
    # ... even when prepending a forged address, since only our proxy's entry counts
    forged = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.66"}
    assert login("alice", RIGHT, proxy, **forged)[1].status_code == 429
    # while the owner behind the same proxy logs in
    client, response = login("alice", RIGHT, proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302
    assert logged_in(client)
