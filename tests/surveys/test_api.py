from __future__ import annotations

import json

import pytest

from jaga.surveys.models import TrustResponse
from tests.surveys.conftest import TRUST

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_staff_enter_a_trust_form_in_scope(alice_client, village_a):
    response = _post(
        alice_client, "/api/v1/surveys/trust", TRUST | {"village_code": "35.03.11.1002"}
    )
    assert response.status_code == 201
    assert TrustResponse.objects.get().channel == "paper"


def test_out_of_range_answers_get_a_clear_error(alice_client, village_a):
    response = _post(
        alice_client,
        "/api/v1/surveys/trust",
        TRUST | {"village_code": "35.03.11.1002", "trust_police": 7},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "score_out_of_range"
    assert TrustResponse.objects.count() == 0


def test_out_of_scope_and_anonymous(charlie_client, client, village_a):
    data = TRUST | {"village_code": "35.03.11.1002"}
    assert _post(charlie_client, "/api/v1/surveys/trust", data).status_code == 404
    assert _post(client, "/api/v1/surveys/trust", data).status_code == 401
    assert charlie_client.get("/api/v1/surveys/results/35.03.11").status_code == 404
    assert client.get("/api/v1/surveys/results/35.03.11").status_code == 401


def test_ikm_by_api_and_the_results(bob_client, polsek, village_a):
    created = _post(
        bob_client,
        "/api/v1/surveys/ikm",
        {
            "village_code": "35.03.11.1002",
            "unit_code": "polsek-trenggalek",
            "scores": {f"u{i}": 4 for i in range(1, 10)},
        },
    )
    assert created.status_code == 201
    _post(bob_client, "/api/v1/surveys/trust", TRUST | {"village_code": "35.03.11.1002"})
    results = bob_client.get("/api/v1/surveys/results/35.03.11").json()
    assert results["ikm"]["converted"] == "100.00" and results["ikm"]["grade"] == "A"
    assert results["trust_respondents"] == 1
