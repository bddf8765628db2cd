"""Programme evaluation from the roll-ups, the API and the command, on a planted effect."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jaga.analytics import evaluation
from jaga.analytics.rollups import bump_incidents
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.incidents.models import Category
from jaga.programs.models import ProgrammeAdoption
from jaga.territory.models import Territory

pytestmark = pytest.mark.django_db

KEYS = {"method", "att", "att_pct", "ci_low", "ci_high", "n_treated", "n_control", "pre_trend_p",
        "pre_trend_rejected",
        "event_study"}  # fmt: skip


def regency_unit() -> Unit:
    t = Territory.objects.get(code="35.03")
    return Unit("35.03", t.display_name, ["35.03"], t.level, t)


def test_the_interval_covers_the_planted_effect(frozen, programme_panel):
    r = evaluation.evaluate("KTS", regency_unit())
    assert r["method"] == "callaway_santanna"
    assert r["ci_low"] < -1.5 < r["ci_high"] and r["ci_high"] < 0
    assert r["n_treated"] == 60 and r["n_control"] == 157 - 20
    assert r["pre_trend_p"] > 0.01
    assert r["pre_trend_rejected"] is evaluation.pre_trend_rejected(r) is False
    assert r["its"]["rate_ratio"] < 1
    assert {p["e"] for p in r["event_study"]} >= set(range(-12, 13))
    assert "lower" in r["statement"]["finding"] or "lebih rendah" in r["statement"]["finding"]


def test_a_category_without_the_effect_shows_none(frozen, programme_panel):
    with pytest.raises(DomainError) as exc:
        evaluation.evaluate("KTS", regency_unit(), category_code="nonexistent")
    assert exc.value.code == "unknown_category"
    with pytest.raises(DomainError):
        evaluation.evaluate("NOPE", regency_unit())


def test_api_returns_the_fields(frozen, programme_panel, leader_client):
    resp = leader_client.get(
        "/api/v1/analytics/evaluation?programme=KTS&territory=35.03&category=konvensional"
    )
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert set(data) >= KEYS
    assert data["ci_low"] < -1.5 < data["ci_high"]


def test_api_out_of_scope_and_anonymous(frozen, programme_panel, charlie_client, client):
    assert (
        charlie_client.get("/api/v1/analytics/evaluation?programme=KTS&territory=35.03").status_code
        == 404
    )
    assert (
        client.get("/api/v1/analytics/evaluation?programme=KTS&territory=35.03").status_code == 401
    )


def test_command_json(frozen, programme_panel):
    out = io.StringIO()
    call_command(
        "analytics", "evaluate", "--programme", "KTS", "--territory", "35.03", "--json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert set(data) >= KEYS
    assert data["n_treated"] == 60
    with pytest.raises(CommandError):
        call_command("analytics", "evaluate", "--programme", "NOPE", stdout=io.StringIO())


def test_command_text_is_in_one_language(frozen, programme_panel):
    out = io.StringIO()
    call_command("analytics", "evaluate", "--programme", "KTS", "--territory", "35.03", stdout=out)
    text = out.getvalue()
    assert "60 desa pelaksana" in text and "desa pembanding" in text
    assert "p tren sebelum program = " in text
    for word in ("adopting", "comparison", "counterfactual", "pre-trend", "per village"):
        assert word not in text, word


def test_page_shows_the_estimate(frozen, programme_panel, leader_client):
    resp = leader_client.get("/analitik/evaluasi/?territory=35.03&programme=KTS")
    assert resp.status_code == 200
    assert b"<svg" in resp.content
    assert "Callaway" in resp.content.decode()


def test_months_before_the_records_begin_are_left_out(frozen, programme_panel, panel_months):
    from jaga.analytics.models import MonthlyIncidentCount
    from jaga.analytics.rebuild import rebuild_areas

    MonthlyIncidentCount.objects.filter(month__lt=panel_months[6]).delete()
    rebuild_areas()  # the area roll-ups follow the village ones, as in every write
    r = evaluation.evaluate("KTS", regency_unit())
    assert r["start"] == panel_months[6].isoformat()[:7]
    assert r["ci_low"] < -1.5 < r["ci_high"]
    assert r["its"]["ci_high"] < 1.1


def test_the_statement_warns_when_adoption_cohorts_are_tiny():
    from django.utils import translation

    from jaga.analytics.evaluation import statement

    did = {"att": -0.3, "ci_low": -0.5, "ci_high": -0.1, "pre_trend_p": 0.5}
    with translation.override("en"):
        assert "Caution" not in statement({**did, "min_cohort_size": 8}, None)["finding"]
        warned = statement({**did, "min_cohort_size": 1}, None)["finding"]
    assert "the smallest group has 1" in warned
    with translation.override("id"):
        assert (
            "kelompok terkecil 1 desa" in statement({**did, "min_cohort_size": 1}, None)["finding"]
        )


def test_an_evaluation_read_again_comes_from_the_cache_until_the_data_moves(
    frozen, programme_panel, monkeypatch, django_assert_max_num_queries
):
    """The page and the API read `evaluate_cached`: a second read of the same question is the
    cache's (a country's evaluation takes seconds to compute), new incidents or a new adoption
    in the unit compute it again, and so does another language or category."""
    computed = []
    real = evaluation.evaluate

    def counted(*args, **kwargs):
        computed.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate", counted)
    unit = regency_unit()
    first = evaluation.evaluate_cached("KTS", unit)
    with django_assert_max_num_queries(5):  # programme, incidents, adoptions, cache
        assert evaluation.evaluate_cached("KTS", unit) == first
    assert len(computed) == 1
    with translation.override("en"):
        evaluation.evaluate_cached("KTS", unit)
    evaluation.evaluate_cached("KTS", unit, "konvensional")
    assert len(computed) == 3
    adopted = set(ProgrammeAdoption.objects.values_list("village_id", flat=True))
    village = Territory.objects.filter(regency_code="35.03", level="village").exclude(
        pk__in=adopted
    )[0]
    ProgrammeAdoption.objects.create(
        programme=programme_panel["programme"], village=village, adopted_on=first_month(first)
    )
    evaluation.evaluate_cached("KTS", unit)
    assert len(computed) == 4
    category = Category.objects.get(code="pencurian")
    bump_incidents(village, first_month(first), category.pk, 3)
    evaluation.evaluate_cached("KTS", unit)
    assert len(computed) == 5
    evaluation.evaluate_cached("KTS", unit)
    assert len(computed) == 5


def first_month(result: dict) -> datetime.date:
    """A month some 13 months into the evaluated period."""
    year, month = (int(part) for part in result["start"].split("-"))
    return datetime.date(year, month, 1) + datetime.timedelta(days=400)
