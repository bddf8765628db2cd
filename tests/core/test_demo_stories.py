"""The demo's stories show with the demo's own data and the default calls (issue 11, item 7).

- The surge the incidents demo announces is the alarm `jaga analytics alarms` raises at the last
  complete month: same village, same problem, same first month.
- The planted KTS and FKPM effects come out of the default evaluation (the call the page and
  `jaga analytics evaluate` make) with the right sign, an interval that excludes zero and a
  pre-trend the statement does not call doubtful.
- Survey answers reach the last complete month, so the survey page's default period (the last
  twelve months) shows figures for the demo's leaders.

The demo is built once for the module (it takes minutes), at a fixed date, inside a transaction
rolled back at the end; every module's demo step runs except the public figures' publication
(`reports.demo`, two minutes of trend fits that no story here reads).
"""

from __future__ import annotations

import datetime
import io
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import translation

from jaga.accounts.models import User
from jaga.analytics import evaluation, warning
from jaga.analytics.management.commands.analytics import unit_for
from jaga.analytics.units import last_complete_month
from jaga.core import demo as core_demo
from jaga.core.management.commands.demo import demo_modules
from jaga.incidents import demo as incidents_demo
from jaga.surveys.models import IkmResponse, TrustResponse
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# Mid-month, so the current month is partly recorded as on most days the demo is built.
BUILT_AT = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC)
END = datetime.date(2026, 10, 1)  # the last complete month on that day
LEADERS = ("kapolres", "kasatbinmas", "kapolsek")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    out = io.StringIO()
    with (
        time_machine.travel(BUILT_AT, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        ctx: dict[str, Any] = {"rng": random.Random(2022), "stdout": out, "seed": 2022}
        core_demo.build(ctx)
        for module in demo_modules():
            if module.__name__ != "jaga.reports.demo":
                module.build(ctx)
        ctx["output"] = out.getvalue()
        yield ctx
        transaction.set_rollback(True)


def test_the_demo_is_built_at_the_fixed_date(demo):
    assert last_complete_month() == END


def test_the_announced_surge_is_the_alarm_early_warning_raises(demo):
    surge = demo["incident_surge"]
    village, category, start = surge["village"], surge["category"], surge["start"]
    # The demo says what it planted: the village, the problem and the first month.
    announced = re.search(r"surge of (\w+) in .+? \(([\d.]+)\) from (\d{4}-\d{2})", demo["output"])
    assert announced is not None, demo["output"]
    assert announced.groups() == (category, village.code, start.strftime("%Y-%m"))
    assert start == datetime.date(2026, 9, 1)  # two complete months and the current one

    unit = unit_for("35.03")  # as `jaga analytics alarms --territory 35.03` reads it
    period = warning.alarm_period(unit, last_complete_month())
    found = warning.alarms(unit, last_complete_month(), period=period)
    ours = [
        a for a in found if a["village_code"] == village.code and a["category_code"] == category
    ]
    assert len(ours) == 1, found
    alarm = ours[0]
    assert alarm["month"] == start and alarm["end_month"] == END and alarm["ongoing"]
    assert alarm["observed"] >= 3 * alarm["expected"]
    # Anything else alarmed in that village is its total of all categories, the same surge.
    others = [a for a in found if a["village_code"] == village.code and a is not alarm]
    assert all(a["category_code"] == "" and a["month"] == start for a in others), others


@pytest.mark.parametrize("code", sorted(incidents_demo.EFFECT_PROGRAMMES))
def test_each_planted_programme_effect_shows(demo, code):
    assert incidents_demo.EFFECT_PROGRAMMES[code] < 0  # the demo plants a fall
    with translation.override("en"):
        result = evaluation.evaluate(code, unit_for("35.03"))  # the default call
    # The period is the register's coverage, up to the last complete month.
    assert result["start"] == "2019-01" and result["end"] == END.strftime("%Y-%m")
    assert result["att"] < 0 and result["ci_high"] < 0, result["statement"]["finding"]
    assert result["att_pct"] is not None and result["att_pct"] < -10
    assert not evaluation.pre_trend_rejected(result), result["statement"]["pre_trend"]
    statement = result["statement"]
    assert "lower than the comparison villages suggest" in statement["finding"]
    assert "doubtful" not in statement["pre_trend"]
    assert "moved alike" in statement["pre_trend"]


def test_survey_answers_reach_the_last_complete_month(demo):
    after = END
    before = datetime.date(2026, 11, 1)
    assert TrustResponse.objects.filter(answered_on__gte=after, answered_on__lt=before).count()
    assert IkmResponse.objects.filter(answered_on__gte=after, answered_on__lt=before).count()
    # Nothing is answered after the day the demo is built.
    assert not TrustResponse.objects.filter(answered_on__gt=BUILT_AT.date()).exists()
    assert not IkmResponse.objects.filter(answered_on__gt=BUILT_AT.date()).exists()


@pytest.mark.parametrize("username", LEADERS)
def test_the_default_survey_page_of_each_leader_shows_figures(demo, username):
    client = client_for(User.objects.get(username=username))
    response = client.get("/survei/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    context = response.context
    assert context["end"] == BUILT_AT.date()  # the default period, not one asked for
    assert context["ikm_overall"] is not None and context["ikm_overall"].respondents > 0
    assert context["trust"].respondents > 0
    assert context["trust_series"] and context["trust_chart"] is not None
    assert "No answers in this period." not in response.content.decode()
