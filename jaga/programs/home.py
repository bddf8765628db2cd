"""The home page panel: participation in my area over the last twelve months (from roll-ups)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from jaga.accounts.access import scope_codes
from jaga.core.months import add_months, month_start
from jaga.partners.access import territory_roles
from jaga.programs import queries
from jaga.territory.queries import home_code


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    scopes = scope_codes(user, territory_roles(user))
    if not scopes:
        return []
    code = home_code(scopes)
    if code is None:
        return []
    end = timezone.localdate()
    start = add_months(month_start(end), -12)
    total = queries.participation_from_rollups(territory_code=code, start=start, end=end)
    if not total.invited:
        return []
    return [
        {
            "template": "programs/home_panel.html",
            "context": {"total": total, "code": code, "start": start},
            "order": 40,
        }
    ]
