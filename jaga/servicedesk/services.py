"""Every change to the service desk's records: intake, routing, the workflow, duplicates, keys.

Each function runs in one transaction, locks the report it changes, writes the audit row, keeps the
monthly roll-ups (`requests.received`, `requests.resolved`, `requests.resolved_in_time`, keyed by
service code) in step, and sends messages only after commit.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, roles_of, scope_codes
from jaga.accounts.models import Posting, Role, hash_token
from jaga.analytics.rollups import bump_metric
from jaga.core.audit import log_action, snapshot
from jaga.core.codes import random_code, random_secret
from jaga.core.errors import DomainError
from jaga.incidents.services import check_point, record_incident
from jaga.servicedesk import notify
from jaga.servicedesk.models import (
    TRANSITIONS,
    Attachment,
    Channel,
    Datatype,
    Open311Client,
    RequestUpdate,
    Service,
    ServiceRequest,
    Status,
)
from jaga.servicedesk.photos import MAX_PHOTOS, clean_photo
from jaga.servicedesk.signals import request_closed
from jaga.territory.models import Level, PoliceUnit, PoliceUnitKind, Territory

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


@dataclass
class Routing:
    unit: PoliceUnit | None
    officer: Any | None
    postings: list[Posting] = field(default_factory=list)


# ---------------------------------------------------------------- routing


def route(village: Territory, on: datetime.date | None = None) -> Routing:
    """The Polsek whose area holds the village and the Bhabinkamtibmas posted there on `on`.

    A village without an officer goes to its Polsek's duty queue (officer None). A district
    without a Polsek falls back to the Polres of the regency.
    """
    unit = (
        PoliceUnit.objects.filter(
            kind=PoliceUnitKind.POLSEK, territories__code=village.district_code
        )
        .order_by("id")
        .first()
    )
    if unit is None:
        unit = (
            PoliceUnit.objects.filter(
                kind=PoliceUnitKind.POLRES, territories__code=village.regency_code
            )
            .order_by("id")
            .first()
        )
    postings = list(
        Posting.objects.active(on)
        .filter(role=Role.BHABIN, territory=village, user__is_active=True)
        .select_related("user")
        .order_by("valid_from", "id")
    )
    return Routing(unit=unit, officer=postings[0].user if postings else None, postings=postings)


# ---------------------------------------------------------------- intake


def idempotency_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def clean_answers(service: Service, raw: dict[str, Any]) -> dict[str, Any]:
    """Check the answers to the service's questions; every problem is reported at once."""
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for question in service.questions.all():
        value = raw.get(question.code)
        if isinstance(value, list) and question.datatype != Datatype.MULTI:
            value = value[0] if value else None
        if value in (None, "", []):
            if question.required:
                problems.append(_("“%(q)s” must be answered.") % {"q": question.prompt})
            continue
        keys = {v["key"] for v in question.values}
        if question.datatype == Datatype.MULTI:
            values = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
            bad = [v for v in values if v not in keys]
            if bad:
                problems.append(
                    _("“%(q)s”: %(v)s is not one of the choices.")
                    % {"q": question.prompt, "v": ", ".join(bad)}
                )
                continue
            answers[question.code] = values
        elif question.datatype == Datatype.SINGLE:
            if str(value) not in keys:
                problems.append(
                    _("“%(q)s”: %(v)s is not one of the choices.")
                    % {"q": question.prompt, "v": value}
                )
                continue
            answers[question.code] = str(value)
        elif question.datatype == Datatype.NUMBER:
            try:
                number = float(str(value).replace(",", "."))
            except ValueError:
                problems.append(_("“%(q)s” must be a number.") % {"q": question.prompt})
                continue
            answers[question.code] = int(number) if number.is_integer() else number
        elif question.datatype == Datatype.DATETIME:
            moment = parse_datetime(str(value))
            if moment is None:
                problems.append(
                    _("“%(q)s” must be a date and time (YYYY-MM-DDTHH:MM).")
                    % {"q": question.prompt}
                )
                continue
            answers[question.code] = moment.isoformat()
        else:
            text = str(value).strip()[:MAX_DESCRIPTION]
            if text:
                answers[question.code] = text
    if problems:
        raise DomainError("bad_answers", " ".join(problems), errors=problems)
    return answers


