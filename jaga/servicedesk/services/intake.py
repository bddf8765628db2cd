"""Intake: routing, answers, submitting a report from any channel."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.accounts.access import in_scope, roles_of
from jaga.accounts.models import Posting, Role
from jaga.analytics.rollups import add_missing_metrics, metrics_update
from jaga.core.audit import Along, log_action, snapshot
from jaga.core.codes import random_code, random_secret
from jaga.core.errors import DomainError
from jaga.core.prepared import Prepared, insert, insert_statement, inserted
from jaga.core.types import Actor, signed_in
from jaga.core.versioned import Versioned, shared
from jaga.incidents.services import check_point
from jaga.servicedesk import metrics as desk_metrics
from jaga.servicedesk import notify
from jaga.servicedesk.models import (
    Attachment,
    Datatype,
    Moderation,
    Open311Client,
    RequestUpdate,
    Service,
    ServiceQuestion,
    ServiceRequest,
    Status,
)
from jaga.servicedesk.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from jaga.servicedesk.services.announce import announce, marked
from jaga.servicedesk.services.common import (
    ACTING_ROLES,
    MAX_DESCRIPTION,
    STAFF_CHANNELS,
)
from jaga.servicedesk.services.tracking import (
    hash_tracking_code,
    new_tracking_code,
    tracking_link,
)
from jaga.territory.models import Level, PoliceUnit, PoliceUnitKind, Territory
from jaga.territory.pemekaran import replacing


@dataclass
class Routing:
    unit: PoliceUnit | None
    officer: Any | None
    postings: list[Posting] = field(default_factory=list)


# ---------------------------------------------------------------- routing


# The intake's lookups, compiled once per process (jaga.core.prepared): the same statements.
_UNIT = Prepared(
    PoliceUnit,
    lambda kind, code: PoliceUnit.objects.filter(kind=kind, territories__code=code).order_by("id"),
    str,
    str,
)
_BHABINS = Prepared(
    Posting,
    lambda village_id, on: (
        Posting.objects.active(on)
        .filter(role=Role.BHABIN, territory_id=village_id, user__is_active=True)
        .select_related("user")
        .order_by("valid_from", "id")
    ),
    int,
)
_VILLAGE = Prepared(
    Territory, lambda code: Territory.objects.filter(code=code, level=Level.VILLAGE), str
)
_QUESTIONS = Prepared(
    ServiceQuestion, lambda service_id: ServiceQuestion.objects.filter(service_id=service_id), int
)
_WITH_KEY = Prepared(
    ServiceRequest, lambda key_hash: ServiceRequest.objects.filter(idempotency_key=key_hash), str
)


# Kept per process while their tables' versions stay (jaga.core.versioned): every intake reads
# them, they change a few times a year. The postings are read each time.
_KEPT_UNIT = Versioned(PoliceUnit, ("police_unit", "territory"), _UNIT.first)
_KEPT_VILLAGE = Versioned(Territory, ("territory",), _VILLAGE.first)
_KEPT_QUESTIONS = Versioned(ServiceQuestion, ("service",), _QUESTIONS.all)


def route(village: Territory, on: datetime.date | None = None) -> Routing:
    """The Polsek whose area holds the village and the Bhabinkamtibmas posted there on `on`.

    A village without an officer goes to its Polsek's duty queue (officer None). A district
    without a Polsek falls back to the Polres of the regency.
    """
    unit = _KEPT_UNIT(str(PoliceUnitKind.POLSEK), village.district_code)
    if unit is None:
        unit = _KEPT_UNIT(str(PoliceUnitKind.POLRES), village.regency_code)
    postings = _BHABINS.all(village.pk, key=on or timezone.localdate())
    return Routing(unit=unit, officer=postings[0].user if postings else None, postings=postings)


def idempotency_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def _questions(service: Service) -> list[ServiceQuestion]:
    """`service.questions.all()`: the prefetched list when there is one."""
    if "questions" in getattr(service, "_prefetched_objects_cache", {}):
        return list(service.questions.all())
    # Kept per process (shared by every caller: not changed here); each list a new one.
    return list(_KEPT_QUESTIONS(service.pk))


def clean_answers(service: Service, raw: dict[str, Any]) -> dict[str, Any]:
    """Check the answers to the service's questions; every problem is reported at once."""
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for question in _questions(service):
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
            try:
                moment = parse_datetime(str(value))
            except ValueError:  # a well-formed but impossible moment (month 13, offset +99:00)
                moment = None
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
        # A report is about today's place: the resident chooses among the villages that
        # replaced it (a split's part is theirs to say; a report is not moved by guess).
        after = replacing(village)
        if not after:
            raise DomainError(
                "village_retired",
                _("%(village)s no longer exists; choose the village that replaced it.")
                % {"village": village.display_name},
            )
        raise DomainError(
            "village_retired",
            ngettext(
                "%(village)s no longer exists (pemekaran on %(date)s); choose the village that "
                "replaced it: %(villages)s.",
                "%(village)s no longer exists (pemekaran on %(date)s); choose one of the villages "
                "that replaced it: %(villages)s.",
                len(after),
            )
            % {
                # The kind (desa, kelurahan, desa adat) as the territory data records it.
                "village": village.display_name,
                "date": formats.date_format(village.valid_to, "j F Y"),
                "villages": ", ".join(f"{t.display_name} ({t.code})" for t in after),
            },
            replaced_by=[t.code for t in after],
        )
    return village


