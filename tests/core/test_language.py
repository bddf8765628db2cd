"""Indonesian unless the user switches; the switch is remembered (cookie, and on the account)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from jaga.accounts.models import User
from jaga.core.models import AuditLog

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def _lang(response: Any) -> str:
    return str(response["Content-Language"])


def test_an_english_browser_gets_the_indonesian_site(client: Client, db: Any) -> None:
    response = client.get("/", **ENGLISH_BROWSER)
    assert _lang(response) == "id"
    assert 'lang="id"' in response.content.decode()
    assert "Masuk" in response.content.decode()
    login = client.get("/akun/masuk/", **ENGLISH_BROWSER)
    assert _lang(login) == "id"


def test_the_switch_is_remembered_by_cookie_across_pages(client: Client, db: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/akun/masuk/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    for path in ("/", "/akun/masuk/", "/layanan/lacak/"):
        assert _lang(client.get(path)) == "en", path
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert _lang(client.get("/", **ENGLISH_BROWSER)) == "id"


def test_an_unknown_language_in_the_cookie_falls_back_to_indonesian(
    client: Client, db: Any
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert _lang(client.get("/", **ENGLISH_BROWSER)) == "id"


def test_a_signed_in_users_switch_is_stored_on_the_account(alice: User) -> None:
    client = Client()
    client.post("/akun/masuk/", {"username": "alice", "password": "correct horse battery"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "en"
    assert AuditLog.objects.filter(action="accounts.language_changed").count() == 1


def test_the_accounts_choice_is_applied_at_login_on_a_new_browser(alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(language="en")
    fresh = Client()  # another phone: no cookie, an Indonesian browser
    assert _lang(fresh.get("/akun/masuk/")) == "id"
    response = fresh.post(
        "/akun/masuk/", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert fresh.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _lang(fresh.get("/", HTTP_ACCEPT_LANGUAGE="id")) == "en"


def test_a_choice_made_before_login_is_kept_on_an_account_without_one(alice: User) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/akun/masuk/", {"username": "alice", "password": "correct horse battery"})
    alice.refresh_from_db()
    assert alice.language == "en"
    assert _lang(client.get("/")) == "en"


def test_api_programs_may_still_ask_for_a_language(client: Client, db: Any) -> None:
    response = client.get("/api/v1/docs", **ENGLISH_BROWSER)
    assert _lang(response) == "id"
    schema = client.get("/api/v1/openapi.json", **ENGLISH_BROWSER)
    assert _lang(schema) == "id"