def _check_village(village: Territory | None) -> Territory:
    if village is None or village.level != Level.VILLAGE:
        raise DomainError(
            "unknown_village", _("Choose a village (desa / kelurahan) from the list.")
        )
    today = timezone.localdate()
    if village.valid_to is not None and village.valid_to <= today:
        raise DomainError(
            "village_retired",
            _("Village %(name)s no longer exists; choose the village that replaced it.")
            % {"name": village.name},
        )
    return village


def find_village(code: str) -> Territory:
    """The village with this Kemendagri code, or a clear error."""
    village = Territory.objects.filter(code=(code or "").strip(), level=Level.VILLAGE).first()
    if village is None:
        raise DomainError(
            "unknown_village",
            _("There is no village with the code %(code)s.") % {"code": code or "—"},
        )
    return _check_village(village)


def submit_request(
    *,
    service: Service,
    village: Territory | None,
    description: str,
    channel: str,
    actor: Any = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    occurred_at: datetime.datetime | None = None,
    anonymous: bool = False,
    reporter_name: str = "",
    phone: str = "",
    email: str = "",
    answers: dict[str, Any] | None = None,
    photos: list[Any] | None = None,
    idempotency_key: str = "",
    idempotency_scope: str = "public",
    open311_client: Open311Client | None = None,
    require_contact: bool = False,
) -> tuple[ServiceRequest, bool]:
    """Receive one report, route it and start its clock. Returns (report, created).

    A retry with the same idempotency key (within its scope) returns the first report unchanged.
    Everything is checked before anything is written: a bad photo or answer changes nothing.
    """
    key_hash = idempotency_hash(idempotency_scope, idempotency_key) if idempotency_key else None
    if key_hash is not None:
        existing = ServiceRequest.objects.filter(idempotency_key=key_hash).first()
        if existing is not None:
            return existing, False
    if not service.is_active:
        raise DomainError("unknown_service", _("This service is not available."))
    if channel in STAFF_CHANNELS and not (roles_of(actor) & ACTING_ROLES):
        raise DomainError("not_allowed", _("Only desk staff enter walk-in and phone reports."))
    village = _check_village(village)
    description = (description or "").strip()
    if not description:
        raise DomainError("empty_description", _("Describe what happened."))
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long",
            _("The description is limited to %(n)s characters.") % {"n": MAX_DESCRIPTION},
        )
    check_point(latitude, longitude)
    now = timezone.now()
    if occurred_at is not None and occurred_at > now + datetime.timedelta(minutes=5):
        raise DomainError("future_date", _("The event cannot have happened in the future."))
    clean = clean_answers(service, answers or {})
    if anonymous:
        reporter_name = phone = email = ""
    elif require_contact and not (phone.strip() or email.strip()):
        raise DomainError(
            "contact_required",
            _("Give a phone number or an email address, or report anonymously."),
        )
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            "too_many_photos", _("At most %(n)s photos per report.") % {"n": MAX_PHOTOS}
        )
    cleaned = [clean_photo(p) for p in photos]
    routing = route(village)
    try:
        with transaction.atomic():
            request = ServiceRequest.objects.create(
                ticket=random_code(10),
                token=random_secret(18),
                channel=channel,
                service=service,
                description=description,
                answers=clean,
                village=village,
                regency_code=village.regency_code,
                district_code=village.district_code,
                address=address.strip()[:255],
                latitude=latitude,
                longitude=longitude,
                occurred_at=occurred_at,
                received_at=now,
                updated_at=now,
                anonymous=anonymous,
                reporter_name=reporter_name.strip()[:150],
                phone=phone.strip()[:30],
                email=email.strip(),
                reporter_user=actor if channel not in STAFF_CHANNELS and _is_user(actor) else None,
                entered_by=actor if channel in STAFF_CHANNELS else None,
                open311_client=open311_client,
                idempotency_key=key_hash,
                status=Status.RECEIVED,
                status_notes=_received_text(routing),
                unit=routing.unit,
                assignee=routing.officer,
                due_at=now + datetime.timedelta(hours=service.sla_hours),
            )
            for photo in cleaned:
                Attachment.objects.create(
                    request=request,
                    file=photo.content,
                    content_type=photo.content_type,
                    size=photo.content.size,
                    width=photo.width,
                    height=photo.height,
                )
            RequestUpdate.objects.create(
                request=request,
                at=now,
                author=None,
                public=True,
                text=_received_text(routing),
                status_to=Status.RECEIVED,
            )
            bump_metric(village, now, "requests.received", +1, key=service.code)
            log_action(
                "servicedesk.received",
                request,
                actor=actor,
                after=snapshot(request),
                territory_code=village.code,
            )
            if routing.officer is not None:
                officer = routing.officer
                transaction.on_commit(lambda: notify.notify_assignee(request, officer))
    except IntegrityError:
        # The same retried submission raced us; the first one wins and both get its ticket.
        if key_hash is None:
            raise
        return ServiceRequest.objects.get(idempotency_key=key_hash), False
    return request, True


