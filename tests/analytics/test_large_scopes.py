"""Above a Polres (a province, the country) the analytics pages and API give figures by district or
regency, not a row per village, and read the area roll-up; the figures are those of the village
roll-up (issue 13, item 3). A Polres keeps its village rows."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jaga.accounts.models import Role
from jaga.analytics.models import MonthlyIncidentCount
from jaga.territory.models import Level, Population, Territory
from tests.analytics.conftest import LAST_MONTH, put_count, put_metric
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db

PREV = datetime.date(2026, 9, 1)


def _second_regency() -> list[Territory]:
    """A second regency of the province (35.99) with two districts of two villages each."""
    province = Territory.objects.get(code="35")
    regency = Territory.objects.create(
        code="35.99", name="Kabupaten Uji", level=Level.REGENCY, parent=province,
        province_code="35", regency_code="35.99",
    )  # fmt: skip
    villages = []
    for d in ("01", "02"):
        district = Territory.objects.create(
            code=f"35.99.{d}", name=f"Uji {d}", level=Level.DISTRICT, parent=regency,
            province_code="35", regency_code="35.99", district_code=f"35.99.{d}",
        )  # fmt: skip
        for v in ("2001", "2002"):
            villages.append(
                Territory.objects.create(
                    code=f"35.99.{d}.{v}",
                    name=f"Desa {d}{v}",
                    level=Level.VILLAGE,
                    parent=district,
                    province_code="35",
                    regency_code="35.99",
                    district_code=f"35.99.{d}",
                )  # fmt: skip
            )
    return villages


@pytest.fixture
def world(frozen, village_a, village_b, village_c):
    """Incidents, invitations and residents in sixteen villages of two regencies."""
    others = _second_regency()
    trenggalek = list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03")
        .exclude(pk__in=[village_a.pk, village_b.pk, village_c.pk])
        .order_by("code")[:9]
    )
    villages = [village_a, village_b, village_c, *trenggalek, *others]
    for i, v in enumerate(villages):
        put_count(v, LAST_MONTH, "miras", 1 + i)
        put_count(v, PREV, "pencurian", 2 * i)
        if i % 3 != 2:  # two villages of three invited anyone
            put_metric(v, LAST_MONTH, "attendance.invited", 10 + i, key="KTS")
            put_metric(v, LAST_MONTH, "attendance.attended", 5 + i // 2, key="KTS")
            put_metric(v, LAST_MONTH, "attendance.responded", 8, key="KTS")
            put_metric(v, LAST_MONTH, "attendance.on_time", 3, key="KTS")
        if i % 4 != 3:
            Population.objects.update_or_create(
                village=v, year=2023, defaults={"count": 1_000 + 100 * i, "source": "t"}
            )
    return villages


@pytest.fixture
def polda(db):
    user = UserFactory(username="kapolda")
    PostingFactory(
        user=user, role=Role.LEADER, territory=Territory.objects.get(code="35"),
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip
    return client_for(user)


def _village_level(client, territory: str) -> dict:
    return client.get(
        f"/api/v1/analytics/participation?territory={territory}&month=2026-10&by=village"
    ).json()


# --- participation --------------------------------------------------------------------------


def test_a_province_gets_participation_by_regency_equal_to_its_villages(world, polda):
    answer = polda.get("/api/v1/analytics/participation?territory=35&month=2026-10").json()
    villages = _village_level(polda, "35")
    assert answer["level"] == "regency" and answer["villages"] == []
    invited = [v for i, v in enumerate(world) if i % 3 != 2]
    assert villages["level"] == "village" and len(villages["villages"]) == len(invited) == 11
    # The regency rows are the sums of the village rows (Σ/Σ rates).
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in villages["villages"]:
        s = sums[r["code"][:5]]
        s["villages"] += 1
        s["invited"] += r["invited"]
        s["attended"] += r["attended"]
        s["incidents"] += r["incidents"]
        if r["population"]:
            s["population"] += r["population"]
            s["rated"] += r["incidents"]
    assert {a["code"] for a in answer["areas"]} == {"35.03", "35.99"}
    for a in answer["areas"]:
        s = sums[a["code"]]
        assert (a["villages"], a["invited"], a["attended"], a["incidents"]) == (
            s["villages"], s["invited"], s["attended"], s["incidents"],
        )  # fmt: skip
        assert a["attendance_pct"] == pytest.approx(s["attended"] / s["invited"] * 100)
        assert a["population"] == s["population"]
        assert a["rate_per_10k"] == pytest.approx(s["rated"] / s["population"] / 12 * 10_000)
    # The unit's rates and the association are the same whatever the rows are given by.
    for key in ("totals", "rates", "association", "statement"):
        assert answer[key] == villages[key]
    assert answer["association"] is not None
    by_district = polda.get(
        "/api/v1/analytics/participation?territory=35&month=2026-10&by=district"
    ).json()
    assert sum(a["villages"] for a in by_district["areas"]) == 11
    assert {a["code"] for a in by_district["areas"]} >= {"35.99.01", "35.99.02"}
    assert polda.get("/api/v1/analytics/participation?territory=35&by=planet").status_code == 400


def test_participation_reads_only_the_villages_with_invitations(world, polda):
    """The village rows, incidents and residents are read for the villages that invited anyone,
    not for every village of the scope."""
    with CaptureQueriesContext(connection) as seen:
        polda.get("/api/v1/analytics/participation?territory=35&month=2026-10")
    village_reads = [
        q["sql"]
        for q in seen.captured_queries
        if "territory_territory" in q["sql"] and "level" in q["sql"] and "village" in q["sql"]
    ]
    assert not village_reads, village_reads
    rolled = [q["sql"] for q in seen.captured_queries if "monthlyincidentcount" in q["sql"]]
    assert len(rolled) == 1 and "village_id" in rolled[0] and " IN (" in rolled[0]


def test_a_polres_keeps_its_village_rows(world, leader_client):
    answer = leader_client.get("/api/v1/analytics/participation?month=2026-10").json()
    assert answer["level"] == "village" and answer["areas"] == []
    invited = [v for i, v in enumerate(world) if i % 3 != 2 and v.regency_code == "35.03"]
    assert len(answer["villages"]) == len(invited) == 8


def test_the_participation_page_of_a_province_has_a_row_per_regency(world, polda):
    html = polda.get("/analitik/partisipasi/?territory=35&month=2026-10").content.decode()
    assert "Kabupaten Uji" in html and "Desa 012001" not in html
    # The villages without a Bhabinkamtibmas are counted, not listed.
    assert "Tamanan" not in html


# --- coverage -----------------------------------------------------------------------------


def test_coverage_counts_equal_the_village_lists_and_page(world, polda, alice, bob):
    PostingFactory(
        user=UserFactory(username="bhabin-uji"), role=Role.BHABIN,
        territory=Territory.objects.get(code="35.99.01.2001"),
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip
    full = polda.get("/api/v1/analytics/coverage?territory=35").json()
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE, province_code="35")
        .order_by("code")
        .values_list("code", "name")
    )
    covered = {"35.03.11.1002", "35.99.01.2001"}
    without = [{"code": c, "name": n} for c, n in villages if c not in covered]
    assert full["villages"] == len(villages)
    assert full["villages_covered"] == 2 and full["bhabinkamtibmas"] == 2
    assert full["officers"] == 4  # two Bhabinkamtibmas, bob and the Kapolda
    assert full["villages_without_count"] == len(without)
    assert full["villages_without"] == without[:1000]
    first = polda.get("/api/v1/analytics/coverage?territory=35&limit=3").json()
    second = polda.get("/api/v1/analytics/coverage?territory=35&limit=3&offset=3").json()
    assert first["villages_without"] + second["villages_without"] == without[:6]
    assert first["villages_without_count"] == len(without)


# --- roll-ups ---------------------------------------------------------------------------------


def _from_villages(level_field: str, village_filter: dict) -> list[dict]:
    rows = (
        MonthlyIncidentCount.objects.filter(**village_filter, month__gte=PREV)
        .values(level_field, "month")
        .order_by(level_field, "month")
    )
    sums: dict[tuple[str, datetime.date], int] = defaultdict(int)
    for r in rows.values_list(level_field, "month", "count"):
        sums[(r[0], r[1])] += r[2]
    return [
        {"code": c, "month": m.isoformat()[:7], "value": n} for (c, m), n in sorted(sums.items())
    ]


@pytest.mark.parametrize(
    ("territory", "by", "field", "village_filter"),
    [
        ("35", "district", "district_code", {"province_code": "35"}),
        ("35", "regency", "regency_code", {"province_code": "35"}),
        ("35", "province", "province_code", {"province_code": "35"}),
        ("35.99", "district", "district_code", {"regency_code": "35.99"}),
        ("35.99", "province", "province_code", {"regency_code": "35.99"}),
        ("35.03.11", "district", "district_code", {"district_code": "35.03.11"}),
        ("*", "regency", "regency_code", {}),
    ],
)
def test_rollups_by_area_read_the_area_rollup_with_the_village_sums(
    world, admin_client_, territory, by, field, village_filter
):
    url = f"/api/v1/analytics/rollups?territory={territory}&by={by}&start=2026-09&end=2026-10"
    with CaptureQueriesContext(connection) as seen:
        rows = admin_client_.get(url).json()
    assert rows == _from_villages(field, village_filter)
    assert rows
    assert not [q for q in seen.captured_queries if "monthlyincidentcount" in q["sql"]]


def test_rollups_default_to_regencies_above_a_polres_and_page(world, polda, leader_client):
    rows = polda.get("/api/v1/analytics/rollups?territory=35&start=2026-09&end=2026-10").json()
    assert {r["code"] for r in rows} == {"35.03", "35.99"}
    polres = leader_client.get("/api/v1/analytics/rollups?start=2026-09&end=2026-10").json()
    assert {r["code"] for r in polres} == {"35.03.11", "35.03.02", *{
        v.district_code for v in world if v.regency_code == "35.03"}}  # fmt: skip
    every = polda.get(
        "/api/v1/analytics/rollups?territory=35&by=village&start=2026-09&end=2026-10"
    ).json()
    assert len(every) == 32  # sixteen villages, two months
    pages = [
        polda.get(
            "/api/v1/analytics/rollups?territory=35&by=village&start=2026-09&end=2026-10"
            f"&limit=5&offset={o}"
        ).json()
        for o in range(0, 35, 5)
    ]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 5, 5, 2]
    assert [r for p in pages for r in p] == every


def _area_rows(territory: str, by: str, first: str, last: str) -> list[dict]:
    """The rows as the area roll-up grouped by the database gives them."""
    from django.db.models import Sum

    from jaga.analytics.queries import area_counts_by
    from jaga.analytics.units import Unit

    unit = Unit(territory, territory, ["35"], "country" if territory == "*" else "province")
    areas = area_counts_by(unit, by)
    assert areas is not None
    rows = (
        areas.filter(month__gte=f"{first}-01", month__lte=f"{last}-01")
        .values("code", "month")
        .annotate(n=Sum("count"))
        .order_by("code", "month")
    )
    return [{"code": r["code"], "month": r["month"].isoformat()[:7], "value": r["n"]} for r in rows]


@pytest.mark.parametrize("territory", ["35", "*"])
@pytest.mark.parametrize("by", ["regency", "province"])
@pytest.mark.parametrize(("first", "last"), [("2026-09", "2026-10"), ("2026-10", "2026-10"),
                                             ("2020-01", "2027-06"), ("2026-10", "2026-09")])  # fmt: skip
def test_rollups_by_regency_or_province_above_a_polres_are_the_area_rows_grouped(
    world, admin_client_, territory, by, first, last
):
    url = f"/api/v1/analytics/rollups?territory={territory}&by={by}&start={first}&end={last}"
    rows = admin_client_.get(url).json()
    assert rows == _area_rows(territory, by, first, last)
    assert bool(rows) == (first <= last)
    pages = [admin_client_.get(f"{url}&limit=1&offset={o}").json() for o in range(len(rows) + 1)]
    assert [r for page in pages for r in page] == rows and pages[-1] == []


@pytest.mark.parametrize("territory", ["35", "*"])
def test_rollups_above_a_polres_read_no_roll_up_row_once_read_and_follow_a_new_incident(
    world, admin_client_, territory, django_assert_num_queries
):
    """Above a Polres the roll-up by regency sums the regency rows this process keeps under each
    regency's version (`queries.regency_counts`): a second request reads the versions only (the
    grouped query walked a million rows of the national roll-up); after a new incident it reads
    the one regency whose version moved (its coverage and its rows), and shows the incident."""
    url = f"/api/v1/analytics/rollups?territory={territory}&start=2026-09&end=2026-10"
    before = admin_client_.get(url).json()
    with CaptureQueriesContext(connection) as seen:
        assert admin_client_.get(url).json() == before
    assert not [q for q in seen.captured_queries if "areamonthlycount" in q["sql"]]
    warm = len(seen.captured_queries)
    with django_assert_num_queries(warm):
        admin_client_.get(url)
    put_count(world[-1], LAST_MONTH, "miras", 7)  # a village of 35.99
    with CaptureQueriesContext(connection) as seen:
        after = admin_client_.get(url).json()
    reads = [q["sql"] for q in seen.captured_queries if "areamonthlycount" in q["sql"]]
    # The regency's coverage (kept under the same version) and its rows: its own, not 35.03's.
    assert len(seen.captured_queries) == warm + 2 and len(reads) == 2
    assert all("'35.99'" in sql and "35.03" not in sql for sql in reads)
    moved = [(b["code"], b["month"], a["value"] - b["value"]) for b, a in zip(before, after, strict=True)
             if a != b]  # fmt: skip
    assert moved == [("35.99", "2026-10", 7)]
    assert after == _area_rows(territory, "regency", "2026-09", "2026-10")
