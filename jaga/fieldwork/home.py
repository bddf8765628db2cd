from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jaga.accounts.access import has_role
from jaga.fieldwork import queries, services


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    """Officers see at once which of their villages wait for a visit."""
    if not has_role(request.user, *services.FIELD_ROLES):
        return []
    rows = queries.village_visit_status(request.user)
    overdue = [r for r in rows if r.overdue]
    return [
        {
            "template": "fieldwork/home_panel.html",
            "context": {
                "villages": len(rows),
                "overdue": overdue[:8],
                "overdue_count": len(overdue),
                "gap": services.norm("visit_gap_days"),
            },
            "order": 30,
        }
    ]