def _is_user(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _received_text(routing: Routing) -> str:
    if routing.unit is None:
        return _("Report received.")
    if routing.officer is None:
        return _("Report received and sent to %(unit)s.") % {"unit": routing.unit.name}
    return _("Report received and sent to %(unit)s and the village's Bhabinkamtibmas.") % {
        "unit": routing.unit.name
    }


# ---------------------------------------------------------------- workflow


def _check_actor(request: ServiceRequest, actor: Any) -> None:
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


def _check_version(locked: ServiceRequest, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise DomainError(
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


def _can_assign(user: Any, village: Territory) -> bool:
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
    actor: Any,
    note: str = "",
    public: bool = True,
    assignee: Any = None,
    expected_version: int | None = None,
    duplicate_of: ServiceRequest | None = None,
) -> ServiceRequest:
    """Move a report along the workflow (TRANSITIONS); illegal moves raise DomainError.

    `expected_version` is the version the officer looked at: if another officer changed the report
    in between, the move is refused with a conflict instead of silently overwriting.
    """
    _check_actor(request, actor)
    note = (note or "").strip()
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(request)
        _check_version(locked, expected_version)
        old = locked.status
        if to_status not in Status.values:
            raise DomainError("unknown_status", _("Unknown status %(s)s.") % {"s": to_status})
        if to_status not in TRANSITIONS[old]:
            raise DomainError(
                "illegal_transition",
                _("A report that is “%(old)s” cannot become “%(new)s”.")
                % {"old": locked.get_status_display(), "new": Status(to_status).label},
            )
        before = snapshot(locked, AUDIT_FIELDS)
        notify_officer = None
        if to_status == Status.ASSIGNED:
            target = assignee or locked.assignee
            if target is None:
                raise DomainError("assignee_required", _("Choose the officer to assign."))
            if not _can_assign(target, locked.village):
                raise DomainError(
                    "bad_assignee", _("That officer does not cover this report's village.")
                )
            locked.assignee = target
            notify_officer = target
        elif to_status == Status.REJECTED and not note:
            raise DomainError("reason_required", _("Give the reason for rejecting the report."))
        elif to_status == Status.DUPLICATE:
            if duplicate_of is None:
                raise DomainError("original_required", _("Choose the report this one duplicates."))
            locked.duplicate_of = duplicate_of
        elif to_status == Status.RESOLVED:
            if not note:
                raise DomainError("note_required", _("Say how the report was resolved."))
            locked.resolved_at = now
            locked.resolved_in_time = now <= locked.due_at
            bump_metric(locked.village, now, "requests.resolved", +1, key=locked.service.code)
            if locked.resolved_in_time:
                bump_metric(
                    locked.village, now, "requests.resolved_in_time", +1, key=locked.service.code
                )
        elif old == Status.RESOLVED and to_status == Status.IN_PROGRESS:
            until = locked.reopen_until()
            if until is None or now > until:
                raise DomainError(
                    "reopen_period_over",
                    _("Reports can be reopened only within %(days)s days of being resolved.")
                    % {"days": locked.service.reopen_days},
                )
            # The resolution no longer stands: take it back out of the month it was counted in.
            assert locked.resolved_at is not None
            bump_metric(
                locked.village, locked.resolved_at, "requests.resolved", -1, key=locked.service.code
            )
            if locked.resolved_in_time:
                bump_metric(
                    locked.village,
                    locked.resolved_at,
                    "requests.resolved_in_time",
                    -1,
                    key=locked.service.code,
                )
            locked.resolved_at = None
            locked.resolved_in_time = None
            locked.reopened_count += 1
        elif to_status == Status.CLOSED:
            locked.closed_at = now
        locked.status = to_status
        locked.version += 1
        locked.updated_at = now
        if public and note:
            locked.status_notes = note
        locked.save()
        RequestUpdate.objects.create(
            request=locked,
            at=now,
            author=actor,
            public=public,
            text=note,
            status_from=old,
            status_to=to_status,
        )
        log_action(
            f"servicedesk.{to_status}",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, AUDIT_FIELDS),
            territory_code=locked.village.code,
            note=note if not public else "",
        )
        if notify_officer is not None and notify_officer != actor:
            officer = notify_officer
            transaction.on_commit(lambda: notify.notify_assignee(locked, officer))
        if public:
            transaction.on_commit(lambda: notify.notify_reporter(locked, note))
        if to_status == Status.CLOSED:
            transaction.on_commit(lambda: _send_closed(locked))
    request.refresh_from_db()
    return request


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
    request: ServiceRequest, assignee: Any, *, actor: Any, expected_version: int | None = None
) -> ServiceRequest:
    """Hand an open report to another officer without changing its status."""
    _check_actor(request, actor)
    with transaction.atomic():
        locked = _lock(request)
        _check_version(locked, expected_version)
        if not locked.is_open:
            raise DomainError("not_open", _("Only open reports can be handed to someone else."))
        if not _can_assign(assignee, locked.village):
            raise DomainError(
                "bad_assignee", _("That officer does not cover this report's village.")
            )
        before = snapshot(locked, AUDIT_FIELDS)
        now = timezone.now()
        locked.assignee = assignee
        locked.version += 1
        locked.updated_at = now
        locked.save()
        RequestUpdate.objects.create(
            request=locked,
            at=now,
            author=actor,
            public=False,
            text=_("Handed to %(name)s.") % {"name": assignee.display_name},
        )
        log_action(
            "servicedesk.reassigned",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, AUDIT_FIELDS),
            territory_code=locked.village.code,
        )
        if assignee != actor:
            transaction.on_commit(lambda: notify.notify_assignee(locked, assignee))
    request.refresh_from_db()
    return request


