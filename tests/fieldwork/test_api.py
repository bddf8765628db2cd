from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone

from jaga.fieldwork.models import Operation, Visit

pytestmark = pytest.mark.django_db

VISIT = {
    "village_code": "35.03.11.1002",
    "visited_on": "2024-03-05",
    "household_head": "Pak Slamet",
    "members_met": 2,
    "topic": "security",
    "concerns": "Pencurian ternak",
}


def post(client, url, body, **headers):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_a_visit_is_sent_once_with_an_idempotency_key(alice_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = post(alice_client, "/api/v1/fieldwork/visits", VISIT, **headers)
    again = post(alice_client, "/api/v1/fieldwork/visits", VISIT, **headers)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.count() == 1


@pytest.mark.usefixtures("frozen_clock")
def test_visits_are_scoped(alice_client, bob_client, charlie_client, client):
    today = timezone.localdate().isoformat()
    visit_id = post(
        alice_client, "/api/v1/fieldwork/visits", {**VISIT, "visited_on": today}
    ).json()["id"]
    assert bob_client.get(f"/api/v1/fieldwork/visits/{visit_id}").status_code == 200
    assert charlie_client.get(f"/api/v1/fieldwork/visits/{visit_id}").status_code == 404
    assert client.get(f"/api/v1/fieldwork/visits/{visit_id}").status_code == 401
    assert [v["id"] for v in bob_client.get("/api/v1/fieldwork/visits").json()] == [visit_id]
    assert charlie_client.get("/api/v1/fieldwork/visits").json() == []
    villages = {
        v["village_code"]: v for v in bob_client.get("/api/v1/fieldwork/visits/villages").json()
    }
    assert not villages["35.03.11.1002"]["overdue"] and villages["35.03.11.2001"]["overdue"]


def test_bad_input_gets_a_clear_error(alice_client, charlie_client):
    response = post(charlie_client, "/api/v1/fieldwork/visits", VISIT)
    assert response.status_code == 403 and response.json()["code"] == "village_out_of_scope"
    response = post(alice_client, "/api/v1/fieldwork/visits", {**VISIT, "village_code": "99"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_village"
    response = post(alice_client, "/api/v1/fieldwork/visits", {**VISIT, "visited_on": "kemarin"})
    assert response.status_code == 422
    assert not Visit.objects.exists()


def test_an_operation_through_the_api(bob_client, charlie_client, client, tbkb):
    body = {
        "programme": "TBKB",
        "village_code": "35.03.11.1002",
        "started_at": "2024-03-05T21:00:00+07:00",
        "place": "Jembatan Ngares",
        "team_size": 5,
        "findings": [{"target": "balap_liar", "quantity": 4, "follow_up": "guidance"}],
    }
    response = post(bob_client, "/api/v1/fieldwork/operations", body)
    assert response.status_code == 201
    data = response.json()
    assert data["findings"][0]["incident_id"] is not None
    assert bob_client.get(f"/api/v1/fieldwork/operations/{data['id']}").status_code == 200
    assert charlie_client.get(f"/api/v1/fieldwork/operations/{data['id']}").status_code == 404
    assert client.get("/api/v1/fieldwork/operations").status_code == 401
    bad = post(bob_client, "/api/v1/fieldwork/operations", {**body, "programme": "XYZ"})
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_programme"
    assert Operation.objects.count() == 1


def test_a_case_through_the_api(alice_client, charlie_client):
    body = {
        "village_code": "35.03.11.1002",
        "title": "Miras di warung",
        "kind": "non_dispute",
        "opened_on": "2024-03-01",
        "problem": "Warung menjual miras oplosan kepada remaja",
        "categories": ["miras"],
    }
    case = post(alice_client, "/api/v1/fieldwork/cases", body).json()
    assert case["stage"] == "scanning"
    url = f"/api/v1/fieldwork/cases/{case['id']}"
    assert charlie_client.get(url).status_code == 404
    assert post(alice_client, f"{url}/move", {"to": "analysis"}).json()["stage"] == "analysis"
    patched = alice_client.patch(
        url, json.dumps({"causes": "Pengawasan lemah"}), content_type="application/json"
    )
    assert patched.json()["causes"] == "Pengawasan lemah"
    refused = post(alice_client, f"{url}/move", {"to": "closed"})
    assert refused.status_code == 400 and refused.json()["code"] == "illegal_transition"


def test_a_detection_escalates_through_the_api(alice_client, charlie_client):
    body = {
        "village_code": "35.03.11.1002",
        "observed_at": "2024-03-05T20:00:00+07:00",
        "information": "Ada rencana judi sabung ayam di kebun",
        "source_kind": "resident",
        "urgency": "medium",
        "frequency": "several",
        "topic": "security",
        "category": "judi",
    }
    detection = post(alice_client, "/api/v1/fieldwork/detections", body).json()
    url = f"/api/v1/fieldwork/detections/{detection['id']}"
    assert post(charlie_client, f"{url}/escalate", {"to": "incident"}).status_code == 404
    escalated = post(alice_client, f"{url}/escalate", {"to": "incident"}).json()
    assert escalated["status"] == "incident" and escalated["incident_id"]


def test_the_openapi_document_lists_the_field_and_register_endpoints(alice_client):
    paths = alice_client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/fieldwork/visits",
        "/api/v1/fieldwork/operations",
        "/api/v1/fieldwork/cases/{case_id}/move",
        "/api/v1/incidents/import",
        "/api/v1/incidents/categories",
    ):
        assert path in paths, path
