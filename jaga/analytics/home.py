"""The leader's (and every officer's) home page shows the early-warning alarms of their scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jaga.accounts.access import roles_of
from jaga.analytics import warning
from jaga.analytics.nav import ROLES
from jaga.analytics.units import default_unit_key, last_complete_month, resolve_unit


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated or not (roles_of(user) & ROLES):
        return []
    key = default_unit_key(user)
    if key is None:
        return []
    unit = resolve_unit(user, key)
    month = last_complete_month()
    report = warning.alarms_report(unit, month, limit=6)  # only the six shown are named
    return [
        {
            "template": "analytics/home_panel.html",
            "context": {
                "unit": unit,
                "alarms": report["alarms"],
                "more": max(0, report["total"] - 6),
            },
            "order": 20,
        }
    ]