def find_village(code: str) -> Territory:
    """The village with this Kemendagri code, or a clear error."""
    village = _KEPT_VILLAGE((code or "").strip())
    if village is None:
        raise DomainError(
            "unknown_village",
            _("There is no village with the code %(code)s.") % {"code": code or "—"},
        )
    return _check_village(village)


# RFC 5321 limits an address to 254 characters, and so does the column (EmailField).
MAX_EMAIL = 254


def check_email(email: str) -> str:
    """The reporter's address, trimmed; a malformed or over-long one is refused with a message."""
    email = (email or "").strip()
    if not email:
        return ""
    if len(email) > MAX_EMAIL:
        raise DomainError(
            "email_too_long",
            _("An email address has at most %(n)s characters.") % {"n": MAX_EMAIL},
        )
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("bad_email", _("Enter a valid email address.")) from None
    return email


def submit_request(
    *,
    service: Service,
    village: Territory | None,
    description: str,
    channel: str,
    actor: Actor = None,
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
    send_tracking_code: bool = True,
) -> tuple[ServiceRequest, bool]:
    """Receive one report, route it and start its clock. Returns (report, created).

    A retry with the same idempotency key (within its scope) returns the first report unchanged.
    Everything is checked before anything is written: a bad photo or answer changes nothing.

    A new report carries its private tracking code in `report.tracking_code` (plain text, only
    here: the database keeps its hash); it is also sent to the reporter's phone or email. A retry
    gets `tracking_code = ""`: the code was given with the first answer, and an idempotency key
    is not proof of being the reporter. A channel that answers the reporter itself (the WhatsApp
    and SMS conversation) passes `send_tracking_code=False` so the code is not sent twice.
    """
    key_hash = idempotency_hash(idempotency_scope, idempotency_key) if idempotency_key else None
    try:
        request = _submit_new(
            service=service,
            village=village,
            channel=channel,
            actor=actor,
            checks={
                "description": description,
                "latitude": latitude,
                "longitude": longitude,
                "occurred_at": occurred_at,
                "answers": answers or {},
            },
            contact=(anonymous, require_contact, reporter_name, phone, email),
            fields={
                "channel": channel,
                "address": address.strip()[:255],
                "open311_client": open311_client,
                "idempotency_key": key_hash,
            },
            photos=photos or [],
            send_tracking_code=send_tracking_code,
        )
    except (DomainError, IntegrityError):
        # A retry: the key is the first report's (its INSERT met the key's unique constraint, or
        # this body no longer passes), and the first one wins, unchanged. Looked up only here:
        # a new report costs no read of the key.
        first = _first_with_key(key_hash)
        if first is None:
            raise
        return first, False
    return request, True


