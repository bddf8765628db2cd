from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jaga.servicedesk.models import ServiceRequest, Status

API = "/api/v1/servicedesk"
PERSONAL = ["Sri Wahyuni", "081298765432", "sri@example.com", "Jl. Melati 7", "-8.0523"]


def post(client: Client, url: str, data: dict, **headers: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


@pytest.fixture
def reported(file_report: Any, village_a: Any, alice: Any) -> ServiceRequest:
    return file_report(
        village_a,
        anonymous=False,
        reporter_name="Sri Wahyuni",
        phone="081298765432",
        email="sri@example.com",
        address="Jl. Melati 7",
        latitude=-8.052345,
        longitude=111.712345,
    )


BODY = {
    "service_code": "knalpot_brong",
    "village_code": "35.03.11.1002",
    "description": "Knalpot brong tiap malam.",
    "anonymous": True,
}


def test_public_submission_and_idempotent_retry(client: Client, units: dict) -> None:
    first = post(client, f"{API}/requests", BODY, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201 and first.json()["created"] is True
    again = post(client, f"{API}/requests", BODY, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert again.status_code == 200 and again.json()["ticket"] == first.json()["ticket"]
    assert ServiceRequest.objects.count() == 1
    assert first.json()["track_url"].endswith(f"/layanan/lacak/{first.json()['ticket']}/")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"village_code": "35.03.99.9999"}, 400, "unknown_village"),
        ({"service_code": "nope"}, 400, "unknown_service"),
        ({"description": ""}, 400, "empty_description"),
        ({"latitude": 40.7, "longitude": -74.0}, 400, "point_outside_indonesia"),
        ({"anonymous": False}, 400, "contact_required"),
        ({"description": "x" * 4001}, 422, "invalid"),
    ],
)
def test_public_submission_bad_input(
    client: Client, units: dict, change: dict, status: int, code: str
) -> None:
    response = post(client, f"{API}/requests", {**BODY, **change})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    assert ServiceRequest.objects.count() == 0