def add_update(
    request: ServiceRequest, text: str, *, actor: Any, public: bool = False
) -> RequestUpdate:
    """Add a note. Notes never conflict: two officers writing at once both keep theirs."""
    _check_actor(request, actor)
    text = (text or "").strip()
    if not text:
        raise DomainError("empty_update", _("Write the update first."))
    with transaction.atomic():
        locked = _lock(request)
        now = timezone.now()
        update = RequestUpdate.objects.create(
            request=locked, at=now, author=actor, public=public, text=text[:MAX_DESCRIPTION]
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


def add_reporter_note(request: ServiceRequest, text: str) -> RequestUpdate:
    """The reporter adds information from the tracking page (the ticket code is the key).

    Shown to the reporter and the officers; the assignee is told. Closed reports take no more
    notes (the reporter makes a new report instead).
    """
    text = (text or "").strip()
    if not text:
        raise DomainError("empty_update", _("Write the update first."))
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long",
            _("The description is limited to %(n)s characters.") % {"n": MAX_DESCRIPTION},
        )
    with transaction.atomic():
        locked = _lock(request)
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


def remind_overdue(*, now: datetime.datetime | None = None, every_hours: int = 24) -> int:
    """Remind the assignee (or the Polsek's officers when none) of each overdue open report,
    at most once per `every_hours`. Returns how many reports were reminded."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=every_hours)
    due = (
        ServiceRequest.objects.overdue(now)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=since))
        .select_related("service", "village", "assignee")
    )
    count = 0
    for request in due.iterator():
        with transaction.atomic():
            locked = _lock(request)
            if locked.reminded_at is not None and locked.reminded_at >= since:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at"])
            if locked.assignee_id is not None:
                targets = [locked.assignee]
            else:
                targets = [
                    p.user
                    for p in Posting.objects.active(timezone.localdate(now))
                    .filter(role=Role.POLSEK, territory__code=locked.district_code)
                    .select_related("user")
                ]
            for user in targets:
                transaction.on_commit(
                    lambda r=locked, u=user: notify.notify_overdue(r, u)  # type: ignore[misc]
                )
        count += 1
    return count


def mark_duplicate(
    request: ServiceRequest,
    original: ServiceRequest,
    *,
    actor: Any,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Merge a report into the one it repeats: it becomes `duplicate` and points at the original."""
    _check_actor(request, actor)
    _check_actor(original, actor)
    root = original
    seen = {request.pk}
    while root.duplicate_of_id is not None:
        if root.pk in seen:
            break
        seen.add(root.pk)
        root = ServiceRequest.objects.get(pk=root.duplicate_of_id)
    if root.pk == request.pk:
        raise DomainError("self_duplicate", _("A report cannot duplicate itself."))
    transition_request(
        request,
        Status.DUPLICATE,
        actor=actor,
        note=_("Merged into report %(ticket)s, which is being handled.") % {"ticket": root.ticket},
        public=True,
        expected_version=expected_version,
        duplicate_of=root,
    )
    with transaction.atomic():
        RequestUpdate.objects.create(
            request=root,
            at=timezone.now(),
            author=actor,
            public=False,
            text=_("Report %(ticket)s was merged into this one.") % {"ticket": request.ticket},
        )
    request.refresh_from_db()
    return request


