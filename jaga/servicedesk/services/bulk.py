"""Bulk work on the queue (many reports assigned or moved at once) and saved queue filters.

A bulk move is not all-or-nothing: each report goes through `move_request` (the dispatcher the
report's page and the API use) exactly as if the officer had moved it alone, in its own transaction, with its
own checks (scope, the workflow table, the officer's villages, a reason where one is needed) and
its own audit row. A report that may not move is left as it is and named in the answer with the
reason; the others move. Desk work is many independent cases: one report that changed in the
meantime must not hold back thirty others. The `BulkAction` record (with its own audit row) keeps
what was asked, what moved and what was refused.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jaga.accounts.access import ALL_CODES, roles_of, scope_codes
from jaga.core.audit import log_action
from jaga.core.errors import DomainError
from jaga.core.types import Actor, Viewer, signed_in
from jaga.servicedesk.models import (
    REASSIGNABLE,
    BulkAction,
    SavedFilter,
    ServiceRequest,
    Status,
    is_reopening,
)
from jaga.servicedesk.services.common import ACTING_ROLES
from jaga.servicedesk.services.workflow import allowed_transitions, move_request

MAX_BULK = 200
# Marking a duplicate needs the original of each report: that stays a move made one at a time.
BULK_STATUSES = [
    Status.TRIAGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.REJECTED,
    Status.CLOSED,
]
# The queue's filter parameters a saved filter keeps (nothing else from the query string).
FILTER_KEYS = ("q", "service", "status", "village", "district", "overdue", "mine")


def _move_one(
    report: ServiceRequest,
    kind: str,
    *,
    actor: Actor,
    to_status: str,
    assignee: Any,
    note: str,
    public: bool,
    version: int | None,
) -> None:
    if kind == BulkAction.Kind.ASSIGN:
        if Status.ASSIGNED in allowed_transitions(report):
            move_request(
                report,
                Status.ASSIGNED,
                actor=actor,
                assignee=assignee,
                note=note,
                public=public,
                expected_version=version,
            )
        elif report.status in REASSIGNABLE:
            if report.assignee_id == getattr(assignee, "pk", None):
                raise DomainError("already_assigned", _("It is already assigned to that officer."))
            move_request(report, None, actor=actor, assignee=assignee, expected_version=version)
        else:
            raise DomainError(
                "not_open",
                _("A report that is “%(old)s” cannot be assigned.")
                % {"old": report.get_status_display()},
            )
    else:
        if is_reopening(report.status, to_status):
            # Reopening restarts the reporter's case: it is confirmed report by report.
            raise DomainError("reopen_alone", _("Reopen a resolved report on its own page."))
        move_request(
            report, to_status, actor=actor, note=note, public=public, expected_version=version
        )


def bulk_move(
    tickets: list[str],
    *,
    actor: Actor,
    kind: str,
    to_status: str = "",
    assignee: Any = None,
    note: str = "",
    public: bool = True,
    versions: dict[str, int] | None = None,
) -> BulkAction:
    """Assign (`kind="assign"`, to `assignee`) or move (`kind="status"`, to `to_status`) the
    reports named by `tickets`; each is checked and changed as if moved alone (see the module's
    docstring), against the version the officer saw in the queue where `versions` gives it (a
    report someone else changed since is refused as a conflict, as on its own page). Returns
    the BulkAction listing what moved and what was refused, with reasons."""
    user = signed_in(actor)
    if user is None or not (roles_of(user) & ACTING_ROLES):
        raise DomainError("not_allowed", _("You may not change reports."))
    if kind not in BulkAction.Kind.values:
        raise DomainError("unknown_action", _("Unknown action."))
    if kind == BulkAction.Kind.STATUS and to_status not in BULK_STATUSES:
        raise DomainError("unknown_status", _("Choose the new status."))
    if kind == BulkAction.Kind.ASSIGN and assignee is None:
        raise DomainError("assignee_required", _("Choose the officer to assign."))
    wanted = list(dict.fromkeys(t.strip().upper() for t in tickets if t.strip()))
    if not wanted:
        raise DomainError("nothing_selected", _("Select at least one report."))
    if len(wanted) > MAX_BULK:
        raise DomainError(
            "too_many", _("Select at most %(n)s reports at a time.") % {"n": MAX_BULK}
        )
    found = {
        r.ticket: r
        for r in ServiceRequest.objects.for_user(actor)
        .select_related("service", "village")
        .filter(ticket__in=wanted)
    }
    done: list[str] = []
    refused: list[dict[str, str]] = []
    for ticket in wanted:
        report = found.get(ticket)
        if report is None:
            refused.append(
                {"ticket": ticket, "code": "not_found", "reason": _("No such report in your area.")}
            )
            continue
        try:
            _move_one(
                report,
                kind,
                actor=actor,
                to_status=to_status,
                assignee=assignee,
                note=note,
                public=public,
                version=(versions or {}).get(ticket),
            )
        except DomainError as exc:
            refused.append({"ticket": ticket, "code": exc.code, "reason": str(exc.message)})
        else:
            done.append(ticket)
    return _record_bulk(actor, kind, to_status, assignee, done, refused)


def _record_bulk(
    actor: Actor,
    kind: str,
    to_status: str,
    assignee: Any,
    done: list[str],
    refused: list[dict[str, str]],
) -> BulkAction:
    """The BulkAction row and its audit entry: who asked what, what moved, what was refused."""
    user = signed_in(actor)
    assert user is not None  # bulk_move let only a signed-in officer in
    with transaction.atomic():
        action = BulkAction.objects.create(
            actor=user,
            kind=kind,
            to_status=to_status if kind == BulkAction.Kind.STATUS else Status.ASSIGNED,
            assignee=assignee if kind == BulkAction.Kind.ASSIGN else None,
            done=done,
            refused=refused,
        )
        log_action(
            "servicedesk.bulk",
            action,
            actor=actor,
            after={
                "kind": kind,
                "to_status": action.to_status,
                "assignee": getattr(assignee, "pk", None),
                "done": done,
                "refused": [{"ticket": r["ticket"], "code": r["code"]} for r in refused],
            },
        )
    return action


# --------------------------------------------------------------------------- saved filters


def clean_filter_params(params: Any) -> dict[str, str]:
    return {k: str(params.get(k, "")) for k in FILTER_KEYS if params.get(k)}


def _team(code: str) -> str:
    """The team a posting belongs to: a Bhabinkamtibmas posted to a village is in the team of
    the Polsek over its district (the unit the desk routes the village's reports to); a posting
    over a district or wider is a team of its own."""
    parts = code.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 else code


def team_codes(user: Viewer) -> list[str]:
    """The teams of the user's staff postings (empty for a superuser or the national unit,
    whose scope is everything and who belong to no unit's team)."""
    codes = scope_codes(user)
    if codes == [ALL_CODES]:
        return []
    return sorted({_team(c) for c in codes}, key=lambda c: (c.count("."), c))


def visible_filters(user: Viewer) -> QuerySet[SavedFilter]:
    """The user's own filters and those shared with a team the user belongs to (the same
    unit: a Polsek and its Bhabinkamtibmas; another Polsek, or the Polres above, is another
    team). Whoever sees every territory sees every shared filter."""
    codes = scope_codes(user)
    mine = Q(owner=user)
    if codes == [ALL_CODES]:
        shared = ~Q(territory_code="")
    else:
        shared = Q(territory_code__in=team_codes(user)) & ~Q(territory_code="")
    return SavedFilter.objects.filter(mine | shared).select_related("owner").order_by("name", "id")


def save_filter(*, owner: Any, name: str, params: Any, share: bool) -> SavedFilter:
    """Save the queue's current filter under a name (again under the same name: replaced);
    `share` makes it visible to the owner's team (the territory of the owner's posting)."""
    if not scope_codes(owner):
        raise DomainError("not_allowed", _("You may not use the service desk."))
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _("Give the filter a name."))
    cleaned = clean_filter_params(params)
    teams = team_codes(owner)
    if share and not teams:
        raise DomainError(
            "no_team", _("You are posted to no unit: keep the filter for yourself instead.")
        )
    # A user posted to several units shares with the broadest.
    territory_code = teams[0] if share else ""
    with transaction.atomic():
        row, created = SavedFilter.objects.select_for_update().get_or_create(
            owner=owner,
            name=name[:80],
            defaults={"params": cleaned, "territory_code": territory_code},
        )
        before = None if created else {"params": row.params, "territory_code": row.territory_code}
        row.params = cleaned
        row.territory_code = territory_code
        row.save()
        log_action(
            "servicedesk.filter_saved",
            row,
            actor=owner,
            before=before,
            after={"name": row.name, "params": cleaned, "territory_code": territory_code},
            territory_code=territory_code,
        )
    return row


def delete_filter(saved: SavedFilter, *, actor: Actor) -> None:
    """Remove a saved filter; only its owner may."""
    if actor is None or saved.owner_id != actor.pk:
        raise DomainError("not_owner", _("Only the officer who saved a filter may remove it."))
    with transaction.atomic():
        log_action(
            "servicedesk.filter_deleted",
            saved,
            actor=actor,
            before={"name": saved.name, "params": saved.params},
            territory_code=saved.territory_code,
        )
        saved.delete()
