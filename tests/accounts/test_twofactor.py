"""Two-factor login (TOTP): required for leaders and administrators, optional for the others."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaga.core.models import AuditLog

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/akun/masuk/", {"username": username, "password": RIGHT})
    assert response.status_code == 302
    return client


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def enrol(client: Client, user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    page = client.get("/akun/dua-langkah/daftar/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/akun/dua-langkah/daftar/", {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_leader_must_enrol_before_any_other_page(leader):
    client = password_login("leader")
    for path in ["/", "/wilayah/", "/akun/profil/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/akun/dua-langkah/daftar/?next="), path
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "otp_required"
    assert client.post("/api/v1/me/tokens", {"name": "x"}, "application/json").status_code == 403
    enrol(client, leader)
    assert client.get("/wilayah/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert AuditLog.objects.filter(action="accounts.otp_enrolled").count() == 1


def test_an_enrolled_leader_enters_a_code_after_the_password(leader):
    device = enrol(password_login("leader"), leader)
    client = password_login("leader")
    response = client.get("/wilayah/")
    assert response["Location"].startswith("/akun/dua-langkah/?next=")
    wrong = client.post("/akun/dua-langkah/", {"token": "000000", "next": "/wilayah/"})
    assert wrong.status_code == 400
    assert "Kode itu tidak benar" in wrong.content.decode()
    assert client.get("/wilayah/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post("/akun/dua-langkah/", {"token": code_for(device, 30), "next": "/wilayah/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/wilayah/"
    assert client.get("/wilayah/").status_code == 200


def test_a_password_alone_cannot_replace_an_enrolled_device(leader):
    device = enrol(password_login("leader"), leader)
    thief = password_login("leader")
    response = thief.get("/akun/dua-langkah/daftar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/akun/dua-langkah/?")
    assert list(TOTPDevice.objects.filter(user=leader)) == [device]


def test_wrong_codes_are_throttled(leader):
    device = enrol(password_login("leader"), leader)
    client = password_login("leader")
    client.post("/akun/dua-langkah/", {"token": "000000"})
    # the right code right after a wrong one is refused: django-otp makes one wait
    response = client.post("/akun/dua-langkah/", {"token": code_for(device, 30)})
    assert response.status_code == 400
    assert "Terlalu banyak kode salah" in response.content.decode()


def test_an_administrator_must_enrol_too(admin_user):
    client = Client()
    response = client.post("/admin/login/", {"username": "root", "password": RIGHT})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/akun/dua-langkah/daftar/")
    enrol(client, admin_user)
    assert client.get("/admin/").status_code == 200


def test_the_admin_site_needs_the_second_factor_for_any_staff(alice):
    alice.is_staff = True
    alice.save()
    client = password_login("alice")  # a Bhabinkamtibmas: the site itself does not ask
    assert client.get("/wilayah/").status_code == 200
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/akun/dua-langkah/daftar/")


def test_two_factor_is_optional_for_a_bhabinkamtibmas(alice):
    client = password_login("alice")
    assert client.get("/wilayah/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    profile = client.get("/akun/profil/").content.decode()
    assert "/akun/dua-langkah/daftar/" in profile
    enrol(client, alice)
    # once she enrolled, her next login asks for the code as well
    again = password_login("alice")
    assert again.get("/wilayah/")["Location"].startswith("/akun/dua-langkah/?next=")


def test_api_tokens_keep_working_without_a_session(leader):
    from jaga.accounts.services import create_api_token

    _token, raw = create_api_token(leader, "app", actor=leader)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.status_code == 200


def test_the_demo_switch_works_only_with_debug(settings, leader):
    leader.is_demo = True
    leader.save()
    settings.JAGA_DEMO_SKIP_2FA = True
    settings.DEBUG = False
    assert password_login("leader").get("/wilayah/").status_code == 302
    settings.DEBUG = True
    assert password_login("leader").get("/wilayah/").status_code == 200


def test_the_persona_clients_have_passed_two_factor(leader_client, admin_client_):
    assert leader_client.get("/wilayah/").status_code == 200
    assert admin_client_.get("/admin/").status_code == 200
