from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_territory_api_answers_in_scope(bob_client):
    response = bob_client.get("/api/v1/territories/35.03.11.1002")
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "kelurahan"
    assert [a["code"] for a in data["ancestors"]] == ["35", "35.03", "35.03.11"]


def test_the_territory_api_is_404_out_of_scope(charlie_client):
    assert charlie_client.get("/api/v1/territories/35.03.11.1002").status_code == 404
    assert charlie_client.get("/api/v1/territories/35.03.11/children").status_code == 404


def test_the_territory_api_needs_authentication():
    response = Client().get("/api/v1/territories/35.03")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_search_and_children_stay_in_scope(bob_client):
    found = bob_client.get(
        "/api/v1/territories", {"q": "a", "level": "village", "limit": 500}
    ).json()
    assert found and all(t["code"].startswith("35.03.11.") for t in found)
    children = bob_client.get("/api/v1/territories/35.03.11/children").json()
    assert len(children) == 13