def _submit_new(
    *,
    service: Service,
    village: Territory | None,
    channel: str,
    actor: Actor,
    checks: dict[str, Any],
    contact: tuple[bool, bool, str, str, str],
    fields: dict[str, Any],
    photos: list[Any],
    send_tracking_code: bool,
) -> ServiceRequest:
    """`submit_request` of a report whose key (if any) no report holds yet: everything checked,
    then written in one transaction."""
    village = _check_submitter(service, village, channel, actor)
    now = timezone.now()
    fields = _checked_fields(service, now=now, **checks) | _checked_contact(*contact) | fields
    cleaned = _checked_photos(photos)
    routing = route(village)
    code = new_tracking_code()
    # One read of the versions for the lookups below and the webhooks' after the commit.
    with shared(), transaction.atomic():
        request = _new_report(
            fields, village=village, routing=routing, actor=actor, code=code, now=now
        )
        if cleaned:  # the photos' rows need the report's key first
            insert(request)
            _attach_photos(request, cleaned)
        _record_receipt(request, routing, actor=actor)
        _send_receipt(request, routing, code if send_tracking_code else "")
    request.tracking_code = code  # type: ignore[attr-defined]
    return request


def _first_with_key(key_hash: str | None) -> ServiceRequest | None:
    """The report a retried submission made first, without its tracking code (see above)."""
    if key_hash is None:
        return None
    first = _WITH_KEY.first(key_hash)
    if first is not None:
        first.tracking_code = ""  # type: ignore[attr-defined]
    return first


def _new_report(
    fields: dict[str, Any],
    *,
    village: Territory,
    routing: Routing,
    actor: Actor,
    code: str,
    now: datetime.datetime,
) -> ServiceRequest:
    """The new report, received now, routed, with its clock started (`Service.due_from`); not
    yet written."""
    service, channel = fields["service"], fields["channel"]
    ticket = random_code(10)
    report = ServiceRequest(
        **fields,
        ticket=ticket,
        token=random_secret(18),
        secret_hash=hash_tracking_code(ticket, code),
        moderation=Moderation.REJECTED if service.sensitive else Moderation.PENDING,
        village=village,
        regency_code=village.regency_code,
        district_code=village.district_code,
        received_at=now,
        updated_at=now,
        reporter_user=signed_in(actor) if channel not in STAFF_CHANNELS else None,
        entered_by=signed_in(actor) if channel in STAFF_CHANNELS else None,
        status=Status.RECEIVED,
        status_notes=_received_text(routing),
        unit=routing.unit,
        assignee=routing.officer,
        due_at=service.due_from(now),
        # On the database queue the report is its own outbox: the worker announces it.
        to_announce=marked(),
    )
    return report


def _check_submitter(
    service: Service, village: Territory | None, channel: str, actor: Actor
) -> Territory:
    if not service.is_active:
        raise DomainError("unknown_service", _("This service is not available."))
    if channel in STAFF_CHANNELS and not (roles_of(actor) & ACTING_ROLES):
        raise DomainError("not_allowed", _("Only desk staff enter walk-in and phone reports."))
    village = _check_village(village)
    if channel in STAFF_CHANNELS and not in_scope(actor, village.code):
        # Desk entry speaks for the police in the officer's own area only.
        raise DomainError("not_allowed", _("This report is outside your area."))
    return village


def _checked_fields(
    service: Service,
    *,
    description: str,
    latitude: float | None,
    longitude: float | None,
    occurred_at: datetime.datetime | None,
    now: datetime.datetime,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """The report's own fields, checked; a problem raises DomainError before anything is written."""
    description = (description or "").strip()
    if not description:
        raise DomainError("empty_description", _("Describe what happened."))
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long",
            _("The description is limited to %(n)s characters.") % {"n": MAX_DESCRIPTION},
        )
    check_point(latitude, longitude)
    if occurred_at is not None and occurred_at > now + datetime.timedelta(minutes=5):
        raise DomainError("future_date", _("The event cannot have happened in the future."))
    return {
        "service": service,
        "description": description,
        "answers": clean_answers(service, answers),
        "latitude": latitude,
        "longitude": longitude,
        "occurred_at": occurred_at,
    }


def _checked_contact(
    anonymous: bool, require_contact: bool, reporter_name: str, phone: str, email: str
) -> dict[str, Any]:
    if anonymous:
        reporter_name = phone = email = ""
    elif require_contact and not (phone.strip() or email.strip()):
        raise DomainError(
            "contact_required",
            _("Give a phone number or an email address, or report anonymously."),
        )
    return {
        "anonymous": anonymous,
        "reporter_name": reporter_name.strip()[:150],
        "phone": phone.strip()[:30],
        "email": check_email(email).strip(),
    }


