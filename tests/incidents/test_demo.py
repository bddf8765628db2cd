from __future__ import annotations

import datetime
import io
import math
import random

import pytest
import time_machine
from django.db.models import Sum

from jaga.analytics.models import MonthlyIncidentCount
from jaga.incidents import demo
from jaga.incidents.models import Incident
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.territory.models import Level, Territory

pytestmark = pytest.mark.django_db

ADOPTED_ON = datetime.date(2024, 12, 1)


@time_machine.travel(datetime.datetime(2025, 12, 15, 12, tzinfo=datetime.UTC), tick=False)
def test_the_demo_history_falls_after_adoption_and_surges_at_the_end():
    villages = list(Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03"))
    programme = Programme.objects.create(code="KTS", name="Kampung Tangguh Semeru")
    adopted = villages[::2]
    ProgrammeAdoption.objects.bulk_create(
        [ProgrammeAdoption(programme=programme, village=v, adopted_on=ADOPTED_ON) for v in adopted]
    )
    ctx = {"rng": random.Random(3), "stdout": io.StringIO(), "villages": villages}
    demo.build(ctx)

    # The roll-up holds exactly what was inserted.
    total = MonthlyIncidentCount.objects.aggregate(n=Sum("count"))["n"]
    assert total == Incident.objects.count() > 2000

    def count(ids, since, until):  # type: ignore[no-untyped-def]
        return Incident.objects.filter(
            village_id__in=ids, occurred_at__date__gte=since, occurred_at__date__lt=until
        ).count()

    surge = ctx["incident_surge_village"]
    treated = [v.pk for v in adopted if v.pk != surge.pk]
    control = [v.pk for v in villages if v not in adopted and v.pk != surge.pk]
    # Same calendar months on both sides (Dec-Nov), so the season cancels out.
    before = (datetime.date(2023, 12, 1), ADOPTED_ON)
    after = (ADOPTED_ON, datetime.date(2025, 12, 1))
    ratio = (count(treated, *after) / count(treated, *before)) / (
        count(control, *after) / count(control, *before)
    )
    # The register's import carries the whole planted effect once desk reports and raids record
    # their share (no desk or raids here): it builds up to
    # (exp(effect) - (1 - share)) / share on the imported part alone.
    planted = math.exp(demo.EFFECT_PROGRAMMES["KTS"])
    full = (planted - (1 - demo.RECORDED_ELSEWHERE)) / demo.RECORDED_ELSEWHERE
    assert full * 0.9 < ratio < full + 0.25

    assert ctx["incident_surge"]["start"] == datetime.date(2025, 10, 1)
    assert ctx["incident_surge"]["category"] == demo.SURGE_CATEGORY
    last3 = count([surge.pk], datetime.date(2025, 10, 1), datetime.date(2025, 12, 16))
    earlier = count([surge.pk], datetime.date(2023, 1, 1), datetime.date(2025, 10, 1)) / 33
    assert last3 / 2.5 > 2.5 * earlier
