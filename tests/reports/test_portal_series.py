"""The portal's twelve months: village quarters protected with the monthly tables, the trend in
plain words (and honestly when nothing can be said), the chart, the month being prepared by a
task, and pages that read only stored figures."""

from __future__ import annotations

import datetime
import io
import random
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from jaga.core.months import add_months
from jaga.reports import periods, portal_series, public, suppression
from jaga.reports.models import PublicFigures
from jaga.reports.portal_series import Point
from jaga.territory.models import Territory
from tests.reports.attacker import Attack, quarter_truth, truth
from tests.reports.conftest import MONTH, incident

pytestmark = pytest.mark.django_db

QUARTER = [MONTH, add_months(MONTH, 1), add_months(MONTH, 2)]  # January–March 2022
MARCH = QUARTER[-1]
APRIL = datetime.date(2022, 4, 1)
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _plant(rng: random.Random) -> None:
    villages = list(
        Territory.objects.filter(level="village", district_code__in=["35.03.11", "35.03.02"])
    )
    for month in QUARTER:
        for v in villages:
            if v.district_code == "35.03.02" and month == QUARTER[1]:
                continue  # Munjungan's February: one theft in the whole district (below)
            for code in ("pencurian", "narkoba", "bencana"):
                n = min(int(rng.expovariate(1.1)), 6)
                if n:
                    incident(v, month, code, n)
    munjungan = next(v for v in villages if v.district_code == "35.03.02")
    incident(munjungan, QUARTER[1], "pencurian", 1)
    # January and March: every district has enough of every group to be published
    for district in Territory.objects.filter(level="district", regency_code="35.03"):
        first = Territory.objects.filter(parent=district).order_by("code").first()
        for month in (QUARTER[0], QUARTER[2]):
            for code in ("pencurian", "narkoba", "ilegal_logging", "bencana"):
                incident(first, month, code, 5)


@pytest.fixture
def quarter(db):
    """January–March 2022: small counts all over Kecamatan Trenggalek and Munjungan, enough in
    every district in January and March, a single theft in Munjungan in February; published
    month by month."""
    _plant(random.Random(12))
    for month in QUARTER:
        public.publish("35.03", month)
    return QUARTER


def _stored(month: datetime.date) -> dict:
    return PublicFigures.objects.get(regency_code="35.03", month=month).payload


# ---- the quarter table -----------------------------------------------------------------------


def test_a_quarter_is_published_with_its_last_month_for_villages_too(quarter):
    assert _stored(QUARTER[0])["quarter"] is None and _stored(QUARTER[1])["quarter"] is None
    table = _stored(MARCH)["quarter"]
    assert table["label"] == "2022-Q1" and (table["start"], table["end"]) == ("2022-01", "2022-03")
    real = quarter_truth("35.03", MARCH)
    villages = [c for c in table["cells"] if c.count(".") == 3]
    shown = [c for c in villages if table["cells"][c] != "x"]
    assert shown, "some villages have enough over a quarter to publish"
    for code, value in table["cells"].items():
        assert value == "x" or (value == real[code] and value >= 3), (code, value)
    assert all(table["cells"][c] == "x" for c in villages if real[c] < 3)


def test_no_small_count_survives_the_attack_with_the_quarter_and_the_series(quarter):
    attack = Attack(Client(), "35.03")
    for month in quarter:
        attack.month(month)
    found = attack.exposed(truth("35.03", quarter))
    assert found["small_withheld"] > 20
    assert found["leaks"] == [], found["leaks"][:5]
    assert attack.check_series() > 20  # the pages' series, charts and tables: published cells only
    assert any(k[1] == "incidents.quarter" for k in attack.cells)


def test_the_attack_catches_a_quarter_protected_on_its_own(quarter, monkeypatch):
    """The suite can fail: a quarter protected without the monthly tables it overlaps gives
    Munjungan's February (one theft) back as the quarter minus January and March."""
    real = suppression.protect

    def alone(values, constraints, threshold=3, weights=None, budget=60, withheld=(), keep=()):
        if not any(k[0] == "q" for k in values):
            return real(values, constraints, threshold, weights, budget)
        q_values = {k: v for k, v in values.items() if k[0] == "q"}
        q_rows = [(t, p) for t, p in constraints if t[0] == "q" and all(x[0] == "q" for x in p)]
        status = real(q_values, q_rows, threshold, weights)
        status.update(dict.fromkeys(keep, suppression.SHOWN))
        status.update(dict.fromkeys(withheld, suppression.PRIMARY))
        return status

    monkeypatch.setattr(suppression, "protect", alone)
    public.publish("35.03", MARCH)
    attack = Attack(Client(), "35.03")
    for month in quarter:
        attack.month(month)
    leaks = attack.exposed(truth("35.03", quarter))["leaks"]
    assert ("2022-02", "incidents", "35.03.02", "total") in [leak[0] for leak in leaks]


