"""The officers' installable app: manifest, service worker, offline and outbox pages, and the
server side of the outbox (every field form answers a resend with the first record)."""

from __future__ import annotations

import datetime
import io
import json
import uuid

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

from jaga.fieldwork.models import EarlyDetection, Operation, ProblemCase, Visit
from jaga.incidents.models import Category, Incident
from jaga.programs import services as programs
from jaga.programs.models import Invitation
from tests.conftest import _person, client_for
from tests.partners.conftest import meeting, person_a, programme  # noqa: F401

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ manifest and worker


def test_the_service_worker_is_public_root_scoped_and_never_kept_stale():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    config = json.loads(body.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert len(config["version"]) == 12
    assert reverse("fieldwork:visit_new") in config["pages"]
    assert reverse("pwa:offline") == config["offline"] == "/luring/"
    # Only the officer's own field pages are ever cached; no desk, report or people pages.
    assert all(p.startswith("/lapangan/") for p in config["pages"])
    assert all(s.startswith("/static/") for s in config["shell"])
    for name in config["shell"]:
        assert finders.find(name.removeprefix("/static/")), name
    assert Client().head("/sw.js").status_code == 200
    assert Client().post("/sw.js").status_code == 405


def test_the_worker_never_caches_a_post_answer():
    body = Client().get("/sw.js").content.decode()
    post_branch = body.split('if (request.method !== "GET") {', 1)[1].split(
        "return;  // never cached", 1
    )[0]
    assert "cache.put" not in post_branch and "caches.open" not in post_branch


def test_the_manifest_installs_the_field_pages_in_indonesian():
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["display"] == "standalone"
    assert data["lang"] == "id"
    assert data["start_url"].startswith(reverse("fieldwork:index"))
    assert "luring" in data["description"] or "sinyal" in data["description"]
    sizes = set()
    for icon in data["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes.add(image.width)
    assert {192, 512} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in data["icons"])


def test_signed_in_pages_link_the_manifest_and_name_the_account(alice_client, alice):
    body = alice_client.get(reverse("fieldwork:index")).content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in body
    assert f'<meta name="jaga-user" content="{alice.pk}">' in body
    assert 'id="outbox-badge"' in body and "outbox.js" in body
    public = Client().get(reverse("accounts:login")).content.decode()
    assert 'rel="manifest"' not in public
    assert '<meta name="jaga-user" content="">' in public  # signed out: the phone forgets pages


def test_the_offline_page_is_public_and_carries_no_personal_data(alice_client, alice):
    response = alice_client.get("/luring/")
    assert response.status_code == 200
    body = response.content.decode()
    assert alice.display_name not in body and alice.username not in body
    assert "csrfmiddlewaretoken" not in body
    assert Client().get("/luring/").status_code == 200
    assert "Tidak ada sinyal" in body


def test_the_outbox_page_is_for_police_staff(alice_client, partner):
    response = alice_client.get(reverse("fieldwork:outbox"))
    assert response.status_code == 200
    assert 'id="outbox-list"' in response.content.decode()
    assert Client().get(reverse("fieldwork:outbox")).status_code == 302
    partner_client = Client()
    partner_client.force_login(partner)
    assert partner_client.get(reverse("fieldwork:outbox")).status_code in (403, 404)


def test_field_forms_are_outbox_forms(alice_client, bob_client):
    for client, name in [
        (alice_client, "visit_new"),
        (alice_client, "detection_new"),
        (alice_client, "case_new"),
        (bob_client, "operation_new"),
    ]:
        body = client.get(reverse(f"fieldwork:{name}")).content.decode()
        assert "data-outbox=" in body and 'name="client_key"' in body, name


# ------------------------------------------------------------------ resends never duplicate


def _photo() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "JPEG")
    out.seek(0)
    out.name = "foto.jpg"
    return out


def _twice(client: Client, url: str, data: dict) -> tuple:  # type: ignore[type-arg]
    first = client.post(url, data)
    if "photo" in data:
        data = {**data, "photo": _photo()}
    second = client.post(url, data)
    return first, second


