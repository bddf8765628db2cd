"""A forbidden page says why, and forms are not offered to roles that cannot save them."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import client_for
from tests.partners.conftest import meeting, programme  # noqa: F401


def test_the_403_page_names_the_roles_and_whom_to_ask(
    partner: Any, admin_user: Any, db: Any
) -> None:
    admin_user.full_name = "Admin Polres"
    admin_user.save()
    response = client_for(partner).get("/analitik/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Bukan untuk peran Anda" in html
    assert "Bhabinkamtibmas" in html and "Pimpinan (Kapolres, Wakapolres)" in html
    assert "Koordinator mitra" in html  # the user's own role
    assert "Admin Polres" in html  # whom to ask
    assert "administrator Polres" in html


def test_an_api_403_stays_json(partner: Any) -> None:
    response = client_for(partner).get("/api/v1/analytics/glance")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_leader_sees_the_check_in_desk_without_a_form_it_could_not_save(
    leader_client: Client,
    bob_client: Client,
    meeting: Any,  # noqa: F811
) -> None:
    page = leader_client.get(f"/program/kegiatan/{meeting.pk}/meja-hadir/").content.decode()
    assert 'method="post"' not in page.split("<main>")[1]
    assert "tidak dapat mencatat kedatangan" in page
    assert leader_client.post(
        f"/program/kegiatan/{meeting.pk}/meja-hadir/", {"code": "X"}
    ).status_code in (403, 404)
    editor = bob_client.get(f"/program/kegiatan/{meeting.pk}/meja-hadir/").content.decode()
    assert 'method="post"' in editor.split("<main>")[1]


def test_the_activity_page_offers_a_leader_no_invite_form(
    leader_client: Client,
    meeting: Any,  # noqa: F811
    satbinmas: Any,
) -> None:
    main = leader_client.get(f"/program/kegiatan/{meeting.pk}/").content.decode().split("<main>")[1]
    assert 'method="post"' not in main
