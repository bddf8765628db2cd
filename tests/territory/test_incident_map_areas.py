"""The incident map above a Polres: a point per district of a province and per regency of the
country, with the counts of the village points summed, at the mean of the villages' centres; a
regency keeps its village points; an area's point opens the register (and its map) there."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from jaga.accounts.models import Role
from jaga.territory.models import Territory
from tests.analytics.conftest import TODAY, put_count
from tests.conftest import _person, client_for

pytestmark = pytest.mark.django_db

INCIDENTS = "/peta/kejadian/"
TANDING = "35.03.11.1003"  # a kelurahan of Kecamatan Trenggalek


@pytest.fixture
def counts(village_a: Territory, village_b: Territory, village_c: Territory) -> None:
    """Incidents in three villages of two districts, some too old for three months, and
    centres for all but one of Kecamatan Trenggalek's villages with incidents."""
    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    Territory.objects.filter(pk=village_b.pk).update(latitude=-8.07, longitude=111.69)
    Territory.objects.filter(pk=village_c.pk).update(latitude=-8.30, longitude=111.60)
    put_count(village_a, datetime.date(2026, 11, 1), "balap_liar", 4)
    put_count(village_a, datetime.date(2026, 10, 1), "pencurian", 2)
    put_count(village_a, datetime.date(2025, 1, 1), "pencurian", 50)  # too old for 3 months
    put_count(village_b, datetime.date(2026, 11, 1), "pencurian", 3)
    put_count(village_c, datetime.date(2026, 11, 1), "balap_liar", 7)
    put_count(Territory.objects.get(code=TANDING), datetime.date(2026, 11, 1), "pencurian", 1)


def layer(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get(INCIDENTS, params)
    assert response.status_code == 200, response.content[:300]
    data: dict[str, Any] = response.json()
    return data


def by_title(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["name"]: f for f in data["features"]}


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("counts")
@pytest.mark.parametrize("months", [3, 36])
def test_area_points_sum_the_village_points(satbinmas: Any, admin_user: Any, months: int) -> None:
    polda = _person("polda", Role.LEADER, "35")
    villages = layer(client_for(satbinmas), bulan=months)  # the regency: a point per village
    assert villages["level"] == "village"
    per_village = {
        f["properties"]["url"].split("=")[1]: f["properties"]["count"] for f in villages["features"]
    }
    # Tanding has no centre: its incident is in the note, not on the map.
    assert TANDING not in per_village and "1" in villages["note"]
    districts = layer(client_for(polda), bulan=months)
    assert districts["level"] == "district"
    summed: dict[str, int] = {}
    for code, n in per_village.items():
        summed[code.rsplit(".", 1)[0]] = summed.get(code.rsplit(".", 1)[0], 0) + n
    summed["35.03.11"] += 1  # Tanding's, counted in its district, which has a centre
    got = {
        f["properties"]["url"].split("=")[1]: f["properties"]["count"]
        for f in districts["features"]
    }
    assert got == summed
    assert districts["note"] == ""
    country = layer(client_for(admin_user), territory="*", bulan=months)
    assert country["level"] == "regency"
    (regency,) = country["features"]
    assert regency["properties"]["count"] == sum(per_village.values()) + 1
    assert regency["properties"]["url"] == "/kejadian/?q=35.03"


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("counts")
def test_an_area_point_lies_at_the_mean_of_its_village_centres(admin_user: Any) -> None:
    data = layer(client_for(admin_user), territory="35")
    points = {f["properties"]["url"].split("=")[1]: f for f in data["features"]}
    lon, lat = points["35.03.11"]["geometry"]["coordinates"]
    assert (round(lat, 4), round(lon, 4)) == (-8.06, 111.70)  # Tamanan and the desa beside it
    assert points["35.03.11"]["properties"]["name"] == "Kecamatan Trenggalek"
    assert points["35.03.11"]["properties"]["count"] == 6 + 3 + 1
    assert points["35.03.02"]["properties"]["count"] == 7


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("counts")
def test_a_province_map_is_scoped_and_pins_its_queries(
    charlie: Any, django_assert_num_queries: Any
) -> None:
    polda = _person("polda", Role.LEADER, "35")
    client = client_for(polda)
    layer(client)  # warm
    # session, user, second factor, postings, the province; the districts' rows, their
    # names, their centres, the categories
    with django_assert_num_queries(9):
        layer(client)
    assert client_for(charlie).get(INCIDENTS, {"territory": "35"}).status_code == 404


@time_machine.travel(TODAY, tick=False)
@pytest.mark.usefixtures("counts")
def test_the_register_opens_an_area_on_the_map(admin_user: Any, charlie: Any) -> None:
    client = client_for(admin_user)
    body = client.get("/kejadian/", {"q": "35.03.11"}).content.decode()
    assert "/peta/kejadian/?bulan=3&amp;territory=35.03.11" in body
    assert "Kecamatan Trenggalek" in body
    plain = client.get("/kejadian/").content.decode()
    assert "/peta/kejadian/?bulan=3&quot;" in plain or '/peta/kejadian/?bulan=3"' in plain
    # A code outside the scope, or a name, leaves the map on the whole area.
    other = client_for(charlie).get("/kejadian/", {"q": "35.03.11"}).content.decode()
    assert "territory=35.03.11" not in other
    named = client.get("/kejadian/", {"q": "Tamanan"}).content.decode()
    assert "territory=" not in named
