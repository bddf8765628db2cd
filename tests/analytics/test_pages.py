"""Dashboards and the API for each role's scope: in scope, out of scope (404), anonymous."""

from __future__ import annotations

import datetime

import pytest

from jaga.accounts.models import Role
from jaga.territory.models import NormSetting, Population, Territory
from tests.analytics.conftest import LAST_MONTH, put_count, put_metric
from tests.factories import PostingFactory

pytestmark = pytest.mark.django_db

PAGES = ["/analitik/", "/analitik/peringatan/", "/analitik/partisipasi/", "/analitik/catatan/",
         "/analitik/hotspot/", "/analitik/evaluasi/"]  # fmt: skip
API = ["compstat", "trend", "alarms", "coverage", "participation", "glance", "rollups", "hotspots",
       "dashboard"]  # fmt: skip


@pytest.fixture
def data(frozen, village_a, village_b, village_c, alice):
    put_count(village_a, LAST_MONTH, "miras", 4)
    put_count(village_b, LAST_MONTH, "pencurian", 2)
    put_count(village_c, LAST_MONTH, "pencurian", 9)
    for village, invited, attended in [(village_a, 20, 15), (village_b, 10, 4)]:
        put_metric(village, LAST_MONTH, "attendance.invited", invited, key="KTS")
        put_metric(village, LAST_MONTH, "attendance.attended", attended, key="KTS")
        put_metric(village, LAST_MONTH, "attendance.on_time", attended - 1, key="KTS")
    put_metric(village_a, LAST_MONTH, "requests.received", 6, key="kehilangan")
    put_metric(village_a, LAST_MONTH, "requests.resolved", 4, key="kehilangan")
    put_metric(village_a, LAST_MONTH, "visits.count", 12)
    Population.objects.create(village=village_a, year=2023, count=8_000, source="t")
    Population.objects.create(village=village_b, year=2023, count=4_000, source="t")
    NormSetting.objects.create(key="bhabin_per_village", value=1, label="1 per desa")
    NormSetting.objects.create(
        key="ideal_residents_per_officer", value=400, label="1:400", commonly_cited=True
    )


@pytest.mark.parametrize("url", PAGES)
def test_pages_in_scope_out_of_scope_anonymous(data, url, bob_client, charlie_client, client):
    assert bob_client.get(url + "?territory=35.03.11").status_code == 200
    assert charlie_client.get(url + "?territory=35.03.11").status_code == 404
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp["Location"] or "/akun/" in resp["Location"]


@pytest.mark.parametrize("name", API)
def test_api_in_scope_out_of_scope_anonymous(data, name, bob_client, charlie_client, client):
    url = f"/api/v1/analytics/{name}?territory=35.03.11"
    assert bob_client.get(url).status_code == 200
    assert charlie_client.get(url).status_code == 404
    assert client.get(url).status_code == 401


def test_dashboard_figures_and_query_count(data, leader_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(32):
        resp = leader_client.get("/analitik/?territory=35.03&month=2026-10")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "Kecamatan Trenggalek" in html  # sparkline rows per district
    assert 'territory=35.03&category=pencurian&month=2026-10">11<' in html


def test_dashboard_query_count_does_not_grow_with_data(
    data, leader_client, villages, django_assert_max_num_queries
):
    for v in villages[:40]:
        put_count(v, LAST_MONTH, "judi", 2)
        put_metric(v, LAST_MONTH, "attendance.invited", 5, key="KTS")
    with django_assert_max_num_queries(32):
        assert leader_client.get("/analitik/?territory=35.03").status_code == 200


def test_the_dashboard_is_indonesian_by_default_and_english_on_request(data, bob_client):
    html = bob_client.get("/analitik/?territory=35.03.11").content.decode()
    assert "Kejadian bulan ini" in html
    bob_client.cookies["django_language"] = "en"
    html = bob_client.get("/analitik/?territory=35.03.11").content.decode()
    assert "Incidents this month" in html


def test_alice_sees_her_village_only(data, alice_client, village_a):
    assert alice_client.get(f"/analitik/?territory={village_a.code}").status_code == 200
    assert alice_client.get("/analitik/?territory=35.03.11").status_code == 404
    assert alice_client.get("/analitik/").status_code == 200  # defaults to her village


def test_records_drill_down_is_scoped(frozen, alice, village_a, village_b, bob_client):
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident

    cat = Category.objects.get(code="miras")
    for village, ref in ((village_a, "A"), (village_b, "B")):
        record_incident(
            category=cat, village=village, source="desk", source_ref=ref,
            occurred_at=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC), description=f"row {ref}",
        )  # fmt: skip
    html = bob_client.get(
        "/analitik/catatan/?territory=35.03.11&category=konvensional&month=2026-10"
    ).content.decode()
    assert "row A" in html and "row B" in html
    html = bob_client.get(
        f"/analitik/catatan/?territory={village_a.code}&month=2026-09"
    ).content.decode()
    assert "row A" not in html


