from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from jaga.accounts.models import ApiToken
from jaga.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_login_with_the_right_password_goes_home(alice):
    client = Client()
    response = client.post(
        "/akun/masuk/", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_in_indonesian(alice):
    response = Client().post("/akun/masuk/", {"username": "alice", "password": "salah"})
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_a_wrong_password_is_refused_in_english_when_asked(alice):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/akun/masuk/", {"username": "alice", "password": "wrong"})
    assert "Wrong username or password" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(alice):
    client = Client()
    for _ in range(5):
        client.post("/akun/masuk/", {"username": "alice", "password": "salah"})
    response = client.post(
        "/akun/masuk/", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(alice_client):
    response = alice_client.post("/akun/keluar/")
    assert response.status_code == 302
    assert alice_client.get("/wilayah/").status_code == 302


def test_password_change(alice_client, alice):
    response = alice_client.post(
        "/akun/kata-sandi/",
        {
            "old_password": "correct horse battery",
            "new_password1": "Trenggalek-aman-2026",
            "new_password2": "Trenggalek-aman-2026",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Trenggalek-aman-2026")


def test_an_expired_session_is_sent_to_login(alice_client):
    alice_client.cookies["sessionid"] = "expired-or-forged"
    response = alice_client.get("/wilayah/")
    assert response.status_code == 302
    assert "/akun/masuk/" in response["Location"]


def test_the_admin_is_for_admins_only(alice_client, admin_client_):
    assert alice_client.get("/admin/").status_code == 302
    assert admin_client_.get("/admin/").status_code == 200


def test_tokens_are_created_used_and_revoked_through_the_api(alice_client):
    created = alice_client.post(
        "/api/v1/me/tokens", {"name": "field app"}, content_type="application/json"
    )
    assert created.status_code == 201
    raw = created.json()["token"]
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = token_client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["scope"] == ["35.03.11.1002"]
    token_id = created.json()["id"]
    assert alice_client.delete(f"/api/v1/me/tokens/{token_id}").status_code == 200
    assert token_client.get("/api/v1/me").status_code == 401
    assert AuditLog.objects.filter(action="accounts.token_revoked").count() == 1
    assert not ApiToken.objects.filter(key_hash=raw).exists()  # only the hash is stored


def test_tokens_from_the_profile_page(alice_client):
    response = alice_client.post("/akun/token/", {"name": "ponsel"}, follow=True)
    assert response.status_code == 200
    assert "jaga_" in response.content.decode()
    token = ApiToken.objects.get()
    response = alice_client.post(f"/akun/token/{token.pk}/cabut/", follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_one_cannot_revoke_another_users_token(alice_client, bob):
    from jaga.accounts.services import create_api_token

    token, _raw = create_api_token(bob, "bob's", actor=bob)
    assert alice_client.delete(f"/api/v1/me/tokens/{token.pk}").status_code == 400
    token.refresh_from_db()
    assert token.revoked_at is None


def test_me_needs_authentication():
    assert Client().get("/api/v1/me").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nonsense").get("/api/v1/me").status_code == 401
