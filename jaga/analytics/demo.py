"""The analytics part of `jaga demo`: only derived things, never figures of its own.

The roll-ups are filled by the apps that record incidents, requests, activities and visits (in
their own demo steps, through their services or the bulk helpers, which keep the district and
regency rows too). Here the Polres gets its first raid plan, derived from the demo incidents that
carry a location; without any, no plan is made.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from jaga.analytics import services
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.incidents.models import Incident

ORDER = 90


def build(ctx: dict[str, Any]) -> None:
    regency = ctx["regency"]
    if not Incident.objects.filter(regency_code=regency.code, latitude__isnull=False).exists():
        return
    unit = Unit(regency.code, regency.display_name, [regency.code], regency.level, regency)
    next_week = services.week_start(timezone.localdate()) + datetime.timedelta(days=7)
    try:
        services.propose_raid_plan(unit, next_week, actor=ctx["users"].get("kasatbinmas"))
    except DomainError:
        return  # no incident with a location in the last weeks: no plan to propose
