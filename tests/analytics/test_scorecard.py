"""The Kapolres' scorecard: every programme with the comparison the data allows, and its outputs."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import translation

from jaga.analytics import scorecard
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.territory.models import Territory

from .conftest import LAST_MONTH, put_metric

pytestmark = pytest.mark.django_db


def regency_unit() -> Unit:
    t = Territory.objects.get(code="35.03")
    return Unit("35.03", t.display_name, ["35.03"], t.level, t)


@pytest.fixture
def everywhere(villages, panel_months, programme_panel):
    """A programme every village took up in the same month (no comparison inside the regency),
    with a year of activities in two villages."""
    programme = Programme.objects.create(code="SSR", name="Sambang Serentak")
    started = panel_months[30]
    ProgrammeAdoption.objects.bulk_create(
        [ProgrammeAdoption(programme=programme, village=v, adopted_on=started) for v in villages]
    )
    for v in villages[:2]:
        put_metric(v, LAST_MONTH, "activities.held", 3, key="SSR")
        put_metric(v, LAST_MONTH, "activities.count", 3, key="SSR")
        put_metric(v, LAST_MONTH, "activities.head_count", 120, key="SSR")
        put_metric(v, LAST_MONTH, "attendance.invited", 40, key="SSR")
        put_metric(v, LAST_MONTH, "attendance.attended", 30, key="SSR")
        put_metric(v, LAST_MONTH, "attendance.late", 6, key="SSR")
        put_metric(v, LAST_MONTH, "attendance.represented", 4, key="SSR")
    cache.clear()
    return programme


def codes(code: str) -> dict[str, str]:
    return Territory.denormalised_codes(code)


def rows_by_code(card):
    return {r["code"]: r for r in card["programmes"]}


def test_staggered_programme_gets_the_difference_in_differences(frozen, everywhere):
    with translation.override("en"):
        rows = rows_by_code(scorecard.build(regency_unit(), LAST_MONTH))
    kts = rows["KTS"]
    assert kts["method"] == "did"
    assert kts["evaluation"]["method"] == "callaway_santanna"
    assert kts["evaluation"]["ci_high"] < 0
    assert kts["villages"] == 60 and kts["adoption_months"] == 3
    assert kts["sentence"].startswith("Villages with the Kampung Tangguh Semeru programme had")
    assert "fewer disturbances" in kts["sentence"]
    assert kts["its"] is None


def test_programme_adopted_everywhere_at_once_gets_the_its_with_the_caveat(frozen, everywhere):
    with translation.override("en"):
        rows = rows_by_code(scorecard.build(regency_unit(), LAST_MONTH))
    ssr = rows["SSR"]
    assert ssr["method"] == "its"
    assert ssr["evaluation"] is None
    assert ssr["villages"] == 157 and ssr["adoption_months"] == 1
    its = ssr["its"]["its"]
    assert its["method"] == "interrupted_time_series"
    assert its["ci_low"] < its["rate_ratio"] < its["ci_high"]
    assert ssr["sentence"].startswith("Sambang Serentak started in all 157 villages at once")
    assert "cannot be separated from the programme" in ssr["sentence"]


def test_its_against_other_regencies_when_their_records_exist(frozen, everywhere, panel_months):
    """The same series of a regency outside the unit is the control: the ratio of rate ratios."""
    from .conftest import put_count

    province = Territory.objects.get(code="35")
    regency = Territory.objects.create(
        code="35.04", name="Tulungagung", level="regency", parent=province, **codes("35.04")
    )
    district = Territory.objects.create(
        code="35.04.01", name="Besuki", level="district", parent=regency, **codes("35.04.01")
    )
    other = Territory.objects.create(
        code="35.04.01.2001", name="Besuki", level="village", parent=district,
        **codes("35.04.01.2001"),
    )  # fmt: skip
    rng = np.random.default_rng(7)
    for m in panel_months:
        put_count(other, m, "pencurian", int(rng.poisson(30)))
    with translation.override("en"):
        ssr = rows_by_code(scorecard.build(regency_unit(), LAST_MONTH))["SSR"]
    control = ssr["its"]["control"]
    assert control is not None and control["regencies"] >= 1
    assert control["relative_rate_ratio"] == pytest.approx(
        ssr["its"]["its"]["rate_ratio"] / control["rate_ratio"]
    )
    assert "other regencies held in Jaga" in ssr["sentence"]
    assert "cannot be separated" in ssr["sentence"]


def test_outputs_are_always_there(frozen, everywhere):
    with translation.override("en"):
        rows = rows_by_code(scorecard.build(regency_unit(), LAST_MONTH))
    out = rows["SSR"]["outputs"]
    assert out["activities"] == 6 and out["people_reached"] == 240
    assert out["invited"] == 80 and out["attended"] == 60
    assert out["attendance_pct"] == pytest.approx(75)
    assert out["late_pct"] == pytest.approx(20)
    assert out["represented_pct"] == pytest.approx(10)
    assert rows["SSR"]["outputs_sentence"] == (
        "In the last 12 months: 6 activities, reaching 240 people. 75% of those invited came; "
        "20% of them late; 10% sent someone in their place."
    )
    assert rows["KTS"]["outputs"] is None
    assert "No activity" in rows["KTS"]["outputs_sentence"]


def test_indonesian_sentences(frozen, everywhere):
    with translation.override("id"):
        rows = rows_by_code(scorecard.build(regency_unit(), LAST_MONTH))
    assert "157 desa" in rows["SSR"]["sentence"]
    assert "tidak dapat dipisahkan" in rows["SSR"]["sentence"]
    assert "6 kegiatan" in rows["SSR"]["outputs_sentence"]


def test_month_before_the_data_and_future_month(frozen, everywhere):
    with pytest.raises(DomainError) as exc:
        scorecard.scorecard(regency_unit(), datetime.date(2010, 1, 1))
    assert exc.value.code == "before_data"
    with pytest.raises(DomainError) as exc:
        scorecard.scorecard(regency_unit(), datetime.date(2030, 1, 1))
    assert exc.value.code == "future_month"


def test_cached_per_unit_and_month(frozen, everywhere, django_assert_max_num_queries):
    first = scorecard.scorecard(regency_unit(), LAST_MONTH)
    with django_assert_max_num_queries(6):  # scope, coverage, three versions, cache
        again = scorecard.scorecard(regency_unit(), LAST_MONTH)
    assert again == first


def test_page(frozen, everywhere, leader_client):
    resp = leader_client.get("/analitik/rapor-program/?territory=35.03&month=2026-10")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Kampung Tangguh Semeru" in body and "Sambang Serentak" in body
    assert "stats-details" in body


def test_page_bad_month_says_so_without_figures(frozen, everywhere, leader_client):
    resp = leader_client.get("/analitik/rapor-program/?territory=35.03&month=2010-01")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'class="notice"' in body and "scorecard-row" not in body


def test_page_out_of_scope_and_unknown_territory(frozen, everywhere, charlie_client, leader_client):
    assert charlie_client.get("/analitik/rapor-program/?territory=35.03").status_code == 404
    assert leader_client.get("/analitik/rapor-program/?territory=99.99").status_code == 404


def test_api_fields(frozen, everywhere, leader_client, charlie_client, client):
    resp = leader_client.get("/api/v1/analytics/scorecard?territory=35.03&month=2026-10")
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["territory"] == "35.03" and data["month"] == "2026-10"
    rows = rows_by_code(data)
    assert set(rows["KTS"]) >= {
        "code", "name", "villages", "method", "sentence", "outputs_sentence", "outputs",
        "evaluation", "its",
    }  # fmt: skip
    assert rows["KTS"]["method"] == "did" and rows["KTS"]["evaluation"]["ci_high"] < 0
    assert rows["SSR"]["method"] == "its" and rows["SSR"]["its"]["its"]["rate_ratio"] > 0
    assert rows["SSR"]["outputs"]["activities"] == 6
    bad = leader_client.get("/api/v1/analytics/scorecard?territory=35.03&month=2010-01")
    assert bad.status_code == 400 and bad.json()["code"] == "before_data"
    assert charlie_client.get("/api/v1/analytics/scorecard?territory=35.03").status_code == 404
    assert client.get("/api/v1/analytics/scorecard?territory=35.03").status_code == 401


def test_anev_section(frozen, everywhere):
    from jaga.reports import anev

    regency = Territory.objects.get(code="35.03")
    section = anev.scorecard(regency, LAST_MONTH)
    assert {r["code"]: r["method"] for r in section["rows"]} == {"KTS": "did", "SSR": "its"}
    assert section["error"] == ""
    early = anev.scorecard(regency, datetime.date(2010, 1, 1))
    assert early["rows"] == [] and early["error"]
