from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from jaga.accounts.access import STAFF_ROLES, roles_of, unscoped
from jaga.accounts.models import Role
from jaga.servicedesk import queries
from jaga.servicedesk.models import OPEN_STATUSES, ServiceRequest, overdue_q
from jaga.servicedesk.services.common import ACTING_ROLES


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    roles = roles_of(request.user)
    if not roles & STAFF_ROLES:
        if not request.user.is_authenticated or Role.PARTNER in roles:
            return []
        return [_resident_panel(request)]
    now = timezone.now()
    counts = ServiceRequest.objects.for_user(request.user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(now)),
        mine=Count("id", filter=Q(status__in=OPEN_STATUSES, assignee=request.user)),
    )
    if roles_of(request.user) & ACTING_ROLES:
        counts["moderation"] = queries.moderation_queue(request.user).count()
    return [{"template": "servicedesk/home_panel.html", "context": counts, "order": 20}]


def _resident_panel(request: HttpRequest) -> dict[str, Any]:
    """A resident's home: report something, follow their own reports, answer the surveys."""
    mine = unscoped(
        ServiceRequest.objects.filter(reporter_user_id=request.user.pk), "the account's own"
    )
    counts = mine.aggregate(open=Count("id", filter=Q(status__in=OPEN_STATUSES)), total=Count("id"))
    return {"template": "servicedesk/home_resident.html", "context": counts, "order": 10}
