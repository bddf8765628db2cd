"""The public portal: no login, "x" for every withheld cell, nothing small shown by any
integer program, open data, and only stored figures."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from jaga.core.months import add_months
from jaga.reports import public, suppression
from jaga.territory.models import Territory
from tests.reports.conftest import MONTH, incident, metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_district(db):
    """Kecamatan Trenggalek in January 2022: one village with a single theft, others larger;
    two reports resolved (late) in one village."""
    villages = list(Territory.objects.filter(district_code="35.03.11", level="village"))
    tamanan = Territory.objects.get(code="35.03.11.1002")
    incident(tamanan, MONTH, "pencurian", 1)
    for v in villages[:6]:
        if v != tamanan:
            incident(v, MONTH, "pencurian", 5)
    metric(tamanan, MONTH, "requests.resolved", 2, "kamtibmas")
    public.publish("35.03", MONTH)
    return tamanan


def test_the_portal_needs_no_login(client: Client, small_district):
    assert client.get(reverse("portal:index")).status_code == 200
    page = client.get(reverse("portal:territory", args=["35.03.11"]), {"bulan": "2022-01"})
    assert page.status_code == 200
    assert "Gangguan kamtibmas" in page.content.decode()


def test_a_village_page_shows_its_district_and_no_count_of_its_own(client: Client, small_district):
    village = client.get(reverse("portal:territory", args=["35.03.11.1002"]), {"bulan": "2022-01"})
    district = client.get(reverse("portal:territory", args=["35.03.11"]), {"bulan": "2022-01"})
    assert village.context["village"] and "terlalu kecil" in village.content.decode()
    assert village.context["tables"][0]["total"]["code"] == "35.03.11"
    assert village.context["tables"][0]["total"] == district.context["tables"][0]["total"]
    assert "<td>Konvensional</td>" in village.content.decode()  # a phone-sized list
    assert ">1<" not in village.content.decode().split("<main>")[1]


def test_the_integer_program_attack_on_totals_finds_nothing(small_district):
    data = public.incidents("35.03", MONTH)
    assert "35.03.11.1002" not in data.nodes  # villages are not published
    constraints = _constraints(data)
    hidden = [k for k, s in data.status.items() if s != suppression.SHOWN]
    small = [k for k in hidden if data._values[k] < 3]
    assert small and len(hidden) > len(small), "more withheld than the small counts"
    published = {
        k: (v if data.status[k] == suppression.SHOWN else None) for k, v in data._values.items()
    }
    for key, (low, high) in suppression.feasible_range(published, constraints, small).items():
        assert low < high and high >= 3, key
    assert suppression.exposed(data._values, data.status, constraints) == []


def _constraints(data):
    out = []
    for code in data.nodes:
        out.append(((code, "total"), [(code, g) for g in data.columns if g != "total"]))
        kids = data.children(code)
        if kids:
            for col in data.columns:
                out.append(((code, col), [(k.code, col) for k in kids]))
    return out


def test_downloads_carry_the_same_protected_values(client: Client, small_district):
    args = {"bulan": "2022-01"}
    text = client.get(reverse("portal:csv", args=["35.03.11"]), args).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert not any(
        r["territory_code"] == "35.03.11.1002" and r["table"] == "incidents" for r in rows
    )
    assert {r["table"] for r in rows} >= {"incidents", "desk"}
    assert all(r["value"] not in {"1", "2", "0"} for r in rows if r["column"] != "received")
    payload = json.loads(client.get(reverse("portal:json", args=["35.03.11"]), args).content)
    assert payload["licence"]["name"].startswith("Creative Commons")
    assert payload["published"] is True
    assert [r for r in payload["rows"] if r["territory_code"] == "35.03.11.1002"] == [
        r
        for r in payload["rows"]
        if r["table"] == "surveys" and r["territory_code"] == "35.03.11.1002"
    ]


def test_the_public_api_is_open_and_protected(client: Client, small_district):
    response = client.get("/api/v1/reports/public/35.03.11", {"month": "2022-01"})
    assert response.status_code == 200
    values = {
        (r["table"], r["column"]): r["value"]
        for r in response.json()["rows"]
        if r["territory_code"] == "35.03.11"
    }
    assert values[("desk", "resolved")] == "x"  # 2 reports resolved
    assert values[("desk", "in_time")] == "x"
    assert client.get("/api/v1/reports/public/99.99").status_code == 404


def test_unknown_or_too_broad_territories_are_404(client: Client, small_district):
    assert client.get(reverse("portal:territory", args=["35"])).status_code == 404
    assert client.get(reverse("portal:territory", args=["35.03.99"])).status_code == 404


def test_the_page_reads_only_the_stored_figures(
    client: Client, small_district, django_assert_num_queries
):
    url = reverse("portal:territory", args=["35.03"])
    # the territory, its ancestors, its districts and the stored figures: nothing computed
    with django_assert_num_queries(4):
        first = client.get(url, {"bulan": "2022-01"})
    assert len(first.content) < 60_000
    with django_assert_num_queries(2):  # territory, stored figures
        client.get("/api/v1/reports/public/35.03", {"month": "2022-01"})
    with django_assert_num_queries(2):
        client.get(reverse("portal:json", args=["35.03.11"]), {"bulan": "2022-01"})


def test_the_data_dictionary_and_licence(client: Client):
    page = client.get(reverse("portal:data"))
    assert page.status_code == 200
    assert "CC BY 4.0" in page.content.decode()


def test_survey_results_need_ten_answers(village_a, db):
    from jaga.surveys import services

    for i in range(9):
        services.submit_trust_response(
            village=village_a,
            answers={
                "safe_home": 4,
                "safe_night": 3,
                "trust_police": 1 + i % 5,
                "would_report": 4,
                "knows_bhabin": True,
                "was_visited": False,
            },
            answered_on=MONTH,
        )
    data = public.surveys("35.03", MONTH, public._nodes("35.03"))
    assert data["cells"]["35.03.11"][0] == "<10"
    assert "trust" not in data["results"]["35.03.11"]
    assert "trust" not in data["results"]["35.03"]


def test_a_whole_regency_of_small_counts_is_protected(db):
    import random

    from jaga.incidents.models import Category

    rng = random.Random(11)
    codes = ["pencurian", "narkoba", "bencana", "perkelahian"]
    assert set(codes) <= set(Category.objects.values_list("code", flat=True))
    for village in Territory.objects.filter(level="village", regency_code="35.03"):
        for code in codes:
            n = min(int(rng.expovariate(0.8)), 9)
            if n:
                incident(village, MONTH, code, n)
    data = public.incidents("35.03", MONTH)
    constraints = _constraints(data)
    primaries = [k for k, s in data.status.items() if s == suppression.PRIMARY]
    assert len(primaries) >= 10
    assert suppression.exposed(data._values, data.status, constraints) == []
    # Most of the figures of 3 and more are still published.
    big = [k for k, v in data._values.items() if v >= 3]
    shown = [k for k in big if data.status[k] == suppression.SHOWN]
    assert len(shown) / len(big) > 0.5


def test_survey_results_are_in_the_open_data_once_there_are_enough(
    client: Client, village_a, village_b, village_c
):
    from jaga.surveys import services

    for i in range(36):
        services.submit_trust_response(
            village=(village_a, village_b, village_c)[i % 3],
            answers={
                "safe_home": 4,
                "safe_night": 3,
                "trust_police": 3 + i % 2,
                "would_report": 4,
                "knows_bhabin": True,
                "was_visited": i % 3 == 0,
            },
            answered_on=MONTH,
        )
    public.publish("35.03", MONTH)
    payload = json.loads(
        client.get(reverse("portal:json", args=["35.03.11"]), {"bulan": "2022-01"}).content
    )
    results = {
        (r["territory_code"], r["column"]): r["value"]
        for r in payload["rows"]
        if r["table"] == "surveys.results"
    }
    # Answers i = 0…35 go to villages a, b, c in turn: in a and b half 3s and half 4s; everyone
    # in a was visited, nobody in b.
    assert results[("35.03.11", "trust.trust_police")] == 3.5
    assert results[("35.03.11", "trust.was_visited")] == 0.5
    assert not any(code == "35.03.11.1002" for code, _ in results)  # never a village
    respondents = {
        r["territory_code"]: r["value"]
        for r in payload["rows"]
        if r["table"] == "surveys" and r["column"] == "trust"
    }
    assert respondents["35.03.11"] == "10–49"  # bands, never a count
    assert respondents["35.03.11.1002"] == "10–49"  # village a: 12 answers


def test_districts_show_the_analytics_trend_in_words_villages_do_not(client: Client, db):
    """Pule's disturbances double over two years: its page says they are rising."""
    villages = list(Territory.objects.filter(district_code="35.03.03", level="village"))[:4]
    for i in range(24):
        month = add_months(MONTH, -23 + i)
        for v in villages:
            incident(v, month, "pencurian", 4 + i // 3)
    public.publish("35.03", MONTH)
    district = client.get(reverse("portal:territory", args=["35.03.03"]), {"bulan": "2022-01"})
    assert district.context["trend"][0].startswith("Gangguan meningkat")
    assert "Tren gangguan" in district.content.decode()
    village = client.get(reverse("portal:territory", args=[villages[0].code]), {"bulan": "2022-01"})
    assert village.context["trend"] == []


def test_the_portal_opens_on_the_last_finished_month_and_links_no_future_month(village_a):
    import datetime

    import time_machine
    from django.test import Client

    from jaga.analytics.rollups import bump_metric

    with time_machine.travel(datetime.datetime(2026, 11, 20, 5, tzinfo=datetime.UTC), tick=False):
        bump_metric(village_a, datetime.date(2026, 11, 3), "requests.received", 5, key="x")
        body = Client().get("/publik/35.03/").content.decode()
    assert "?bulan=2026-09" in body  # the previous month
    assert "?bulan=2026-11" not in body  # the unfinished month is not the default, nor offered
