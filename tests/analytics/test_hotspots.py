"""Hotspots on the H3 grid and raid plans that rotate."""

from __future__ import annotations

import datetime
import random

import h3
import pytest

from jaga.analytics import services
from jaga.analytics.models import RaidPlan
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.incidents.models import Category
from jaga.incidents.services import record_incident
from jaga.territory.models import Territory

pytestmark = pytest.mark.django_db

WEEK = datetime.date(2026, 11, 16)
SPOTS = [(-8.0500, 111.7100), (-8.0700, 111.6800), (-8.0900, 111.7300)]


@pytest.fixture
def incidents(frozen, village_a, village_b):
    cat = Category.objects.get(code="balap_liar")
    n = 0
    rng = random.Random(3)
    for spot, count in zip(SPOTS, (60, 30, 10), strict=True):
        for i in range(count):
            n += 1
            # Spread over a few streets (~0.5 km) so that neighbouring hexagons share the spot.
            lat = spot[0] + rng.uniform(-0.004, 0.004)
            lon = spot[1] + rng.uniform(-0.004, 0.004)
            record_incident(
                category=cat, village=village_a if n % 2 else village_b,
                occurred_at=datetime.datetime(2026, 10, 1 + i % 28, 22, tzinfo=datetime.UTC),
                source="field", source_ref=f"H{n}", latitude=lat, longitude=lon,
            )  # fmt: skip
    record_incident(
        category=cat, village=village_b,
        occurred_at=datetime.datetime(2026, 10, 3, tzinfo=datetime.UTC),
        source="field", source_ref="lone", latitude=-8.2, longitude=111.5,
    )  # fmt: skip


def district() -> Unit:
    t = Territory.objects.get(code="35.03.11")
    return Unit(t.code, t.display_name, [t.code], t.level, t)


def test_raid_places_rotate_week_to_week(incidents, bob):
    first = services.propose_raid_plan(district(), WEEK, actor=bob, places=2)
    second = services.propose_raid_plan(
        district(), WEEK + datetime.timedelta(days=7), actor=bob, places=2
    )
    cells1 = [p["cell"] for p in first.places]
    cells2 = [p["cell"] for p in second.places]
    assert len(cells1) == 2 and cells2
    assert not set(cells1) & set(cells2)
    near_first_spot = set(h3.grid_disk(h3.latlng_to_cell(*SPOTS[0], 8), 1))
    assert first.places[0]["cell"] in near_first_spot
    assert AuditLog.objects.filter(action="analytics.raid_plan_proposed").count() == 2
    # Proposing the same week again replaces that week's plan.
    again = services.propose_raid_plan(district(), WEEK, actor=bob, places=2)
    assert again.pk == first.pk and RaidPlan.objects.count() == 2


def test_no_plan_for_a_village_or_without_points(frozen, bob, village_a):
    v = Unit(village_a.code, village_a.name, [village_a.code], village_a.level, village_a)
    with pytest.raises(DomainError):
        services.propose_raid_plan(v, WEEK, actor=bob)
    with pytest.raises(DomainError) as exc:
        services.propose_raid_plan(district(), WEEK, actor=bob)
    assert exc.value.code == "no_hotspots"


def test_api_hotspots_and_plans(incidents, bob_client, charlie_client, client):
    resp = bob_client.get("/api/v1/analytics/hotspots?territory=35.03.11")
    assert resp.status_code == 200
    cells = resp.json()["cells"]
    assert cells[0]["kind"] == "hot"
    assert cells[0]["cell"] in set(h3.grid_disk(h3.latlng_to_cell(*SPOTS[0], 8), 1))
    lone = h3.latlng_to_cell(-8.2, 111.5, 8)
    assert next(c for c in cells if c["cell"] == lone)["kind"] != "hot"
    resp = bob_client.post(
        "/api/v1/analytics/raid-plans",
        {"territory": "35.03.11", "week": "2026-11-16"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    assert bob_client.get("/api/v1/analytics/raid-plans").json()[0]["territory"] == "35.03.11"
    assert charlie_client.get("/api/v1/analytics/raid-plans").json() == []
    assert (
        charlie_client.post(
            "/api/v1/analytics/raid-plans",
            {"territory": "35.03.11", "week": "2026-11-16"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/analytics/hotspots").status_code == 401


def test_hotspot_page_and_form(incidents, bob_client, charlie_client, client):
    resp = bob_client.get("/analitik/hotspot/?territory=35.03.11")
    assert resp.status_code == 200 and b"<polygon" in resp.content
    resp = bob_client.post("/analitik/hotspot/", {"territory": "35.03.11", "week": "2026-11-16"})
    assert resp.status_code == 302
    assert RaidPlan.objects.filter(territory__code="35.03.11").exists()
    assert charlie_client.get("/analitik/hotspot/?territory=35.03.11").status_code == 404
    assert client.get("/analitik/hotspot/").status_code == 302


def test_the_demo_step_proposes_next_weeks_plan(incidents, regency, satbinmas):
    # The area roll-up is kept by the builders that write incidents (test_rebuild_all checks).
    from jaga.analytics import demo

    demo.build({"regency": regency, "users": {"kasatbinmas": satbinmas}})
    assert RaidPlan.objects.filter(territory=regency).count() == 1


def test_a_province_finds_the_points_of_its_regencies(incidents):
    """A province's points are read through the list of its regencies (the index of incidents
    with a point): the same points as its regency's and the whole country's here."""
    from jaga.analytics import hotspots

    t = Territory.objects.get(code="35")
    province = Unit("35", t.display_name, ["35"], t.level, t)
    country = Unit("*", "Indonesia", ["35"], "country")
    regency = Unit("35.03", "", ["35.03"], "regency", Territory.objects.get(code="35.03"))
    since = datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC)
    until = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    points = sorted(hotspots.incident_points(province, since, until))
    assert len(points) == 101
    assert points == sorted(hotspots.incident_points(regency, since, until))
    assert points == sorted(hotspots.incident_points(country, since, until))
    elsewhere = Unit("11", "Aceh", ["11"], "province")
    assert hotspots.incident_points(elsewhere, since, until) == []
