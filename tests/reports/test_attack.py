"""The attacker suite: every public figure fetched over HTTP, one integer program over all of
them together (tables, margins, totals, Open311), and no withheld small count may come out
known to be small, let alone exact."""

from __future__ import annotations

import datetime
import os
import random
import time

import pytest
from django.test import Client

from jaga.core.months import add_months
from jaga.programs.models import Programme
from jaga.reports import public
from jaga.reports.models import PublicFigures
from jaga.territory.models import Territory
from tests.reports.attacker import Attack, truth
from tests.reports.conftest import MONTH, incident, metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(db):
    """Two months of small counts all over Kecamatan Trenggalek and Munjungan: incidents by
    group, programme activities and head counts, desk reports resolved in time and late."""
    rng = random.Random(5)
    villages = list(
        Territory.objects.filter(level="village", district_code__in=["35.03.11", "35.03.02"])
    )
    programmes = list(Programme.objects.values_list("code", flat=True)[:3])
    if not programmes:
        for code in ("PKA", "PKB", "PKC"):
            Programme.objects.create(code=code, name=f"Programme {code}")
        programmes = ["PKA", "PKB", "PKC"]
    months = [MONTH, add_months(MONTH, 1)]
    for month in months:
        for v in villages:
            for code in ("pencurian", "narkoba", "bencana"):
                n = min(int(rng.expovariate(0.6)), 8)
                if n:
                    incident(v, month, code, n)
            for p in programmes:
                n = min(int(rng.expovariate(0.7)), 6)
                if n:
                    metric(v, month, "activities.held", n, p)
                    metric(v, month, "activities.head_count", n * rng.randint(1, 9), p)
            done = min(int(rng.expovariate(0.7)), 5)
            if done:
                metric(v, month, "requests.resolved", done, "kamtibmas")
                metric(v, month, "requests.resolved_in_time", rng.randint(0, done), "kamtibmas")
        public.publish("35.03", month)
    return months


def test_no_small_count_survives_the_integer_program_on_planted_data(planted):
    attack = Attack(Client(), "35.03")
    for month in planted:
        attack.month(month)
    found = attack.exposed(truth("35.03", planted))
    assert found["small_withheld"] > 50  # the attack had something to attack
    assert found["leaks"] == [], found["leaks"][:5]


def test_the_attack_finds_the_leak_of_a_naive_suppression(planted, monkeypatch):
    """The suite can fail: with only the small counts withheld it recovers them."""
    from jaga.reports import suppression

    def naive(values, constraints, threshold=3, weights=None, budget=0):
        return {
            k: (suppression.PRIMARY if v < threshold else suppression.SHOWN)
            for k, v in values.items()
        }

    monkeypatch.setattr(suppression, "protect", naive)
    public.publish("35.03", MONTH)
    attack = Attack(Client(), "35.03")
    attack.month(MONTH)
    assert attack.exposed(truth("35.03", [MONTH]))["leaks"]


def _demo_months() -> list[datetime.date]:
    months = sorted(
        PublicFigures.objects.filter(regency_code="35.03").values_list("month", flat=True)
    )
    if os.environ.get("JAGA_HEAVY_SHORT"):
        rng = random.Random(10)
        return sorted(rng.sample(months, min(3, len(months))))
    return months


@pytest.mark.heavy
def test_no_small_count_survives_the_attack_on_every_demo_month(django_db_blocker, capsys):
    from django.core.management import call_command

    call_command("demo", "--seed", "2022", "--quiet-logins")
    months = _demo_months()
    assert months, "the demo build publishes its closed months"
    client = Client()
    started = time.monotonic()
    first = client.get("/publik/35.03/")
    first_load = time.monotonic() - started
    assert first.status_code == 200 and first.context["published"]
    assert first_load < 2.0
    started = time.monotonic()
    assert client.get("/api/v1/reports/public/35.03").status_code == 200
    assert time.monotonic() - started < 2.0
    attack = Attack(client, "35.03")
    for month in months:
        attack.month(month)
    found = attack.exposed(truth("35.03", months))
    with capsys.disabled():
        print(f"\nattack on {len(months)} demo months: {found} (first page {first_load:.2f} s)")
    assert found["small_withheld"] > 0
    assert found["leaks"] == [], found["leaks"][:5]
