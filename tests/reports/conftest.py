"""Roll-up rows for a demo month (January 2022), inserted directly as the other apps would."""

from __future__ import annotations

import datetime
import random

import pytest

from jaga.analytics.models import MonthlyMetric
from jaga.analytics.rollups import bump_incidents
from jaga.core.months import add_months
from jaga.incidents.models import Category
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.territory.models import Level, Territory

MONTH = datetime.date(2022, 1, 1)


def incident(village: Territory, month: datetime.date, code: str, count: int) -> None:
    """The village's count and the district and regency roll-ups with it, as the apps do."""
    bump_incidents(village, month, Category.objects.get(code=code).pk, count)


def metric(village: Territory, month: datetime.date, name: str, value: int, key: str = "") -> None:
    MonthlyMetric.objects.create(
        village=village,
        month=month,
        metric=name,
        key=key,
        value=value,
        province_code=village.province_code,
        regency_code=village.regency_code,
        district_code=village.district_code,
    )


@pytest.fixture
def demo_month(db):
    """Thirteen months of figures for the villages of Kecamatan Trenggalek and Munjungan."""
    rng = random.Random(7)
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE, district_code__in=["35.03.11", "35.03.02"])
    )
    rows = []
    for v in villages:
        for i in range(13):
            month = add_months(MONTH, -12 + i)
            for code in ("pencurian", "knalpot_brong", "narkoba"):
                n = rng.randint(0, 3)
                if n:
                    rows.append((v, month, code, n))
    for v, month, code, n in rows:
        incident(v, month, code, n)
    tamanan = Territory.objects.get(code="35.03.11.1002")
    incident(tamanan, MONTH, "perkelahian", 9)  # an unusual month: an alarm
    metric(tamanan, MONTH, "requests.received", 12, "kamtibmas")
    metric(tamanan, MONTH, "requests.resolved", 10, "kamtibmas")
    metric(tamanan, MONTH, "requests.resolved_in_time", 8, "kamtibmas")
    metric(tamanan, MONTH, "visits.count", 31)
    metric(tamanan, MONTH, "operations.count", 4, "miras")
    metric(tamanan, MONTH, "operations.findings", 17, "miras")
    metric(tamanan, MONTH, "fieldwork.early_detections", 5)
    Programme.objects.create(code="KTS", name="Kampung Tangguh Semeru")
    metric(tamanan, MONTH, "activities.held", 3, "KTS")
    metric(tamanan, MONTH, "activities.count", 3, "KTS")
    metric(tamanan, MONTH, "activities.head_count", 120, "KTS")
    metric(tamanan, MONTH, "attendance.invited", 40, "KTS")
    metric(tamanan, MONTH, "attendance.attended", 30, "KTS")
    metric(tamanan, MONTH, "attendance.on_time", 24, "KTS")
    metric(tamanan, MONTH, "attendance.represented", 6, "KTS")
    ProgrammeAdoption.objects.create(
        programme=Programme.objects.get(code="KTS"),
        village=tamanan,
        adopted_on=datetime.date(2021, 6, 1),
    )
    return MONTH