def verify_request(request: ServiceRequest, *, actor: Any) -> ServiceRequest:
    """Confirm the report is true: it enters the kamtibmas register as one incident."""
    _check_actor(request, actor)
    with transaction.atomic():
        locked = _lock(request)
        if locked.service.category_id is None:
            raise DomainError(
                "not_an_incident", _("Requests of this service are not kamtibmas incidents.")
            )
        if locked.status in (Status.REJECTED, Status.DUPLICATE, Status.RECEIVED):
            raise DomainError(
                "cannot_verify",
                _("Triage the report first; rejected and duplicate reports are not verified."),
            )
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
        locked.version += 1
        locked.updated_at = now
        locked.save()
        RequestUpdate.objects.create(
            request=locked,
            at=now,
            author=actor,
            public=False,
            text=_("Verified; recorded in the kamtibmas register."),
        )
        log_action(
            "servicedesk.verified",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, AUDIT_FIELDS),
            territory_code=locked.village.code,
        )
    request.refresh_from_db()
    return request


def set_photo_public(photo: Attachment, public: bool, *, actor: Any) -> Attachment:
    """Show a photo on the public page and through Open311 (staff check it first: faces, homes)."""
    _check_actor(photo.request, actor)
    with transaction.atomic():
        locked = Attachment.objects.select_for_update().get(pk=photo.pk)
        if locked.public != public:
            locked.public = public
            locked.save(update_fields=["public"])
            log_action(
                "servicedesk.photo_public" if public else "servicedesk.photo_private",
                locked.request,
                actor=actor,
                after={"photo": locked.pk, "public": public},
                territory_code=locked.request.village.code,
            )
    return locked