def test_a_month_published_again_protects_its_quarter_again(quarter):
    """Late records for February: publishing February again protects the stored quarter again,
    with February's new figures (never left protected against the old ones)."""
    before = _stored(MARCH)["quarter"]
    village = Territory.objects.get(code="35.03.11.1002")
    incident(village, QUARTER[1], "narkoba", 4)
    public.publish("35.03", QUARTER[1])
    after = _stored(MARCH)["quarter"]
    real = quarter_truth("35.03", MARCH)
    assert after is not None and after["cells"] != before["cells"]
    for code, value in after["cells"].items():
        assert value == "x" or value == real[code], code


# ---- the trend in words ----------------------------------------------------------------------


def _months(values: list[int | None]) -> list[Point]:
    out = []
    for i, v in enumerate(values):
        m = add_months(datetime.date(2021, 4, 1), i)
        out.append(Point(m.strftime("%b"), m.strftime("%B %Y"), v, f"{m:%Y-%m}"))
    return out


def _quarters(values: list[int | None]) -> list[Point]:
    names = [
        "April–June 2021",
        "July–September 2021",
        "October–December 2021",
        "January–March 2022",
    ]
    return [Point(n[:3], n, v, "") for n, v in zip(names, values, strict=True)]


@pytest.fixture
def places(db):
    village = Territory.objects.get(code="35.03.11.1002")
    return village, village.parent, village.parent.parent


def test_the_trend_in_words_says_falling_rising_or_about_the_same(places):
    _village, district, regency = places
    with translation.override("id"):
        falling = portal_series.trend_words(district, _months([20] * 6 + [8] * 6), regency)
        rising = portal_series.trend_words(district, _months([5] * 6 + [12] * 6), regency)
        steady = portal_series.trend_words(district, _months([10] * 6 + [11] * 6), regency)
    assert falling["state"] == "falling"
    assert falling["text"].startswith("Dalam 12 bulan terakhir")
    assert "Kecamatan Trenggalek cenderung turun" in falling["text"]
    assert "120" in falling["text"] and "48" in falling["text"]
    assert rising["state"] == "rising" and "cenderung naik" in rising["text"]
    assert steady["state"] == "steady" and "kurang lebih sama" in steady["text"]


def test_the_trend_in_words_is_honest_when_counts_are_too_small(places):
    village, district, _regency = places
    with translation.override("id"):
        few = portal_series.trend_words(village, _quarters([3, 3, 0, 3]), district)
        nothing = portal_series.trend_words(village, _quarters([None] * 4), district)
        some = portal_series.trend_words(village, _quarters([None, 4, None, 3]), district)
    assert few["state"] == "too_few" and "terlalu sedikit" in few["text"]
    assert "Kecamatan Trenggalek" in few["text"]  # where to look instead
    assert nothing["state"] == "withheld" and "terlalu kecil" in nothing["text"]
    assert "Kecamatan Trenggalek" in nothing["text"]
    assert some["state"] == "withheld"
    # no number of a withheld quarter can appear: the sentence has no figure at all
    assert not re.search(r"\d", some["text"].replace("12 bulan", "").replace(" 3 ", ""))


def test_one_or_two_withheld_months_are_left_out_and_said_to_be(places):
    _village, district, regency = places
    with translation.override("id"):
        gap = portal_series.trend_words(district, _months([None] + [20] * 5 + [8] * 6), regency)
        many = portal_series.trend_words(
            district, _months([None] * 3 + [20] * 3 + [8] * 6), regency
        )
    assert (
        gap["state"] == "falling" and "sekitar 20" in gap["text"] and "disembunyikan" in gap["text"]
    )
    assert many["state"] == "withheld"


# ---- the pages ---------------------------------------------------------------------------------


