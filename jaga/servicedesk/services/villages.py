"""A report whose village a pemekaran ended: staff move it to one of the villages that replaced it.

A report is dated by when it happened (or, not said, when it was received), as the incident it may
become. A pemekaran recorded with a past date can end its village before that date: the report
then cannot enter the kamtibmas register there (`refuse_ended`), and it belongs to one of the
villages that replaced it. Which one is for staff to say (a split's part is never guessed): the
report's page offers the successors, the move is audited and listed among the report's updates,
and the desk's monthly figures move with the report.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, scope_codes
from jaga.analytics.rollups import bump_metric
from jaga.core.audit import snapshot
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.servicedesk import metrics as desk_metrics
from jaga.servicedesk import notify
from jaga.servicedesk.models import RESOLUTION_STANDS, ServiceRequest
from jaga.servicedesk.services.common import (
    AUDIT_FIELDS,
    SYSTEM,
    check_actor,
    lock_request,
    record_change,
)
from jaga.servicedesk.services.intake import Routing, route
from jaga.servicedesk.services.workflow import _check_version
from jaga.territory.models import Territory
from jaga.territory.pemekaran import local_date, refuse_ended, replacing

MOVE_FIELDS = [*AUDIT_FIELDS, "village", "district_code", "regency_code"]


def report_date(report: ServiceRequest) -> datetime.date:
    """The report's date, as its incident's: when it happened, else when it was received."""
    return local_date(report.occurred_at or report.received_at) or timezone.localdate()


def village_ended(report: ServiceRequest) -> tuple[str, list[Territory]]:
    """Why the report's village no longer takes it (the rule's message, naming the villages that
    replaced it) and those villages; ("", []) when its village takes it."""
    try:
        refuse_ended(report.village, report_date(report))
    except DomainError as exc:
        return str(exc.message), replacing(report.village)
    return "", []


def _move_metrics(report: ServiceRequest, old: Territory, new: Territory) -> None:
    """The desk's monthly figures of the report, from its old village to its new one."""
    code = report.service.code
    moves = [(desk_metrics.RECEIVED, report.received_at)]
    if report.resolved_at is not None and report.status in RESOLUTION_STANDS:
        moves.append((desk_metrics.RESOLVED, report.resolved_at))
        if report.resolved_in_time:
            moves.append((desk_metrics.RESOLVED_IN_TIME, report.resolved_at))
    for metric, at in moves:
        bump_metric(old, at, metric, -1, key=code)
        bump_metric(new, at, metric, +1, key=code)


def move_to_successor(
    request: ServiceRequest,
    village: Territory,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Move a report whose village ended before its date to `village`, one of the villages that
    replaced it (staff's explicit choice); refused for any other village or report."""
    check_actor(request, actor)
    with transaction.atomic():
        locked = lock_request(request)
        _check_version(locked, expected_version)
        old = locked.village
        problem, after = village_ended(locked)
        end = old.valid_to
        if not problem or end is None:
            raise DomainError(
                "village_takes_it",
                _(
                    "%(village)s takes this report: it is dated before the village ended, so it "
                    "stays there."
                )
                % {"village": old.display_name},
            )
        if locked.incident_id is not None:
            raise DomainError(
                "already_verified",
                _("This report is in the kamtibmas register already; it is not moved."),
            )
        if village.pk not in {t.pk for t in after}:
            raise DomainError(
                "not_a_successor",
                _("Choose one of the villages that replaced %(village)s: %(villages)s.")
                % {
                    "village": old.display_name,
                    "villages": ", ".join(f"{t.display_name} ({t.code})" for t in after),
                },
                replaced_by=[t.code for t in after],
            )
        if actor is not SYSTEM and not code_in_scope(village.code, scope_codes(actor)):
            raise DomainError(
                "not_allowed",
                _("%(village)s is outside your area.") % {"village": village.display_name},
            )
        before = snapshot(locked, MOVE_FIELDS)
        _move_metrics(locked, old, village)
        locked.village = village
        locked.district_code = village.district_code
        locked.regency_code = village.regency_code
        # Routed as a report received there: its Polsek and the Bhabinkamtibmas posted there on
        # the report's date, or the Polsek's duty queue when the village has none yet.
        routing = route(village, report_date(locked))
        locked.unit = routing.unit or locked.unit
        locked.assignee = routing.officer
        record_change(
            locked,
            "village_moved",
            actor=actor,
            before=before,
            at=timezone.now(),
            public=True,
            text=_moved_text(old, end, village, routing),
            fields=MOVE_FIELDS,
        )
        if routing.officer is not None and routing.officer.pk != before.get("assignee"):
            officer, moved = routing.officer, locked
            transaction.on_commit(lambda: notify.notify_assignee(moved, officer))
    request.refresh_from_db()
    return request


def _moved_text(old: Territory, end: datetime.date, new: Territory, routing: Routing) -> str:
    """The report's update of its move, as the reporter reads it: where it went, as on receipt."""
    values = {
        "old": old.display_name,
        "date": formats.date_format(end, "j F Y"),
        "new": new.display_name,
        "unit": routing.unit.name if routing.unit is not None else "",
    }
    if routing.unit is None:
        text = _("%(old)s ended on %(date)s (pemekaran); this report now belongs to %(new)s.")
    elif routing.officer is None:
        text = _(
            "%(old)s ended on %(date)s (pemekaran); this report now belongs to %(new)s and was "
            "sent to the duty queue of %(unit)s."
        )
    else:
        text = _(
            "%(old)s ended on %(date)s (pemekaran); this report now belongs to %(new)s and was "
            "sent to %(unit)s and the village's Bhabinkamtibmas."
        )
    return text % values
