"""Desk intake speaks for the police of the officer's own area: other villages are refused."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from jaga.core.models import AuditLog
from jaga.servicedesk.models import ServiceRequest

API = "/api/v1/servicedesk"
DESK = {
    "service_code": "knalpot_brong",
    "description": "Knalpot brong tiap malam.",
    "channel": "phone",
    "anonymous": False,
    "name": "Pak RT",
    "phone": "0813",
}


def _post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(f"{API}/intake", json.dumps(data), content_type="application/json")


def test_the_api_refuses_desk_intake_outside_the_officers_area(
    units: dict, bob_client: Client, alice_client: Client
) -> None:
    audit_rows = AuditLog.objects.count()
    outside = _post(bob_client, {**DESK, "village_code": "35.03.02.2008"})
    assert outside.status_code == 400
    assert outside.json()["code"] == "not_allowed"
    assert "di luar wilayah" in outside.json()["message"]
    # Alice's scope is her village: a neighbouring village of the same district is outside too.
    assert _post(alice_client, {**DESK, "village_code": "35.03.11.2001"}).status_code == 400
    assert not ServiceRequest.objects.exists()
    assert AuditLog.objects.count() == audit_rows
    assert _post(bob_client, {**DESK, "village_code": "35.03.11.2001"}).status_code == 201
    assert _post(alice_client, {**DESK, "village_code": "35.03.11.1002"}).status_code == 201


def test_the_desk_page_offers_and_accepts_only_villages_in_scope(
    units: dict, bob_client: Client
) -> None:
    page = bob_client.get("/layanan/baru/", {"layanan": "knalpot_brong"}).content.decode()
    assert "35.03.11.2001" in page and "35.03.02.2008" not in page
    refused = bob_client.post(
        "/layanan/baru/",
        {
            "layanan": "knalpot_brong",
            "channel": "walk_in",
            "desa": "35.03.02.2008",
            "description": "Knalpot brong tiap malam.",
            "reporter_name": "Pak Darto",
            "idempotency_key": "d-out",
        },
    )
    assert refused.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_the_public_may_report_from_any_village(units: dict, client: Client) -> None:
    body = {"service_code": "knalpot_brong", "village_code": "35.03.02.2008"}
    response = client.post(
        f"{API}/requests",
        json.dumps({**body, "description": "Knalpot brong.", "anonymous": True}),
        content_type="application/json",
    )
    assert response.status_code == 201