def _checked_photos(photos: list[Any]) -> list[CleanPhoto]:
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            "too_many_photos", _("At most %(n)s photos per report.") % {"n": MAX_PHOTOS}
        )
    return [clean_photo(p) for p in photos]


def _attach_photos(request: ServiceRequest, cleaned: list[CleanPhoto]) -> None:
    for photo in cleaned:
        Attachment.objects.create(
            request=request,
            file=photo.content,
            content_type=photo.content_type,
            size=photo.content.size,
            width=photo.width,
            height=photo.height,
        )


def _record_receipt(request: ServiceRequest, routing: Routing, *, actor: Actor) -> None:
    """The report (unless written already), its first update, the month's count, the audit row
    and the event of a new report."""
    update = RequestUpdate(
        at=request.received_at,
        author=None,
        public=True,
        text=_received_text(routing),
        status_to=Status.RECEIVED,
    )
    # The month's count moves in the round trip that takes the audit chain's lock (both are
    # held until the commit; one round trip fewer while they are). The month's first report of
    # the service in the village adds the row after.
    key, village = request.service.code, request.village
    moved = Along(*metrics_update(village, request.received_at, [desk_metrics.RECEIVED], +1, key))
    along = _written_along(request, update)
    if along is None:
        if request.pk is None:
            insert(request)
        update.request = request
        insert(update)
        along = []
    log_action(
        "servicedesk.received",
        request,
        actor=actor,
        after=lambda: snapshot(request) | {"secret_hash": "***"},
        territory_code=village.code,
        along=[*along, moved],
    )
    if not request.to_announce:
        # Not marked for the worker (`announce.marked`): the officers' notification is queued
        # in this transaction (jaga.core.outbox).
        announce(request)
    add_missing_metrics(
        village,
        request.received_at,
        [desk_metrics.RECEIVED],
        +1,
        key,
        {str(row["metric"]) for row in moved.rows},
    )


def _written_along(request: ServiceRequest, update: RequestUpdate) -> list[Along] | None:
    """PostgreSQL: the report and its first update written in the round trip that takes the
    audit chain's lock (`audit.Along`), the update reading the report's new key from the
    report's own statement; two round trips fewer. None where they are written apart (SQLite,
    a report already written for its photos, a model saved otherwise)."""
    if request.pk is not None or connection.vendor != "postgresql":
        return None
    # Most of a new report's 43 columns are NULL: written into the statement, the values left
    # are few enough for psycopg to keep the statement's conversion (jaga.core.prepared).
    report = insert_statement(request, null_literals=True)
    first = insert_statement(
        update, source="report", from_source={"request": "id"}, null_literals=True
    )
    if report is None or first is None:
        return None

    def keyed(obj: Any) -> Any:
        def done(rows: list[dict[str, Any]]) -> None:
            obj.pk = rows[0]["id"]
            inserted(obj, connection.alias)

        return done

    return [
        Along(*report, name="report", done=keyed(request)),
        Along(*first, name="received", done=keyed(update)),
    ]


def _send_receipt(request: ServiceRequest, routing: Routing, code: str) -> None:
    """After commit: the tracking code to the reporter (when `code` is given), and the report to
    the village's officer."""
    if code and (request.phone or request.email):
        link = tracking_link(request, code)
        transaction.on_commit(lambda: notify.notify_tracking_code(request, code, link))
    if routing.officer is not None:
        officer = routing.officer
        transaction.on_commit(lambda: notify.notify_assignee(request, officer))


def _received_text(routing: Routing) -> str:
    if routing.unit is None:
        return _("Report received.")
    if routing.officer is None:
        return _("Report received and sent to %(unit)s.") % {"unit": routing.unit.name}
    return _("Report received and sent to %(unit)s and the village's Bhabinkamtibmas.") % {
        "unit": routing.unit.name
    }


def village_from_address(text: str, regency_codes: list[str] | None = None) -> Territory | None:
    """Find the village an Open311 address names ("Ngadirejo, Kepanjenkidul" or a Kemendagri code)."""
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
