"""Home-page panel: the latest Anev reports of the user's area."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jaga.accounts.access import STAFF_ROLES, has_role
from jaga.reports.models import ReportJob


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    if not has_role(request.user, *STAFF_ROLES):
        return []
    jobs = list(ReportJob.objects.for_user(request.user).select_related("territory")[:5])
    return [{"template": "reports/home_panel.html", "context": {"jobs": jobs}, "order": 60}]