def test_a_visit_with_its_photo_resent_is_recorded_once(alice_client, village_a):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": 2,
        "topic": "economy",
        "hopes": "Pasar desa dibuka lagi",
        "photo": _photo(),
    }
    first, second = _twice(alice_client, reverse("fieldwork:visit_new"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert first["Location"].endswith(f"?saved={key}")
    visit = Visit.objects.get()
    assert str(visit.client_key) == key and visit.photo


def test_an_early_detection_resent_is_recorded_once(alice_client, village_a):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "observed_at": "2024-03-05T20:00",
        "information": "Rencana balap liar malam Minggu",
        "source_kind": "resident",
        "urgency": "medium",
        "frequency": "several",
        "topic": "security",
    }
    first, second = _twice(alice_client, reverse("fieldwork:detection_new"), data)
    assert first.status_code == second.status_code == 302, first.content.decode()[-2000:]
    assert first["Location"] == second["Location"] and first["Location"].endswith(key)
    assert EarlyDetection.objects.count() == 1


def test_a_case_resent_is_opened_once(alice_client, village_a):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "title": "Sengketa batas tanah",
        "kind": "dispute",
        "opened_on": "2024-01-10",
        "problem": "Dua keluarga bertengkar soal batas tanah",
        "categories": [Category.objects.get(code="penganiayaan").pk],
        "party_one": "Keluarga Suparno",
        "party_two": "Keluarga Wahyudi",
    }
    first, second = _twice(alice_client, reverse("fieldwork:case_new"), data)
    assert first.status_code == second.status_code == 302, first.content.decode()[-2000:]
    assert first["Location"] == second["Location"]
    assert ProblemCase.objects.count() == 1


def test_an_operation_and_its_findings_resent_are_recorded_once(bob_client, village_a, tbkb):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "programme": tbkb.pk,
        "village": village_a.pk,
        "started_at": "2024-03-05T21:00",
        "place": "Jl. Soekarno-Hatta",
        "team_size": 6,
        "vehicles_checked": 80,
        "people_checked": 95,
        "qty_knalpot_brong": "9",
        "fu_knalpot_brong": "ticket",
    }
    first, second = _twice(bob_client, reverse("fieldwork:operation_new"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Operation.objects.count() == 1
    assert Incident.objects.filter(source="operation").count() == 1


def test_a_key_sent_by_another_account_is_refused_not_answered(alice_client, alice, village_a):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": 1,
        "topic": "economy",
        "hopes": "Lampu jalan",
    }
    assert alice_client.post(reverse("fieldwork:visit_new"), data).status_code == 302
    other = _person("alice2", "bhabin", village_a.code)
    response = client_for(other).post(reverse("fieldwork:visit_new"), data)
    assert response.status_code == 200  # refused on the form, no redirect to Alice's record
    assert "akun lain" in response.content.decode()
    assert Visit.objects.get().officer == alice


def test_a_refused_entry_answers_with_the_errors_the_outbox_shows(alice_client, village_a):
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": 1,
        "topic": "economy",
    }
    response = alice_client.post(reverse("fieldwork:visit_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<ul class="errorlist' in body and f'value="{key}"' in body  # same key kept
    assert not Visit.objects.exists()


def test_a_check_in_sent_twice_counts_once_and_says_so(bob_client, meeting, person_a, satbinmas):  # noqa: F811
    inv = programs.invite(meeting, actor=satbinmas, person=person_a)
    page = bob_client.get(f"/program/hadir/{inv.code}/").content.decode()
    assert f'data-outbox-key="checkin-{inv.code}"' in page
    with time_machine.travel(meeting.starts_at + datetime.timedelta(minutes=5), tick=False):
        first = bob_client.post(f"/program/hadir/{inv.code}/", {"code": inv.code})
        second = bob_client.post(f"/program/hadir/{inv.code}/", {"code": inv.code})
    for response in (first, second):
        assert f'data-outbox-done="checkin-{inv.code}"' in response.content.decode()
    inv.refresh_from_db()
    assert inv.status == "present"
    assert Invitation.objects.filter(status="present").count() == 1


def test_a_check_in_sent_late_from_the_outbox_counts_the_moment_it_was_confirmed(
    bob_client,
    meeting,  # noqa: F811
    person_a,  # noqa: F811
    satbinmas,
):
    inv = programs.invite(meeting, actor=satbinmas, person=person_a)
    confirmed = meeting.starts_at + datetime.timedelta(minutes=2)  # on time, without signal
    with time_machine.travel(meeting.starts_at + datetime.timedelta(hours=2), tick=False):
        response = bob_client.post(
            f"/program/hadir/{inv.code}/", {"code": inv.code, "confirmed_at": confirmed.isoformat()}
        )
    assert f'data-outbox-done="checkin-{inv.code}"' in response.content.decode()
    inv.refresh_from_db()
    assert inv.status == "present" and inv.checked_in_at == confirmed


def test_a_confirmed_time_in_the_future_or_long_ago_is_not_trusted(
    bob_client,
    meeting,  # noqa: F811
    person_a,  # noqa: F811
    satbinmas,
):
    inv = programs.invite(meeting, actor=satbinmas, person=person_a)
    arrived = meeting.starts_at + datetime.timedelta(hours=1)
    with time_machine.travel(arrived, tick=False):
        bob_client.post(
            f"/program/hadir/{inv.code}/",
            {"code": inv.code, "confirmed_at": (arrived + datetime.timedelta(hours=1)).isoformat()},
        )
    inv.refresh_from_db()
    assert inv.status == "late" and inv.checked_in_at == arrived
