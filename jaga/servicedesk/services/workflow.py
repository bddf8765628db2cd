"""The workflow: transitions, notes, duplicates, verification, photos, reminders."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, roles_of, scope_codes
from jaga.analytics.rollups import bump_metric
from jaga.core import events
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import ConflictError, DomainError
from jaga.core.types import Actor, Viewer, signed_in
from jaga.incidents.services import record_incident
from jaga.servicedesk import metrics as desk_metrics
from jaga.servicedesk import notify
from jaga.servicedesk.models import (
    TRANSITIONS,
    UNVERIFIABLE,
    Attachment,
    RequestUpdate,
    ServiceRequest,
    Status,
    is_reopening,
)
from jaga.servicedesk.services.common import (
    ACTING_ROLES,
    AUDIT_FIELDS,
    MAX_DESCRIPTION,
    SYSTEM,
    check_actor,
    emit_report_event,
    lock_request,
    record_change,
)
from jaga.servicedesk.services.tracking import require_tracking_code
from jaga.servicedesk.signals import request_closed
from jaga.territory.models import Territory


def _check_version(locked: ServiceRequest, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            "conflict",
            _(
                "Someone else changed this report a moment ago (it is now “%(status)s”). "
                "Look at the latest state and try again."
            )
            % {"status": locked.get_status_display()},
        )


def allowed_transitions(request: ServiceRequest, now: datetime.datetime | None = None) -> list[str]:
    """The moves open to the report now (reopening only within the service's period)."""
    moves = sorted(TRANSITIONS[request.status], key=list(Status.values).index)
    if request.status == Status.RESOLVED:
        until = request.reopen_until()
        if until is not None and (now or timezone.now()) > until:
            moves = [m for m in moves if m != Status.IN_PROGRESS]
    return moves


def _can_assign(user: Viewer, village: Territory) -> bool:
    return bool(
        user is not None
        and user.is_active
        and roles_of(user) & ACTING_ROLES
        and code_in_scope(village.code, scope_codes(user))
    )


def transition_request(
    request: ServiceRequest,
    to_status: str,
    *,
    actor: Actor,
    note: str = "",
    public: bool = True,
    assignee: Any = None,
    expected_version: int | None = None,
    duplicate_of: ServiceRequest | None = None,
    tell_reporter: bool = True,
) -> ServiceRequest:
    """Move a report along the workflow (TRANSITIONS); illegal moves raise DomainError.

    Every status change goes through here, the scheduled ones too (`actor=SYSTEM`).
    `expected_version` is the version the officer looked at: if another officer changed the report
    in between, the move is refused with a conflict instead of silently overwriting. A public note
    is sent to the reporter unless `tell_reporter` is False.
    """
    check_actor(request, actor)
    note = (note or "").strip()
    with transaction.atomic():
        locked = lock_request(request)
        # The clock is read once the row is ours: a move that waited for another officer's lock
        # must not be stamped earlier than the move it waited for.
        now = timezone.now()
        _check_version(locked, expected_version)
        old = locked.status
        _check_move(locked, to_status)
        before = snapshot(locked, AUDIT_FIELDS)
        officer = _apply_move(
            locked, to_status, now=now, note=note, assignee=assignee, duplicate_of=duplicate_of
        )
        locked.status = to_status
        if public and note:
            locked.status_notes = note
        record_change(
            locked,
            to_status,
            actor=actor,
            before=before,
            at=now,
            text=note,
            public=public,
            status_from=old,
            status_to=to_status,
            audit_note=note if not public else "",
        )
        _after_move(
            locked,
            old,
            actor=actor,
            note=note,
            tell_reporter=public and tell_reporter,
            officer=officer,
        )
    request.refresh_from_db()
    return request


def _check_move(locked: ServiceRequest, to_status: str) -> None:
    if to_status not in Status.values:
        raise DomainError("unknown_status", _("Unknown status %(s)s.") % {"s": to_status})
    if to_status not in TRANSITIONS[locked.status]:
        raise DomainError(
            "illegal_transition",
            _("A report that is “%(old)s” cannot become “%(new)s”.")
            % {"old": locked.get_status_display(), "new": Status(to_status).label},
        )


def _apply_move(
    locked: ServiceRequest,
    to_status: str,
    *,
    now: datetime.datetime,
    note: str,
    assignee: Any,
    duplicate_of: ServiceRequest | None,
) -> Any:
    """What the move itself changes besides the status; returns the officer to tell of an
    assignment (None for other moves)."""
    if to_status == Status.ASSIGNED:
        return _assign(locked, assignee or locked.assignee)
    if to_status == Status.REJECTED and not note:
        raise DomainError("reason_required", _("Give the reason for rejecting the report."))
    if to_status == Status.DUPLICATE:
        if duplicate_of is None:
            raise DomainError("original_required", _("Choose the report this one duplicates."))
        locked.duplicate_of = duplicate_of
    elif to_status == Status.RESOLVED:
        if not note:
            raise DomainError("note_required", _("Say how the report was resolved."))
        _resolve(locked, now)
    elif is_reopening(locked.status, to_status):
        _reopen(locked, now)
    elif to_status == Status.CLOSED:
        locked.closed_at = now
    return None


def _assign(locked: ServiceRequest, target: Any) -> Any:
    if target is None:
        raise DomainError("assignee_required", _("Choose the officer to assign."))
    if not _can_assign(target, locked.village):
        raise DomainError("bad_assignee", _("That officer does not cover this report's village."))
    locked.assignee = target
    return target


def _count_resolution(locked: ServiceRequest, at: datetime.datetime, step: int) -> None:
    code = locked.service.code
    bump_metric(locked.village, at, desk_metrics.RESOLVED, step, key=code)
    if locked.resolved_in_time:
        bump_metric(locked.village, at, desk_metrics.RESOLVED_IN_TIME, step, key=code)


def _resolve(locked: ServiceRequest, now: datetime.datetime) -> None:
    locked.resolved_at = now
    locked.resolved_in_time = not locked.is_late(now)
    _count_resolution(locked, now, +1)


def _reopen(locked: ServiceRequest, now: datetime.datetime) -> None:
    until = locked.reopen_until()
    if until is None or now > until:
        raise DomainError(
            "reopen_period_over",
            _("Reports can be reopened only within %(days)s days of being resolved.")
            % {"days": locked.service.reopen_days},
        )
    # The resolution no longer stands: take it back out of the month it was counted in.
    assert locked.resolved_at is not None
    _count_resolution(locked, locked.resolved_at, -1)
    locked.resolved_at = None
    locked.resolved_in_time = None
    locked.reopened_count += 1


def _after_move(
    locked: ServiceRequest,
    old: str,
    *,
    actor: Actor,
    note: str,
    tell_reporter: bool,
    officer: Any,
) -> None:
    """Tell the listeners now, and the people once the move is committed."""
    emit_report_event(events.REPORT_STATUS_CHANGED, locked, extra={"status_from": old})
    if officer is not None and officer != actor:
        transaction.on_commit(lambda: notify.notify_assignee(locked, officer))
    if tell_reporter:
        transaction.on_commit(lambda: notify.notify_reporter(locked, note))
    if locked.status == Status.CLOSED:
        transaction.on_commit(lambda: _send_closed(locked))


def move_request(
    request: ServiceRequest,
    to_status: str | None,
    *,
    actor: Actor,
    note: str = "",
    public: bool = True,
    assignee: Any = None,
    expected_version: int | None = None,
    duplicate_of: ServiceRequest | None = None,
) -> ServiceRequest:
    """The one door the pages and the API use to move a report:

    - to `duplicate`: merged into `duplicate_of` (`mark_duplicate`);
    - no new status (None), or the current one with an officer named: handed to `assignee`
      without changing its status (`reassign_request`);
    - any other status: `transition_request`.
    """
    if to_status == Status.DUPLICATE:
        if duplicate_of is None:
            raise DomainError("original_required", _("Choose the report this one duplicates."))
        return mark_duplicate(request, duplicate_of, actor=actor, expected_version=expected_version)
    if to_status is None or (to_status == request.status and assignee is not None):
        if assignee is None:
            raise DomainError("assignee_required", _("Choose the officer to assign."))
        return reassign_request(request, assignee, actor=actor, expected_version=expected_version)
    return transition_request(
        request,
        to_status,
        actor=actor,
        note=note,
        public=public,
        assignee=assignee,
        expected_version=expected_version,
    )


def _send_closed(request: ServiceRequest) -> None:
    request_closed.send(
        sender=ServiceRequest,
        request=request,
        ticket=request.ticket,
        village=request.village,
        email=request.email,
        phone=request.phone,
    )


def reassign_request(
    request: ServiceRequest, assignee: Any, *, actor: Actor, expected_version: int | None = None
) -> ServiceRequest:
    """Hand an open report to another officer without changing its status."""
    check_actor(request, actor)
    with transaction.atomic():
        locked = lock_request(request)
        _check_version(locked, expected_version)
        if not locked.is_open:
            raise DomainError("not_open", _("Only open reports can be handed to someone else."))
        if not _can_assign(assignee, locked.village):
            raise DomainError(
                "bad_assignee", _("That officer does not cover this report's village.")
            )
        before = snapshot(locked, AUDIT_FIELDS)
        locked.assignee = assignee
        record_change(
            locked,
            "reassigned",
            actor=actor,
            before=before,
            at=timezone.now(),
            text=_("Handed to %(name)s.") % {"name": assignee.display_name},
        )
        if assignee != actor:
            transaction.on_commit(lambda: notify.notify_assignee(locked, assignee))
    request.refresh_from_db()
    return request


def add_update(
    request: ServiceRequest, text: str, *, actor: Actor, public: bool = False
) -> RequestUpdate:
    """Add a note. Notes never conflict: two officers writing at once both keep theirs."""
    check_actor(request, actor)
    text = (text or "").strip()
    if not text:
        raise DomainError("empty_update", _("Write the update first."))
    with transaction.atomic():
        locked = lock_request(request)
        now = timezone.now()
        update = RequestUpdate.objects.create(
            request=locked,
            at=now,
            author=signed_in(actor),
            public=public,
            text=text[:MAX_DESCRIPTION],
        )
        locked.updated_at = now
        if public:
            locked.status_notes = update.text
        locked.save(update_fields=["updated_at", "status_notes"])
        log_action(
            "servicedesk.update",
            locked,
            actor=actor,
            after={"public": public, "update": update.pk},
            territory_code=locked.village.code,
        )
        if public:
            transaction.on_commit(lambda: notify.notify_reporter(locked, update.text))
    return update


def add_reporter_note(
    request: ServiceRequest, text: str, *, code: str = "", user: Actor = None, key_hash: str = ""
) -> RequestUpdate:
    """The reporter adds information from the tracking page.

    The key is the reporter's private tracking code (`code`), or the reporter's own account
    (`user`); the public ticket code alone is not enough. Shown to the reporter and the officers;
    the assignee is told. Closed reports take no more notes (the reporter makes a new report
    instead).
    """
    require_tracking_code(request, code, user=user, key_hash=key_hash)
    text = (text or "").strip()
    if not text:
        raise DomainError("empty_update", _("Write the update first."))
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long",
            _("The description is limited to %(n)s characters.") % {"n": MAX_DESCRIPTION},
        )
    with transaction.atomic():
        locked = lock_request(request)
        if locked.status == Status.CLOSED:
            raise DomainError(
                "closed", _("This report is closed. Please make a new report instead.")
            )
        now = timezone.now()
        update = RequestUpdate.objects.create(
            request=locked, at=now, public=True, from_reporter=True, text=text
        )
        locked.updated_at = now
        locked.save(update_fields=["updated_at"])
        log_action(
            "servicedesk.reporter_note",
            locked,
            after={"update": update.pk},
            territory_code=locked.village.code,
        )
        if locked.assignee is not None:
            officer = locked.assignee
            transaction.on_commit(lambda: notify.notify_assignee(locked, officer))
    return update