def test_the_pages_show_the_chart_the_trend_and_only_stored_figures(client: Client, quarter):
    for i, village in enumerate(Territory.objects.filter(parent__code="35.03.11")):
        Territory.objects.filter(pk=village.pk).update(latitude=-8.05 + i / 100, longitude=111.7)
    urls = ["/publik/35.03/", "/publik/35.03.11/", "/publik/35.03.11.1002/"]
    first = {u: client.get(u, {"bulan": "2022-03"}) for u in urls}
    for page in first.values():
        html = page.content.decode()
        assert page.status_code == 200
        assert '<svg class="chart portal-chart"' in html and 'role="img"' in html
        assert page.context["series"]["trend"]["text"] in html
    village = first["/publik/35.03.11.1002/"].context["series"]
    assert [p.month for p in village["points"]][-1] == "2022-03"
    assert village["context"]["points"][-1].month == "2022-03"  # the district's months beside it
    district = first["/publik/35.03.11/"].context["series"]
    assert len(district["points"]) == 12 and district["quarter_rows"]
    # the map: every village of the district at its centre, sized by its published quarter
    # figure only; a withheld village has no size and the same look as every withheld one
    cells = _stored(MARCH)["quarter"]["cells"]
    features = district["map"]["collection"]["features"]
    assert len(features) == Territory.objects.filter(parent__code="35.03.11").count()
    assert 'id="portal-map-data"' in first["/publik/35.03.11/"].content.decode()
    for feature in features:
        code = feature["properties"]["url"].split("/")[2]
        props = feature["properties"]
        if cells[code] == "x":
            assert "count" not in props and props["kind"] == "quiet"
        else:
            assert props["count"] == cells[code] and props["kind"] == "incident"
    # records arriving after publishing change nothing on the pages until the month is
    # published again: nothing is computed on a request
    tamanan = Territory.objects.get(code="35.03.11.1002")
    for month in quarter:
        incident(tamanan, month, "pencurian", 7)
    for url, page in first.items():
        again = client.get(url, {"bulan": "2022-03"})
        assert again.context["series"]["trend"] == page.context["series"]["trend"]
        assert [p.value for p in again.context["series"]["points"]] == [
            p.value for p in page.context["series"]["points"]
        ]


def test_the_chart_marks_a_withheld_value_and_draws_no_bar_for_it():
    svg = portal_series.chart(_quarters([None, 4, 12, None]), "Gangguan per triwulan")
    assert svg.count("<rect") == 2
    assert "April–June 2021: 4<" not in svg and "July–September 2021: 4<" in svg
    assert svg.count(">x<") == 2
    assert 'viewBox="0 0 360 200"' in svg and 'font-size="13"' in svg


@pytest.mark.parametrize(
    ("url", "most"),
    [("/publik/35.03/", 6), ("/publik/35.03.11/", 6), ("/publik/35.03.11.1002/", 7)],
)
def test_portal_pages_need_few_queries(
    client: Client, quarter, url, most, django_assert_max_num_queries
):
    april = datetime.datetime(2022, 4, 10, tzinfo=datetime.UTC)
    with time_machine.travel(april, tick=False), django_assert_max_num_queries(most):
        page = client.get(url)
    assert page.status_code == 200 and page.context["month"] == MARCH


# ---- precomputed when the month closes -------------------------------------------------------


def test_a_newly_closed_month_is_queued_once_and_the_page_says_it_is_being_prepared(
    client: Client, quarter, settings
):
    from django_tasks import default_task_backend

    settings.TASKS = DUMMY
    with time_machine.travel(datetime.datetime(2022, 5, 2, 8, 0, tzinfo=datetime.UTC), tick=False):
        # April has closed; its figures are in the roll-ups, not published yet
        incident(Territory.objects.get(code="35.03.11.1002"), APRIL, "narkoba", 3)
        page = client.get("/publik/35.03.11/")
        assert page.context["month"] == MARCH and page.context["published"]
        assert "sedang disiapkan" in page.context["preparing"]
        assert "April 2022" in page.content.decode()
        assert not PublicFigures.objects.filter(month=datetime.date(2022, 4, 1)).exists()
        client.get("/publik/35.03/")
        client.get("/publik/35.03.11.1002/")
    queued = [r for r in default_task_backend.results if r.task.name == "publish_month"]
    assert [r.args for r in queued] == [["35.03", "2022-04"]]  # once, not per visit


def test_the_task_stores_the_month_and_the_note_goes(client: Client, quarter):
    from jaga.reports.tasks import publish_month

    with time_machine.travel(datetime.datetime(2022, 5, 2, 8, 0, tzinfo=datetime.UTC), tick=False):
        incident(
            Territory.objects.get(code="35.03.11.1002"), datetime.date(2022, 4, 1), "narkoba", 3
        )
        publish_month.enqueue("35.03", "2022-04")  # the immediate backend in tests
        page = client.get("/publik/35.03.11/")
    assert page.context["month"] == datetime.date(2022, 4, 1) and not page.context["preparing"]


def test_the_publish_command_can_queue_the_tasks(quarter, settings):
    from django_tasks import default_task_backend

    settings.TASKS = DUMMY
    out = io.StringIO()
    call_command("report", "publish", "--month", "2022-02", "--queue", stdout=out)
    assert "35.03 2022-02: queued" in out.getvalue()
    assert [r.args for r in default_task_backend.results] == [["35.03", "2022-02"]]


def test_quarter_helpers():
    assert periods.quarter_start(datetime.date(2022, 5, 1)) == datetime.date(2022, 4, 1)
    assert periods.is_quarter_end(datetime.date(2022, 6, 1))
    assert not periods.is_quarter_end(datetime.date(2022, 5, 1))
    assert periods.quarter_label(datetime.date(2022, 12, 1)) == "2022-Q4"
