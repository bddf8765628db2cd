from __future__ import annotations

import io
import random
from typing import Any

from django.db.models import Sum

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.incidents.models import Incident
from jaga.servicedesk import demo, services
from jaga.servicedesk.models import Moderation, Open311Client, ServiceRequest, Status
from jaga.territory.models import Level, Territory


def test_the_demo_history_agrees_with_its_roll_ups(
    units: dict, bob: Any, monkeypatch: Any, regency: Any
) -> None:
    monkeypatch.setattr(demo, "PER_DAY", 0.08)
    villages = list(Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03"))
    ctx = {
        "rng": random.Random(7),
        "stdout": io.StringIO(),
        "villages": villages,
        "polsek_by_district": {"35.03.11": units["ab"], "35.03.02": units["c"]},
        "users": {"kapolsek": bob},
    }
    demo.build(ctx)
    rows = ServiceRequest.objects.all()
    assert rows.count() > 50

    def total(metric: str) -> int:
        return MonthlyMetric.objects.filter(metric=metric).aggregate(s=Sum("value"))["s"] or 0

    resolved = rows.filter(resolved_at__isnull=False, status__in=[Status.RESOLVED, Status.CLOSED])
    assert total("requests.received") == rows.count()
    assert total("requests.resolved") == resolved.count()
    assert total("requests.resolved_in_time") == resolved.filter(resolved_in_time=True).count()
    assert MonthlyIncidentCount.objects.aggregate(s=Sum("count"))["s"] == Incident.objects.count()
    assert rows.filter(incident__isnull=False).count() == Incident.objects.count()
    assert set(rows.values_list("status", flat=True)) >= {Status.CLOSED}
    assert (
        rows.filter(resolved_in_time=False).exists() and rows.filter(resolved_in_time=True).exists()
    )
    assert Open311Client.objects.count() == 1 and ctx["open311_key"].startswith("o311_")
    # Every demo reporter can follow the report with the private code, which is stored hashed.
    codes = ctx["tracking_codes"]
    assert len(codes) == rows.count()
    for report in rows[:20]:
        assert services.check_tracking_code(report, codes[report.ticket])
        assert codes[report.ticket] not in report.secret_hash
    assert "private tracking links" in ctx["stdout"].getvalue()
    # Old reports of ordinary services carry an approved public version; sensitive ones never.
    assert rows.filter(service__sensitive=True, moderation=Moderation.APPROVED).count() == 0
    assert rows.filter(moderation=Moderation.APPROVED).exclude(public_description="").exists()