def test_coverage_and_participation(data, bob_client, village_a):
    cov = bob_client.get("/api/v1/analytics/coverage?territory=35.03.11").json()
    assert cov["bhabinkamtibmas"] == 1 and cov["villages_covered"] == 1
    assert cov["residents_per_bhabin"] == 12_000
    assert cov["villages"] - 1 == len(cov["villages_without"])
    assert any(n["commonly_cited"] for n in cov["norms"])
    part = bob_client.get(
        "/api/v1/analytics/participation?territory=35.03.11&month=2026-10&months=1"
    ).json()
    assert part["rates"]["attendance_pct"] == pytest.approx(19 / 30 * 100)
    assert part["association"] is None  # two villages cannot say anything
    assert part["statement"]


def test_rollups_sum_up_the_hierarchy(data, leader_client, admin_client_):
    rows = leader_client.get(
        "/api/v1/analytics/rollups?territory=35.03&by=district&start=2026-10&month=2026-10"
    ).json()
    by = {r["code"]: r["value"] for r in rows}
    assert by == {"35.03.11": 6, "35.03.02": 9}
    rows = admin_client_.get("/api/v1/analytics/rollups?territory=35&by=regency&end=2026-10").json()
    assert rows == [{"code": "35.03", "month": "2026-10", "value": 15}]
    rows = leader_client.get(
        "/api/v1/analytics/rollups?territory=35.03&by=village&metric=attendance.invited&end=2026-10"
    ).json()
    assert sum(r["value"] for r in rows) == 30
    bad = leader_client.get("/api/v1/analytics/rollups?territory=35.03&by=planet")
    assert bad.status_code == 400


def test_polsek_unit_sums_its_districts(data, leader_client, bob):
    from jaga.territory.models import PoliceUnit

    unit = PoliceUnit.objects.create(kind="polsek", name="Polsek Kota", code="polsek-kota")
    unit.territories.add(
        Territory.objects.get(code="35.03.11"), Territory.objects.get(code="35.03.02")
    )
    data = leader_client.get(
        "/api/v1/analytics/compstat?territory=polsek:polsek-kota&month=2026-10"
    ).json()
    assert data["total"]["current"] == 15
    PostingFactory(user=bob, role=Role.POLSEK, territory=Territory.objects.get(code="35.03.11"))
    from django.test import Client

    c = Client()
    c.force_login(bob)
    assert c.get("/api/v1/analytics/compstat?territory=polsek:polsek-kota").status_code == 404


def test_dashboard_api_matches_the_page(data, leader_client):
    data = leader_client.get("/api/v1/analytics/dashboard?territory=35.03&month=2026-10").json()
    assert data["compstat"]["total"]["current"] == 15
    assert len(data["areas"]) == 14
    assert data["glance"]["current"]["visits.count"] == 12
    assert data["coverage"]["villages"] == 157


def test_ytd_figure_drills_down_to_its_records(frozen, alice, village_a, bob_client):
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident

    cat = Category.objects.get(code="judi")
    for month, ref in ((2, "feb"), (9, "sep")):
        record_incident(
            category=cat, village=village_a, source="desk", source_ref=ref,
            occurred_at=datetime.datetime(2026, month, 5, tzinfo=datetime.UTC), description=ref,
        )  # fmt: skip
    # Another kind of record in every month of the year: the register covers the months to
    # date (with a gap, or a register beginning inside the year, the count to date is unknown).
    for month in range(1, 11):
        record_incident(
            category=Category.objects.get(code="pencurian"), village=village_a, source="desk",
            source_ref=f"other-{month}", description="other",
            occurred_at=datetime.datetime(2026, month, 5, tzinfo=datetime.UTC),
        )  # fmt: skip
    html = bob_client.get("/analitik/?territory=35.03.11&month=2026-10").content.decode()
    link = "/analitik/catatan/?territory=35.03.11&amp;category=judi&amp;from=2026-01&amp;to=2026-10"
    assert f'{link}">2<' in html
    page = bob_client.get(link.replace("&amp;", "&")).content.decode()
    assert "feb" in page and "sep" in page


def test_other_apps_add_live_figures_to_the_dashboard(data, bob_client):
    from jaga.analytics import glance

    def overdue(unit, month, user):
        return [{"label": "Laporan lewat tenggat", "value": 3, "url": "/layanan/?overdue=1",
                 "level": "bad"}]  # fmt: skip

    glance.register(overdue)
    try:
        html = bob_client.get("/analitik/?territory=35.03.11").content.decode()
        api = bob_client.get("/api/v1/analytics/dashboard?territory=35.03.11").json()
    finally:
        glance.PROVIDERS.remove(overdue)
    assert "Laporan lewat tenggat" in html and 'href="/layanan/?overdue=1"' in html
    assert {f["label"]: f["value"] for f in api["live"]}["Laporan lewat tenggat"] == 3
