"""Rules and helpers shared by the service modules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, roles_of, scope_codes
from jaga.accounts.models import Role
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.servicedesk.models import (
    Channel,
    ServiceRequest,
)

MAX_DESCRIPTION = 4000
ACTING_ROLES = {Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.ADMIN}
STAFF_CHANNELS = {Channel.WALK_IN, Channel.PHONE, Channel.MESSAGING}
AUDIT_FIELDS = [
    "status",
    "unit",
    "assignee",
    "due_at",
    "resolved_at",
    "resolved_in_time",
    "closed_at",
    "duplicate_of",
    "incident",
    "version",
]


def _is_user(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _check_actor(request: ServiceRequest, actor: Actor) -> None:
    if not (roles_of(actor) & ACTING_ROLES):
        raise DomainError("not_allowed", _("You may not change reports."))
    if not code_in_scope(request.village.code, scope_codes(actor)):
        raise DomainError("not_allowed", _("This report is outside your area."))


def _lock(request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update()
        .select_related("service", "village")
        .get(pk=request.pk)
    )


def report_event_data(request: ServiceRequest) -> dict[str, Any]:
    """What an event about a report tells its listeners (jaga.core.events): codes, status and
    times, never the reporter, the text or the point. `sensitive` lets a listener that reaches
    outside the police (a webhook, a resident's subscription) leave the report out."""
    return {
        "ticket": request.ticket,
        "service": request.service.code,
        "sensitive": request.service.sensitive,
        "status": request.status,
        "village_code": request.village.code,
        "district_code": request.district_code,
        "regency_code": request.regency_code,
        "assignee_id": request.assignee_id,
        "received_at": request.received_at.isoformat() if request.received_at else None,
        "due_at": request.due_at.isoformat() if request.due_at else None,
    }