def remind_overdue(*, now: datetime.datetime | None = None) -> int:
    """Announce each overdue open report (`report.overdue`) once per local day: a report reminded
    yesterday at 07:00:45 is reminded again today at 07:00:10 (a 24-hour spacing would skip
    today). The notifications app tells the assignee and the Polsek's officers, each by the
    channels they chose. Returns how many reports were reminded."""
    now = now or timezone.now()
    since = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
    due = (
        ServiceRequest.objects.overdue(now)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=since))
        .select_related("service", "village", "assignee")
    )
    count = 0
    for request in due.iterator():
        with transaction.atomic():
            locked = lock_request(request)
            if locked.reminded_at is not None and locked.reminded_at >= since:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at"])
            emit_report_event(events.REPORT_OVERDUE, locked)
        count += 1
    return count


def mark_duplicate(
    request: ServiceRequest,
    original: ServiceRequest,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Merge a report into the one it repeats: it becomes `duplicate` and points at the original."""
    check_actor(request, actor)
    check_actor(original, actor)
    root = original
    seen = {request.pk}
    while root.duplicate_of_id is not None:
        if root.pk in seen:
            break
        seen.add(root.pk)
        root = ServiceRequest.objects.get(pk=root.duplicate_of_id)
    if root.pk == request.pk:
        raise DomainError("self_duplicate", _("A report cannot duplicate itself."))
    with transaction.atomic():
        transition_request(
            request,
            Status.DUPLICATE,
            actor=actor,
            note=_("Merged into report %(ticket)s, which is being handled.")
            % {"ticket": root.ticket},
            public=True,
            expected_version=expected_version,
            duplicate_of=root,
        )
        RequestUpdate.objects.create(
            request=root,
            at=timezone.now(),
            author=signed_in(actor),
            public=False,
            text=_("Report %(ticket)s was merged into this one.") % {"ticket": request.ticket},
        )
    request.refresh_from_db()
    return request


def can_verify(request: ServiceRequest) -> bool:
    """Whether the report may enter the kamtibmas register now (the page offers it then)."""
    return (
        request.service.category_id is not None
        and request.incident_id is None
        and request.status not in UNVERIFIABLE
    )


def _check_verifiable(locked: ServiceRequest) -> None:
    if locked.service.category_id is None:
        raise DomainError(
            "not_an_incident", _("Requests of this service are not kamtibmas incidents.")
        )
    if locked.status in UNVERIFIABLE:
        raise DomainError(
            "cannot_verify",
            _("Triage the report first; rejected and duplicate reports are not verified."),
        )


def verify_request(request: ServiceRequest, *, actor: Actor) -> ServiceRequest:
    """Confirm the report is true: it enters the kamtibmas register as one incident."""
    check_actor(request, actor)
    with transaction.atomic():
        locked = lock_request(request)
        _check_verifiable(locked)
        if locked.incident_id is not None:
            return locked
        incident = record_incident(
            category=locked.service.category,  # type: ignore[arg-type]
            village=locked.village,
            occurred_at=locked.occurred_at or locked.received_at,
            source="desk",
            source_ref=locked.ticket,
            actor=actor,
            latitude=locked.latitude,
            longitude=locked.longitude,
            description=locked.description[:1000] if not locked.service.sensitive else "",
        )
        before = snapshot(locked, AUDIT_FIELDS)
        now = timezone.now()
        locked.incident = incident
        locked.verified_at = now
        record_change(
            locked,
            "verified",
            actor=actor,
            before=before,
            at=now,
            text=_("Verified; recorded in the kamtibmas register."),
        )
    request.refresh_from_db()
    return request


def set_photo_public(photo: Attachment, public: bool, *, actor: Actor) -> Attachment:
    """Show a photo on the public page and through Open311 (staff check it first: faces, homes)."""
    check_actor(photo.request, actor)
    if public and photo.request.service.sensitive:
        raise DomainError("sensitive", _("Photos of reports of this service are never published."))
    with transaction.atomic():
        locked = Attachment.objects.select_for_update().get(pk=photo.pk)
        if locked.public != public or locked.reviewed_at is None:
            locked.public = public
            locked.reviewed_at = timezone.now()
            locked.save(update_fields=["public", "reviewed_at"])
            log_action(
                "servicedesk.photo_public" if public else "servicedesk.photo_private",
                locked.request,
                actor=actor,
                after={"photo": locked.pk, "public": public},
                territory_code=locked.request.village.code,
            )
    return locked


def close_expired_resolved(*, now: datetime.datetime | None = None) -> int:
    """Close resolved reports whose reopening period is over at `now` (run daily).

    Each is closed by `transition_request` as the system, with the same change row an officer's
    close leaves. The reporter gets no status message: the survey invitation that follows every
    close is the message.
    """
    now = now or timezone.now()
    closed = 0
    candidates = ServiceRequest.objects.filter(status=Status.RESOLVED).select_related(
        "service", "village"
    )
    for request in candidates.iterator():
        until = request.reopen_until()
        if until is None or until > now:
            continue
        try:
            transition_request(
                request,
                Status.CLOSED,
                actor=SYSTEM,
                note=_("Closed: the reopening period is over."),
                public=True,
                expected_version=request.version,
                tell_reporter=False,
            )
        except ConflictError:
            continue  # an officer moved it meanwhile: the next run looks at it again
        closed += 1
    return closed
