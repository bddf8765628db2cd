"""Rules and helpers shared by the service modules."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, roles_of, scope_codes
from jaga.accounts.models import Role
from jaga.core import events
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.types import SYSTEM, Actor, signed_in
from jaga.servicedesk.models import STAFF_CHANNELS, RequestUpdate, ServiceRequest

__all__ = [
    "ACTING_ROLES",
    "AUDIT_FIELDS",
    "MAX_DESCRIPTION",
    "STAFF_CHANNELS",
    "SYSTEM",
    "check_actor",
    "is_user",
    "lock_request",
    "emit_report_event",
    "record_change",
    "report_event_data",
]

MAX_DESCRIPTION = 4000
ACTING_ROLES = {Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.ADMIN}
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


def is_user(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def check_actor(request: ServiceRequest, actor: Actor) -> None:
    """Refuse a change by anyone but desk staff whose area holds the report (the system may)."""
    if actor is SYSTEM:
        return
    if not (roles_of(actor) & ACTING_ROLES):
        raise DomainError("not_allowed", _("You may not change reports."))
    if not code_in_scope(request.village.code, scope_codes(actor)):
        raise DomainError("not_allowed", _("This report is outside your area."))


def lock_request(request: ServiceRequest) -> ServiceRequest:
    """The report, re-read and locked until the transaction ends."""
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


def emit_report_event(
    name: str,
    report: ServiceRequest,
    *,
    extra: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
    run_tasks: bool = False,
) -> events.Event:
    """`events.emit` of an event about `report`: its village, its ticket as the public id, and
    `report_event_data` (with `extra`) as the payload (see `events.emit` for `at`, `run_tasks`)."""
    return events.emit(
        name,
        territory_code=report.village.code,
        object_type="servicedesk.servicerequest",
        object_id=report.ticket,
        data=report_event_data(report) | (extra or {}),
        at=at,
        run_tasks=run_tasks,
    )


def record_change(
    locked: ServiceRequest,
    action: str,
    *,
    actor: Actor,
    before: dict[str, Any],
    at: datetime.datetime,
    text: str = "",
    public: bool = False,
    status_from: str = "",
    status_to: str = "",
    audit_note: str = "",
    fields: list[str] | None = None,
) -> RequestUpdate:
    """Save a change of the locked report: the one way the workflow records a change.

    The report's version goes up (an officer who looked at the old one gets a conflict), the
    change is listed among the report's updates and written to the audit log
    (`servicedesk.<action>`, `before` against the report as saved now: `fields`, by default
    AUDIT_FIELDS).
    """
    locked.version += 1
    locked.updated_at = at
    locked.save()
    update = RequestUpdate.objects.create(
        request=locked,
        at=at,
        author=signed_in(actor),
        public=public,
        text=text,
        status_from=status_from,
        status_to=status_to,
    )
    log_action(
        f"servicedesk.{action}",
        locked,
        actor=actor,
        before=before,
        after=snapshot(locked, fields or AUDIT_FIELDS),
        territory_code=locked.village.code,
        note=audit_note,
    )
    return update