def test_public_intake_is_rate_limited_per_client(
    client: Client, units: dict, settings: Any
) -> None:
    settings.PUBLIC_RATE_LIMIT = 3
    codes = [post(client, f"{API}/requests", BODY).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    other = post(client, f"{API}/requests", BODY, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 201
    assert ServiceRequest.objects.count() == 4


def test_the_error_is_in_the_users_language(client: Client, units: dict) -> None:
    bad = {**BODY, "description": " "}
    indonesian = post(client, f"{API}/requests", bad).json()["message"]
    english = post(client, f"{API}/requests", bad, HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert english == "Describe what happened."
    assert indonesian != english


def test_village_picker_is_public_and_minimal(client: Client, db: Any) -> None:
    rows = client.get(f"{API}/villages", {"q": "taman"}).json()
    assert {"code": "35.03.11.1002", "name": "Kelurahan Tamanan", "district": "Trenggalek"} in rows
    assert set(rows[0]) == {"code", "name", "district"}
    assert client.get(f"{API}/villages", {"q": "t"}).json() == []


def test_services_are_public(client: Client, db: Any) -> None:
    rows = client.get(f"{API}/services").json()
    assert any(r["code"] == "kdrt" and r["sensitive"] for r in rows)


def test_tracking_shows_public_updates_and_no_personal_data(
    client: Client, reported: ServiceRequest, bob: Any
) -> None:
    from jaga.servicedesk import services

    services.add_update(reported, "Catatan internal rahasia.", actor=bob, public=False)
    services.transition_request(reported, Status.TRIAGED, actor=bob, note="Diterima Polsek.")
    # The ticket alone: the public status, no notes, no text (none approved yet).
    response = client.get(f"{API}/track/{reported.ticket.lower()}")
    assert response.status_code == 200
    body = response.content.decode()
    for secret in [*PERSONAL, "Catatan internal rahasia.", "Diterima Polsek.", "tiap malam"]:
        assert secret not in body
    assert response.json()["updates"] == [] and response.json()["private"] is False
    # With the reporter's tracking code: the public notes and the reporter's own text.
    code = reported.tracking_code  # type: ignore[attr-defined]
    mine = client.get(f"{API}/track/{reported.ticket}", HTTP_X_TRACKING_CODE=code)
    assert mine.status_code == 200 and mine.json()["private"] is True
    assert [u["text"] for u in mine.json()["updates"]][-1] == "Diterima Polsek."
    assert mine.json()["description"] == reported.description
    for secret in [*PERSONAL, "Catatan internal rahasia."]:
        assert secret not in mine.content.decode()
    wrong = client.get(f"{API}/track/{reported.ticket}", HTTP_X_TRACKING_CODE="A" * 16)
    assert wrong.status_code == 403 and "Diterima" not in wrong.content.decode()
    assert client.get(f"{API}/track/FORGED1234").status_code == 404


def test_nearby_open_reports_are_suggested(
    client: Client, reported: ServiceRequest, village_a: Any
) -> None:
    rows = client.get(
        f"{API}/nearby",
        {
            "service_code": "knalpot_brong",
            "village_code": village_a.code,
            "lat": -8.0525,
            "long": 111.7125,
        },
    ).json()
    assert [r["ticket"] for r in rows] == [reported.ticket]
    assert "Sri" not in json.dumps(rows)
    none = client.get(f"{API}/nearby", {"service_code": "judi", "village_code": village_a.code})
    assert none.json() == []


def test_staff_queue_is_scoped(
    reported: ServiceRequest,
    file_report: Any,
    village_c: Any,
    bob_client: Client,
    charlie_client: Client,
    client: Client,
) -> None:
    theirs = file_report(village_c)
    assert [r["ticket"] for r in bob_client.get(f"{API}/requests").json()] == [reported.ticket]
    assert [r["ticket"] for r in charlie_client.get(f"{API}/requests").json()] == [theirs.ticket]
    assert client.get(f"{API}/requests").status_code == 401
    assert bob_client.get(f"{API}/requests/{theirs.ticket}").status_code == 404
    assert charlie_client.get(f"{API}/requests/{reported.ticket}").status_code == 404
    assert client.get(f"{API}/requests/{reported.ticket}").status_code == 401
    detail = bob_client.get(f"{API}/requests/{reported.ticket}").json()
    assert detail["phone"] == "081298765432"  # the officer may call the reporter back
    assert "triaged" in detail["allowed"]


def test_staff_transition_and_conflict_through_the_api(
    reported: ServiceRequest, bob_client: Client, charlie_client: Client, client: Client
) -> None:
    url = f"{API}/requests/{reported.ticket}/transition"
    ok = post(bob_client, url, {"status": "assigned", "assignee": "alice", "version": 1})
    assert ok.status_code == 200 and ok.json()["status"] == "assigned"
    stale = post(bob_client, url, {"status": "rejected", "note": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    illegal = post(bob_client, url, {"status": "closed"})
    assert illegal.status_code == 400 and illegal.json()["code"] == "illegal_transition"
    assert post(charlie_client, url, {"status": "in_progress"}).status_code == 404
    assert post(client, url, {"status": "in_progress"}).status_code == 401


def test_staff_notes_and_verify(reported: ServiceRequest, bob_client: Client) -> None:
    base = f"{API}/requests/{reported.ticket}"
    note = post(bob_client, f"{base}/updates", {"text": "Cek lokasi", "public": False})
    assert note.status_code == 201
    post(bob_client, f"{base}/transition", {"status": "triaged"})
    verified = post(bob_client, f"{base}/verify", {})
    assert verified.status_code == 200 and verified.json()["incident_id"]


def test_staff_merge_duplicates_through_the_api(
    reported: ServiceRequest, file_report: Any, village_a: Any, village_c: Any, bob_client: Client
) -> None:
    copy = file_report(village_a)
    other = file_report(village_c)
    url = f"{API}/requests/{copy.ticket}/transition"
    assert (
        post(bob_client, url, {"status": "duplicate", "duplicate_of": other.ticket}).status_code
        == 404
    )
    merged = post(bob_client, url, {"status": "duplicate", "duplicate_of": reported.ticket})
    assert merged.json()["duplicate_of"] == reported.ticket


def test_desk_intake_needs_staff(
    units: dict, bob_client: Client, client: Client, partner: Any
) -> None:
    from tests.conftest import client_for

    data = {**BODY, "channel": "phone", "anonymous": False, "name": "Pak RT", "phone": "0813"}
    created = post(bob_client, f"{API}/intake", data)
    assert created.status_code == 201
    report = ServiceRequest.objects.get()
    assert report.channel == "phone" and report.entered_by.username == "bob"
    assert post(client, f"{API}/intake", data).status_code == 401
    assert post(client_for(partner), f"{API}/intake", data).status_code == 403
    assert post(bob_client, f"{API}/intake", {**data, "channel": "web"}).status_code == 400


def test_summary_counts_per_polsek(
    reported: ServiceRequest, bob_client: Client, charlie_client: Client
) -> None:
    rows = bob_client.get(f"{API}/summary").json()
    assert rows == [
        {
            "district_code": "35.03.11",
            "unit": "Polsek Trenggalek",
            "open": 1,
            "overdue": 0,
            "resolved": 0,
            "resolved_in_time": 0,
            "in_time_pct": None,
        }
    ]
    assert charlie_client.get(f"{API}/summary").json() == []


def test_reassigning_and_a_duplicate_without_original_through_the_api(
    reported: ServiceRequest, bob_client: Client
) -> None:
    url = f"{API}/requests/{reported.ticket}/transition"
    post(bob_client, url, {"status": "assigned", "assignee": "alice"})
    moved = post(bob_client, url, {"status": "assigned", "assignee": "bob"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "Bob"
    missing = post(bob_client, url, {"status": "duplicate"})
    assert missing.status_code == 400 and missing.json()["code"] == "original_required"