def close_expired_resolved(*, now: datetime.datetime | None = None, actor: Any = None) -> int:
    """Close resolved reports whose reopening period is over (run daily)."""
    now = now or timezone.now()
    closed = 0
    candidates = ServiceRequest.objects.filter(status=Status.RESOLVED).select_related("service")
    for request in candidates.iterator():
        until = request.reopen_until()
        if until is None or until > now:
            continue
        with transaction.atomic():
            locked = _lock(request)
            if locked.status != Status.RESOLVED:
                continue
            before = snapshot(locked, AUDIT_FIELDS)
            locked.status = Status.CLOSED
            locked.closed_at = now
            locked.version += 1
            locked.updated_at = now
            locked.save()
            RequestUpdate.objects.create(
                request=locked,
                at=now,
                public=True,
                text=_("Closed: the reopening period is over."),
                status_from=Status.RESOLVED,
                status_to=Status.CLOSED,
            )
            log_action(
                "servicedesk.closed",
                locked,
                actor=actor,
                before=before,
                after=snapshot(locked, AUDIT_FIELDS),
                territory_code=locked.village.code,
            )
            transaction.on_commit(lambda r=locked: _send_closed(r))  # type: ignore[misc]
        closed += 1
    return closed


# ---------------------------------------------------------------- Open311 keys


def create_open311_client(
    name: str, *, actor: Any = None, contact: str = ""
) -> tuple[Open311Client, str]:
    """Issue an API key to a client application. The raw key is returned once, never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _("Name the client application."))
    raw = "o311_" + random_secret(24)
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name[:120],
            prefix=raw[:10],
            key_hash=hash_token(raw),
            contact=contact[:200],
            created_by=actor if _is_user(actor) else None,
        )
        log_action("servicedesk.open311_key_created", client, actor=actor, after=snapshot(client))
    return client, raw


def revoke_open311_client(client: Open311Client, *, actor: Any = None) -> Open311Client:
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            log_action("servicedesk.open311_key_revoked", locked, actor=actor)
    return locked


def open311_client_for_key(raw: str) -> Open311Client | None:
    if not raw:
        return None
    client = Open311Client.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True).first()
    if client is not None:
        now = timezone.now()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def village_from_address(text: str, regency_codes: list[str] | None = None) -> Territory | None:
    """Find the village an Open311 address names ("Tamanan, Trenggalek" or a Kemendagri code)."""
    text = (text or "").strip()
    if not text:
        return None
    exact = Territory.objects.filter(code=text, level=Level.VILLAGE).first()
    if exact is not None:
        return exact
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        return None
    query = Territory.objects.current().filter(level=Level.VILLAGE)
    if regency_codes:
        query = query.filter(regency_code__in=regency_codes)
    for part in parts:
        name = part.lower()
        for prefix in ("desa ", "kelurahan ", "kel. ", "ds. "):
            if name.startswith(prefix):
                name = name[len(prefix) :]
        matches = list(query.filter(name__iexact=name).select_related("parent")[:10])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            # Same village name in two districts: another part must name the district.
            others = {p.lower().removeprefix("kecamatan ").strip() for p in parts if p != part}
            narrowed = [m for m in matches if m.parent and m.parent.name.lower() in others]
            if len(narrowed) == 1:
                return narrowed[0]
    return None


def visible_requests(user: Any) -> Any:
    return ServiceRequest.objects.for_user(user)


def search_q(text: str) -> Q:
    text = text.strip()
    return Q(ticket__iexact=text.upper()) | Q(description__icontains=text)
