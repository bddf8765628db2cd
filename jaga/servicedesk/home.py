from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from jaga.accounts.access import STAFF_ROLES, roles_of
from jaga.servicedesk import queries
from jaga.servicedesk.models import OPEN_STATUSES, ServiceRequest
from jaga.servicedesk.services.common import ACTING_ROLES


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    if not roles_of(request.user) & STAFF_ROLES:
        return []
    now = timezone.now()
    counts = ServiceRequest.objects.for_user(request.user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        mine=Count("id", filter=Q(status__in=OPEN_STATUSES, assignee=request.user)),
    )
    if roles_of(request.user) & ACTING_ROLES:
        counts["moderation"] = queries.moderation_queue(request.user).count()
    return [{"template": "servicedesk/home_panel.html", "context": counts, "order": 20}]
