"""Fixtures of the analytics tests: roll-up rows written directly (the rollups are the input)."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import time_machine

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.rebuild import rebuild_areas
from jaga.analytics.rollups import bump_incidents
from jaga.core.months import add_months
from jaga.incidents.models import Category
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.territory.models import Level, Territory

TODAY = datetime.datetime(2026, 11, 15, 10, 0, tzinfo=datetime.UTC)
LAST_MONTH = datetime.date(2026, 10, 1)


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def put_count(village: Territory, month: datetime.date, code: str, n: int) -> None:
    bump_incidents(village, month, Category.objects.get(code=code).pk, n)


def put_metric(
    village: Territory, month: datetime.date, metric: str, n: int, key: str = ""
) -> None:
    MonthlyMetric.objects.create(
        village=village,
        month=month,
        metric=metric,
        key=key,
        value=n,
        province_code=village.province_code,
        regency_code=village.regency_code,
        district_code=village.district_code,
    )


def bulk_counts(
    villages: list[Territory], months: list[datetime.date], y: np.ndarray, code: str
) -> None:
    category = Category.objects.get(code=code)
    MonthlyIncidentCount.objects.bulk_create(
        [
            MonthlyIncidentCount(
                village=v,
                month=m,
                category=category,
                count=int(y[i, j]),
                province_code=v.province_code,
                regency_code=v.regency_code,
                district_code=v.district_code,
            )
            for i, v in enumerate(villages)
            for j, m in enumerate(months)
            if y[i, j] > 0
        ],
        batch_size=500,
    )
    rebuild_areas()


@pytest.fixture
def villages(db) -> list[Territory]:
    return list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03").order_by("code")
    )


@pytest.fixture
def panel_months() -> list[datetime.date]:
    return [add_months(LAST_MONTH, -i) for i in range(47, -1, -1)]


@pytest.fixture
def plant_surge(villages, panel_months, village_a):
    """The early warning's known answer, in any category: `plant_surge(category)` gives every
    village of the regency a steady Poisson count over the panel's 48 months, and village A
    about one a month until 9 and 11 in the last two; returns village A's index."""

    def plant(category: str) -> int:
        bulk_counts(
            villages, panel_months, surge_counts(villages, panel_months, village_a), category
        )
        return villages.index(village_a)

    return plant


def surge_counts(area: list, months: list, village, seed: int = 5) -> np.ndarray:
    """Counts (area x months): a steady Poisson level in every village of `area` and, in
    `village`, about one a month until 9 and 11 in the last two (the early warning's known
    answer)."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(3.0, 0.5, size=len(area))
    y = rng.poisson(np.repeat(level[:, None], len(months), axis=1))
    a = area.index(village)
    y[a, :] = rng.poisson(1.0, size=len(months))
    y[a, -2:] = [9, 11]
    return y


@pytest.fixture
def surge(plant_surge):
    """The planted surge in thefts (`plant_surge`); village A's index."""
    return plant_surge("pencurian")


@pytest.fixture
def programme_panel(villages, panel_months):
    """157 villages x 48 months of Poisson counts; 60 adopt KTS in 3 waves; effect -1.5/month."""
    rng = np.random.default_rng(2022)
    n, t = len(villages), len(panel_months)
    level = rng.gamma(5.0, 0.8, size=n)
    season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(t) / 12)
    cohort = np.full(n, -1)
    order = rng.permutation(n)
    for wave, start in enumerate((24, 30, 36)):
        cohort[order[wave * 20 : (wave + 1) * 20]] = start
    mu = level[:, None] * season[None, :]
    treated = (cohort[:, None] >= 0) & (np.arange(t)[None, :] >= cohort[:, None])
    mu = np.where(treated, np.maximum(mu - 1.5, 0.1), mu)
    y = rng.poisson(mu)
    bulk_counts(villages, panel_months, y, "pencurian")
    programme = Programme.objects.create(code="KTS", name="Kampung Tangguh Semeru")
    ProgrammeAdoption.objects.bulk_create(
        [
            ProgrammeAdoption(
                programme=programme,
                village=villages[i],
                adopted_on=panel_months[c] + datetime.timedelta(days=9),
            )
            for i, c in enumerate(cohort)
            if c >= 0
        ]
    )
    return {"programme": programme, "cohort": cohort, "y": y, "effect": -1.5}
