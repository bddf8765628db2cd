"""Map layers of incidents and hotspots (docs/maps.md): in scope only, cells named by village,
the raid plan's places on the map."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from jaga.analytics import services
from jaga.territory.models import Territory
from tests.analytics.conftest import put_count
from tests.analytics.test_hotspots import WEEK, district, incidents  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

HOT = "/peta/hotspot/"
INCIDENTS = "/peta/kejadian/"


def collection(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/geo+json"
    data: dict[str, Any] = response.json()
    return data


def test_hotspot_layer_names_every_cell_and_shows_the_raid_plan(
    incidents: None,  # noqa: F811
    bob: Any,
    bob_client: Any,
    village_a: Territory,
    village_b: Territory,
) -> None:
    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    Territory.objects.filter(pk=village_b.pk).update(latitude=-8.08, longitude=111.69)
    services.propose_raid_plan(district(), WEEK, actor=bob, places=2)
    data = collection(bob_client.get(HOT, {"territory": "35.03.11"}))
    cells = [f for f in data["features"] if f["geometry"]["type"] == "Polygon"]
    plan = [f for f in data["features"] if f["properties"]["kind"] == "plan"]
    assert any(f["properties"]["kind"] == "hot" for f in cells)
    names = {village_a.display_name, village_b.display_name}
    # Every drawn cell carries a village's name, never a bare H3 id.
    assert all(f["properties"]["title"] in names for f in cells)
    assert [f["properties"]["label"] for f in plan] == ["1", "2"]
    assert all(f["properties"]["lines"][0] in names for f in plan)
    ring = cells[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a closed hexagon, [lon, lat]
    assert 111 < ring[0][0] < 112 and -9 < ring[0][1] < -8


def test_hotspot_layer_is_scoped(
    incidents: None,  # noqa: F811
    charlie_client: Any,
    partner: Any,
    client: Any,
) -> None:
    from tests.conftest import client_for

    assert charlie_client.get(HOT, {"territory": "35.03.11"}).status_code == 404
    assert client_for(partner).get(HOT, {"territory": "35.03.11"}).status_code == 403
    assert client.get(HOT).status_code == 302


def test_hot_cells_without_incidents_are_named_by_the_nearest_centre(
    incidents: None,  # noqa: F811
    village_a: Territory,
) -> None:
    from jaga.analytics import hotspots

    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    found = hotspots.hot_cells(
        district(), until=datetime.datetime(2026, 11, 15, tzinfo=datetime.UTC)
    )
    named = found["village_of"]
    significant = [c for c in found["cells"] if c.kind in ("hot", "cold")]
    assert significant and all(c.cell in named for c in significant)


def test_incident_layer_counts_per_village_in_scope(
    frozen: None, bob_client: Any, charlie_client: Any, village_a: Territory, village_c: Territory
) -> None:
    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    put_count(village_a, datetime.date(2026, 11, 1), "balap_liar", 4)
    put_count(village_a, datetime.date(2026, 10, 1), "pencurian", 2)
    put_count(village_a, datetime.date(2025, 1, 1), "pencurian", 50)  # too old for 3 months
    put_count(village_c, datetime.date(2026, 11, 1), "balap_liar", 7)  # charlie's
    data = collection(bob_client.get(INCIDENTS, {"territory": "35.03.11"}))
    (feature,) = data["features"]
    assert feature["properties"]["count"] == 6
    assert feature["properties"]["url"] == "/kejadian/?q=35.03.11.1002"
    assert data["note"] == ""
    # The village without a centre is counted, and said to be missing from the map.
    data = collection(charlie_client.get(INCIDENTS, {"territory": "35.03.02"}))
    assert data["features"] == [] and "7" in data["note"]
    assert charlie_client.get(INCIDENTS, {"territory": "35.03.11"}).status_code == 404
    wide = collection(bob_client.get(INCIDENTS, {"territory": "35.03.11", "bulan": "36"}))
    assert wide["features"][0]["properties"]["count"] == 56
