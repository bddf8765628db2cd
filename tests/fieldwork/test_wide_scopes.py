"""Field work for leaders above a Polres: figures per district, regency or province (the same
numbers as the village list, summed), the village list paged, and a Polres list unchanged."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from jaga.accounts.models import Role
from jaga.fieldwork import queries
from jaga.territory.models import Territory
from tests.conftest import _person, client_for

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC)
VILLAGES = "/api/v1/fieldwork/visits/villages"
AREAS = "/api/v1/fieldwork/visits/areas"


@pytest.fixture
def polda(db: Any) -> Any:
    return _person("polda", Role.LEADER, "35")


@pytest.fixture
def visits(make_visit: Any, bob: Any, village_a: Territory, village_b: Territory) -> None:
    """Visits in three villages of two districts: recent, past the gap, and one old and one
    recent in the same village."""
    munjungan = Territory.objects.get(code="35.03.02.2008")
    make_visit(visited_on=datetime.date(2024, 4, 10))
    make_visit(visited_on=datetime.date(2023, 12, 1))
    make_visit(village=village_b, visited_on=datetime.date(2024, 3, 1), actor=bob)
    satbinmas = _person("satbinmas2", Role.SATBINMAS, "35.03")
    make_visit(village=munjungan, visited_on=datetime.date(2024, 4, 19), actor=satbinmas)


def summed(rows: list[queries.VillageVisits], level: str) -> dict[str, tuple[Any, ...]]:
    """The village list summed per area by hand: the reference for `area_visit_status`."""
    cut = {"district": 3, "regency": 2, "province": 1}[level]
    out: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0, None])
    for r in rows:
        total = out[".".join(r.village.code.split(".")[:cut])]
        total[0] += 1
        total[1] += r.overdue
        total[2] += r.visits
        if r.last_visit and (total[3] is None or r.last_visit > total[3]):
            total[3] = r.last_visit
    return {code: tuple(t) for code, t in out.items()}


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("visits")
@pytest.mark.parametrize("level", ["district", "regency", "province"])
def test_area_figures_equal_the_village_list_summed(polda: Any, level: str) -> None:
    villages = queries.village_visit_status(polda)
    assert len(villages) > 100 and sum(r.visits for r in villages) == 4
    areas = queries.area_visit_status(polda, level)
    assert {a.area.code: (a.villages, a.overdue, a.visits, a.last_visit) for a in areas} == summed(
        villages, level
    )
    assert all(a.area.level == level for a in areas)
    # B (50 days ago) is past the default gap of 30 days: A and Munjungan count as visited.
    assert sum(a.visited for a in areas) == 2


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("visits")
def test_areas_are_scoped_and_default_to_one_level_below_the_scope(
    polda: Any, bob: Any, admin_user: Any
) -> None:
    data = client_for(polda).get(AREAS).json()
    assert [a["area_code"] for a in data] == ["35.03"] and data[0]["level"] == "regency"
    assert data[0]["visits"] == 4 and data[0]["visited"] == 2
    assert data[0]["villages"] == data[0]["visited"] + data[0]["overdue"]
    (mine,) = client_for(bob).get(AREAS).json()  # a Polsek: its district
    assert mine["area_code"] == "35.03.11" and mine["visits"] == 3 and mine["visited"] == 1
    assert [a["area_code"] for a in client_for(admin_user).get(AREAS).json()] == ["35"]
    districts = client_for(polda).get(AREAS, {"level": "district", "area": "35.03.02"}).json()
    assert [(a["area_code"], a["visited"]) for a in districts] == [("35.03.02", 1)]
    assert client_for(polda).get(AREAS, {"level": "village"}).status_code == 422


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("visits")
def test_the_village_list_is_paged_for_a_province(polda: Any, satbinmas: Any) -> None:
    client = client_for(polda)
    everything = queries.village_visit_status(polda)
    first = client.get(VILLAGES, {"limit": 100})
    second = client.get(VILLAGES, {"limit": 100, "offset": 100})
    assert first["X-Total-Count"] == second["X-Total-Count"] == str(len(everything))
    codes = [v["village_code"] for v in first.json() + second.json()]
    assert codes == [r.village.code for r in everything[:200]]
    last_page = client.get(VILLAGES, {"limit": 100, "offset": len(everything) - 1}).json()
    assert [v["village_code"] for v in last_page] == [everything[-1].village.code]
    # A page's flags are the full list's: the visit counts of its villages, not of others.
    by_code = {r.village.code: r for r in everything}
    inside = client.get(VILLAGES, {"area": "35.03.11", "limit": 5}).json()
    assert all(v["overdue"] == by_code[v["village_code"]].overdue for v in inside)
    assert client.get(VILLAGES, {"limit": 1001}).status_code == 422
    # A Polres gets all of its villages on the first page, as before.
    whole = client_for(satbinmas).get(VILLAGES)
    assert len(whole.json()) == int(whole["X-Total-Count"]) == len(everything)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("visits")
def test_area_and_village_reads_take_a_fixed_number_of_queries(
    polda: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(polda)
    client.get(AREAS)  # warm
    # session, user, second factor, postings; villages per area, the norm, visits per area,
    # the areas' names
    with django_assert_num_queries(8):
        assert client.get(AREAS).status_code == 200
    client.get(VILLAGES, {"limit": 10})
    # session, user, second factor, postings; the page of villages, their visits, the norm,
    # the total
    with django_assert_num_queries(8):
        assert client.get(VILLAGES, {"limit": 10}).status_code == 200


def test_the_schema_documents_paging_and_levels(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    villages = schema["paths"][VILLAGES]["get"]
    names = {p["name"] for p in villages["parameters"]}
    assert {"limit", "offset", "area"} <= names
    assert "X-Total-Count" in villages["responses"]["200"]["headers"]
    areas = schema["paths"][AREAS]["get"]
    assert any(p["name"] == "level" for p in areas["parameters"])


def _area_rows(body: str) -> dict[str, list[str]]:
    """The overview's area table: area code -> the numbers of its row."""
    import re

    table = body.split("<tbody>")[-1].split("</tbody>")[0]
    rows = {}
    for row in table.split("<tr>")[1:]:
        code = re.search(r'wilayah=([\d.]+)"', row)
        assert code, row
        cells = re.findall(r'<td class="num">(?:<span class="badge bad">)?(\d+)', row)
        rows[code.group(1)] = cells
    return rows


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("visits")
def test_the_overview_of_a_province_lists_its_regencies_down_to_villages(
    polda: Any, admin_user: Any, satbinmas: Any, charlie: Any, django_assert_num_queries: Any
) -> None:
    url = reverse("fieldwork:index")
    villages = queries.village_visit_status(polda)
    expected = [
        str(len(villages)),
        str(sum(not r.overdue for r in villages)),
        str(sum(r.overdue for r in villages)),
        "4",
    ]
    client = client_for(polda)
    client.get(url)  # warm
    # session, user, second factor, postings; villages per area, the norm, visits per area,
    # the areas' names; officers, the norm, detections, cases, operations (a Polres's page
    # takes 11 in tests/core/test_query_counts.py: its villages and their visits)
    with django_assert_num_queries(13):
        body = client.get(url).content.decode()
    assert _area_rows(body) == {"35.03": expected}
    assert "Sambang per wilayah: Kabupaten / kota" in body  # Indonesian by default
    assert _area_rows(client_for(admin_user).get(url).content.decode()) == {"35": expected}
    regencies = client_for(admin_user).get(url, {"wilayah": "35"}).content.decode()
    assert _area_rows(regencies) == {"35.03": expected}
    # A regency chosen: its villages, as its Polres sees them.
    opened = client.get(url, {"wilayah": "35.03"}).content.decode()
    own = client_for(satbinmas).get(url).content.decode()
    assert opened.count("/lapangan/desa/") == own.count("/lapangan/desa/") == len(villages)
    assert "?wilayah=" not in own  # a Polres's page lists villages, no areas
    assert client_for(charlie).get(url, {"wilayah": "35.03.11"}).status_code == 404
