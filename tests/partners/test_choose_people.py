"""People and organisations chosen by name: the search keeps to the user's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _labels(response: Any) -> list[str]:
    assert response.status_code == 200
    return [r["label"] for r in response.json()["results"]]


def test_people_and_organisations_are_found_in_scope_only(
    bob_client: Client, charlie_client: Client, person_a: Any, person_c: Any, fkpm_a: Any
) -> None:
    assert _labels(bob_client.get("/pilih/orang/", {"q": "sutris"})) == [
        "Sutrisno, Tamanan (Kec. Trenggalek)"
    ]
    assert _labels(charlie_client.get("/pilih/orang/", {"q": "sutris"})) == []
    assert _labels(charlie_client.get("/pilih/orang/", {"q": "jumadi"})) == [
        "Jumadi, Munjungan (Kec. Munjungan)"
    ]
    response = bob_client.get("/pilih/orang/", {"q": "sutris"})
    # The answer names the person and the village, nothing personal beyond that.
    assert set(response.json()["results"][0]) == {"value", "label"}
    # The fixture registered Sutrisno's NIK and position: neither is answered.
    assert "3503" not in response.content.decode() and "Ketua RW" not in response.content.decode()
    assert _labels(bob_client.get("/pilih/organisasi/", {"q": "FKPM Tam"})) == [
        "FKPM Tamanan, Tamanan, Kec. Trenggalek"
    ]
    assert _labels(charlie_client.get("/pilih/organisasi/", {"q": "FKPM Tam"})) == []
