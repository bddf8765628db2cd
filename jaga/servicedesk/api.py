"""The service desk's JSON API: public intake and tracking (no login), and the officers' queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile
from ninja.params.functions import Header  # the call form, typed (ninja.Header is generic)
from pydantic import ValidationError as SchemaError

from jaga.accounts.access import STAFF_ROLES, allow, allow_public, get_for_user, unscoped
from jaga.core import ratelimit
from jaga.core.apidocs import gettext_lazy
from jaga.core.errors import DomainError
from jaga.core.links import absolute_reverse, absolute_url
from jaga.core.params import Limit, Offset
from jaga.core.prepared import Prepared
from jaga.core.versioned import Versioned, shared
from jaga.servicedesk import models, queries, services
from jaga.servicedesk.models import (
    STAFF_CHANNELS,
    Channel,
    Service,
    ServiceRequest,
)
from jaga.servicedesk.schemas import (
    ChoiceOut,
    CreatedOut,
    DeskRequestIn,
    MoveIn,
    NearbyOut,
    PublicRequestOut,
    PublicUpdateOut,
    QuestionOut,
    ReporterNoteIn,
    RequestIn,
    ServiceOut,
    StaffRequestDetail,
    StaffRequestOut,
    TransitionIn,
    UnitSummaryOut,
    UpdateIn,
    UpdateOut,
    VillageOut,
)
from jaga.territory.models import Level, Territory

router = Router(tags=["servicedesk"])


_ACTIVE_SERVICE = Prepared(
    Service, lambda code: Service.objects.filter(code=code, is_active=True), str
)
# Kept per process while the catalogue's version stays (jaga.core.versioned).
_KEPT_SERVICE = Versioned(Service, ("service",), _ACTIVE_SERVICE.first)


def _service(code: str) -> Service:
    service = _KEPT_SERVICE(code)
    if service is None:
        raise DomainError("unknown_service", _("Unknown service %(code)s.") % {"code": code})
    return service


def service_out(s: Service) -> ServiceOut:
    return ServiceOut(
        code=s.code,
        name=s.name,
        group=s.group,
        description=s.description,
        sla_hours=s.sla_hours,
        sensitive=s.sensitive,
        questions=[
            QuestionOut(
                code=q.code,
                prompt=q.prompt,
                datatype=q.datatype,
                required=q.required,
                choices=[ChoiceOut(key=k, name=n) for k, n in q.choices()],
            )
            for q in s.questions.all()
        ],
    )


@router.get(
    "/services", response=list[ServiceOut], auth=None, summary=gettext_lazy("The service catalogue")
)
@allow_public
def service_list(request: HttpRequest) -> list[ServiceOut]:
    return [
        service_out(s) for s in Service.objects.filter(is_active=True).prefetch_related("questions")
    ]


@router.get(
    "/villages",
    response=list[VillageOut],
    auth=None,
    summary=gettext_lazy("Find a village by name (public)"),
)
@allow_public
def villages(request: HttpRequest, q: str = "", limit: Limit = 20) -> list[VillageOut]:
    """Village code, name and district name only: the public picker of the report form."""
    q = q.strip()
    if len(q) < 2:
        return []
    found = (
        Territory.objects.current()
        .filter(level=Level.VILLAGE)
        .filter(Q(name__icontains=q) | Q(code__startswith=q) | Q(parent__name__icontains=q))
        .select_related("parent")
        .order_by("name", "code")[: max(1, min(limit, 50))]
    )
    return [
        VillageOut(code=v.code, name=v.display_name, district=v.parent.name if v.parent else "")
        for v in found
    ]


def public_out(r: ServiceRequest, private: bool = False) -> PublicRequestOut:
    """The ticket alone: the public status and approved public text of a report that may be
    public. With the tracking code (`private`): also the reporter's own text and the notes."""
    return PublicRequestOut(
        ticket=r.ticket,
        service_code=r.service.code,
        service_name=r.service.name,
        status=r.status,
        status_label=r.get_status_display(),
        village=r.village.display_name,
        district=r.village.parent.name if r.village.parent else "",
        agency=r.unit.name if r.unit else "",
        received_at=r.received_at,
        due_at=r.due_at,
        overdue=r.is_overdue,
        private=private,
        description=r.description if private else r.public_text,
        updates=[
            PublicUpdateOut(at=u.at, text=u.text, status=u.status_to)
            for u in queries.public_updates(r)
        ]
        if private
        else [],
    )


def _created(request: HttpRequest, r: ServiceRequest, created: bool) -> CreatedOut:
    code = getattr(r, "tracking_code", "")
    return CreatedOut(
        ticket=r.ticket,
        status=r.status,
        due_at=r.due_at,
        track_url=absolute_reverse("servicedesk:track", r.ticket),
        tracking_code=code,
        tracking_url=absolute_url(services.tracking_path(r, code)) if code else "",
        created=created,
    )


def _parse_part(schema: type[RequestIn], text: str) -> Any:
    """The JSON `data` part of a multipart submission, checked as the JSON body would be."""
    try:
        return schema.model_validate_json(text or "{}")
    except SchemaError as exc:
        fields = ", ".join(
            ".".join(str(p) for p in error["loc"]) or "data" for error in exc.errors()
        )
        raise DomainError(
            "bad_data",
            _("The data part is not a valid report (check %(fields)s).") % {"fields": fields},
        ) from None


def _submit(request: HttpRequest, data: RequestIn, channel: str, key: str, **extra: Any) -> Any:
    # The lookups of the village, the service and those inside `submit_request` share one read
    # of the tables' versions (jaga.core.versioned); the intake writes none of those tables.
    with shared():
        village = services.find_village(data.village_code)
        report, created = services.submit_request(
            service=_service(data.service_code),
            village=village,
            description=data.description,
            channel=channel,
            latitude=data.latitude,
            longitude=data.longitude,
            occurred_at=data.occurred_at,
            anonymous=data.anonymous,
            reporter_name=data.name,
            phone=data.phone,
            email=data.email,
            answers=data.answers,
            idempotency_key=key,
            **extra,
        )
    return Status(201 if created else 200, _created(request, report, created))


@router.post(
    "/requests",
    response={200: CreatedOut, 201: CreatedOut},
    auth=None,
    summary=gettext_lazy("Submit a report (public; send an Idempotency-Key to make retries safe)"),
)
@allow_public
def submit(
    request: HttpRequest,
    data: RequestIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    ratelimit.hit(request, "public")
    return _submit(
        request,
        data,
        Channel.API,
        idempotency_key,
        idempotency_scope="api",
        require_contact=not data.anonymous,
    )


@router.post(
    "/requests/with-photos",
    response={200: CreatedOut, 201: CreatedOut},
    auth=None,
    summary=gettext_lazy(
        "Submit a report with photos (multipart: `data` holds the report as JSON, `photos` the "
        "files)"
    ),
)
@allow_public
def submit_with_photos(
    request: HttpRequest,
    data: Form[str],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    ratelimit.hit(request, "public")
    report = _parse_part(RequestIn, data)
    return _submit(
        request,
        report,
        Channel.API,
        idempotency_key,
        idempotency_scope="api",
        require_contact=not report.anonymous,
        photos=list(photos or []),
    )


def _tracked(request: HttpRequest, ticket: str, code: str) -> tuple[ServiceRequest, bool]:
    """The report and whether the caller holds its key (tracking code or the reporter's
    account). A wrong code counts against the caller's rate limit."""
    reports = ServiceRequest.objects.select_related("service", "village__parent", "unit").filter(
        ticket=ticket.strip().upper()
    )
    # The ticket names the row: shown below only as the public may see it, or to the key's holder.
    found = unscoped(reports, "tracking by ticket: public fields or the key's holder").first()
    private = found is not None and services.holds_key(found, code=code, user=request.user)
    if code and not private:
        ratelimit.hit(request, "tracking-code")
    if found is None or (not private and not found.publishable):
        raise Http404  # a sensitive report does not exist for whoever lacks its code
    return found, private


@router.get(
    "/track/{ticket}",
    response=PublicRequestOut,
    auth=None,
    summary=gettext_lazy(
        "Follow a report: the public status, or everything with the X-Tracking-Code header"
    ),
)
@allow_public
def track(
    request: HttpRequest, ticket: str, code: str = Header("", alias="X-Tracking-Code")
) -> PublicRequestOut:
    found, private = _tracked(request, ticket, code)
    if code and not private:
        raise services.TrackingCodeRequired(
            "tracking_code", _("This tracking code does not match the ticket.")
        )
    return public_out(found, private)


@router.post(
    "/track/{ticket}/notes",
    response={201: PublicUpdateOut},
    auth=None,
    summary=gettext_lazy("The reporter adds information (needs the X-Tracking-Code header)"),
)
@allow_public
def reporter_note(
    request: HttpRequest,
    ticket: str,
    data: ReporterNoteIn,
    code: str = Header("", alias="X-Tracking-Code"),
) -> Any:
    found, _private = _tracked(request, ticket, code)
    ratelimit.hit(request, "public-note")
    update = services.add_reporter_note(found, data.text, code=code, user=request.user)
    return Status(201, PublicUpdateOut(at=update.at, text=update.text, status=""))


@router.get(
    "/nearby",
    response=list[NearbyOut],
    auth=None,
    summary=gettext_lazy(
        "Open public reports of the same service in the village (shown before submitting)"
    ),
)
@allow_public
def nearby(request: HttpRequest, service_code: str, village_code: str) -> list[NearbyOut]:
    """Never reports of a sensitive service, and by village only (never by point)."""
    service = _service(service_code)
    village = services.find_village(village_code)
    return [
        NearbyOut(
            ticket=r.ticket,
            service_name=r.service.name,
            status_label=r.get_status_display(),
            village=r.village.display_name,
            received_at=r.received_at,
        )
        for r in queries.nearby_public(service=service, village=village)
    ]


# ------------------------------------------------------------------ staff


def staff_out(r: ServiceRequest) -> dict[str, Any]:
    return {
        "ticket": r.ticket,
        "channel": r.channel,
        "service_code": r.service.code,
        "status": r.status,
        "village_code": r.village.code,
        "village": r.village.name,
        "unit": r.unit.name if r.unit else "",
        "assignee": r.assignee.display_name if r.assignee else "",
        "received_at": r.received_at,
        "due_at": r.due_at,
        "overdue": r.is_overdue,
        "resolved_in_time": r.resolved_in_time,
        "version": r.version,
    }


def _get(request: HttpRequest, ticket: str) -> ServiceRequest:
    return get_for_user(
        ServiceRequest.objects.select_related("service", "village", "unit", "assignee"),
        request.user,
        ticket=ticket.strip().upper(),
    )


def detail_out(r: ServiceRequest) -> StaffRequestDetail:
    return StaffRequestDetail(
        **staff_out(r),
        description=r.description,
        answers=r.answers,
        latitude=r.latitude,
        longitude=r.longitude,
        address=r.address,
        anonymous=r.anonymous,
        reporter_name=r.reporter_name,
        phone=r.phone,
        email=r.email,
        duplicate_of=r.duplicate_of.ticket if r.duplicate_of else None,
        incident_id=r.incident_id,
        allowed=services.allowed_transitions(r),
        updates=[
            UpdateOut(
                at=u.at,
                author=u.author.display_name if u.author else "",
                public=u.public,
                text=u.text,
                status_from=u.status_from,
                status_to=u.status_to,
            )
            for u in r.updates.select_related("author")
        ],
    )


@router.get(
    "/requests", response=list[StaffRequestOut], summary=gettext_lazy("The queue in my scope")
)
@allow(*STAFF_ROLES)
def queue(
    request: HttpRequest,
    service: str = "",
    status: str = "",
    village: str = "",
    overdue: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    params = {"service": service, "status": status, "village": village, "overdue": overdue}
    rows = queries.queue(request.user, params)  # type: ignore[arg-type]
    limit = max(1, min(limit, 500))
    return [staff_out(r) for r in rows[max(0, offset) : max(0, offset) + limit]]


@router.get(
    "/requests/{ticket}", response=StaffRequestDetail, summary=gettext_lazy("One report (staff)")
)
@allow(*STAFF_ROLES)
def request_detail(request: HttpRequest, ticket: str) -> StaffRequestDetail:
    return detail_out(_get(request, ticket))


@router.post(
    "/requests/{ticket}/transition",
    response=StaffRequestDetail,
    summary=gettext_lazy("Change the status"),
)
@allow(*STAFF_ROLES)
def transition(request: HttpRequest, ticket: str, data: TransitionIn) -> StaffRequestDetail:
    report = _get(request, ticket)
    assignee = None
    if data.assignee:
        assignee = get_user_model().objects.filter(username=data.assignee).first()
        if assignee is None:
            raise DomainError("bad_assignee", _("Unknown officer %(u)s.") % {"u": data.assignee})
    original = None
    if data.status == models.Status.DUPLICATE and data.duplicate_of:
        # Looked up in the caller's scope: a ticket outside it is a 404.
        original = _get(request, data.duplicate_of)
    services.move_request(
        report,
        data.status,
        actor=request.user,
        note=data.note,
        public=data.public,
        assignee=assignee,
        expected_version=data.version,
        duplicate_of=original,
    )
    return detail_out(_get(request, ticket))


@router.post(
    "/requests/{ticket}/updates", response={201: UpdateOut}, summary=gettext_lazy("Add a note")
)
@allow(*STAFF_ROLES)
def add_update(request: HttpRequest, ticket: str, data: UpdateIn) -> Any:
    update = services.add_update(
        _get(request, ticket), data.text, actor=request.user, public=data.public
    )
    return Status(
        201,
        UpdateOut(
            at=update.at,
            author=request.user.display_name,  # type: ignore[union-attr]
            public=update.public,
            text=update.text,
            status_from="",
            status_to="",
        ),
    )


@router.post(
    "/requests/{ticket}/village",
    response=StaffRequestDetail,
    summary=gettext_lazy("Move a report of an ended village to one of its successors"),
    description=gettext_lazy(
        "A report dated from its village's end (pemekaran) on belongs to one of the villages "
        "that replaced it: `village` is that village's code (staff's choice, never guessed). "
        "Refused, changing nothing, for any other village (the error's `replaced_by` lists "
        "the successors' codes), a report its village takes, or one already verified."
    ),
)
@allow(*services.ACTING_ROLES)
def move_village(request: HttpRequest, ticket: str, data: MoveIn) -> StaffRequestDetail:
    report = _get(request, ticket)
    code = data.village.strip()
    _ended, after = services.village_ended(report)
    village = next((t for t in after if t.code == code), None)
    if village is None:
        village = Territory.objects.filter(code=code, level=Level.VILLAGE).first()
    if village is None:
        message = _("Unknown village %(code)s.") % {"code": code}
        if after:
            message += " " + _("The villages that replaced %(village)s: %(villages)s.") % {
                "village": report.village.display_name,
                "villages": ", ".join(f"{t.display_name} ({t.code})" for t in after),
            }
        raise DomainError("unknown_village", message, replaced_by=[t.code for t in after])
    services.move_to_successor(report, village, actor=request.user, expected_version=data.version)
    return detail_out(_get(request, ticket))


@router.post(
    "/requests/{ticket}/verify",
    response=StaffRequestDetail,
    summary=gettext_lazy("Verify: record the report in the kamtibmas register"),
)
@allow(*STAFF_ROLES)
def verify(request: HttpRequest, ticket: str) -> StaffRequestDetail:
    services.verify_request(_get(request, ticket), actor=request.user)
    return detail_out(_get(request, ticket))


@router.post(
    "/intake",
    response={200: CreatedOut, 201: CreatedOut},
    summary=gettext_lazy("Desk staff enter a walk-in, phone or message report"),
)
@allow(*services.ACTING_ROLES)
def intake(
    request: HttpRequest,
    data: DeskRequestIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    if data.channel not in STAFF_CHANNELS:
        raise DomainError("bad_channel", _("Channel must be walk_in, phone or messaging."))
    return _submit(
        request,
        data,
        data.channel,
        idempotency_key,
        actor=request.user,
        idempotency_scope=f"desk:{request.user.pk}",
    )


@router.post(
    "/intake/with-photos",
    response={200: CreatedOut, 201: CreatedOut},
    summary=gettext_lazy(
        "Desk staff enter a report with photos (multipart: `data` as JSON, `photos` the files)"
    ),
)
@allow(*services.ACTING_ROLES)
def intake_with_photos(
    request: HttpRequest,
    data: Form[str],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    report = _parse_part(DeskRequestIn, data)
    if report.channel not in STAFF_CHANNELS:
        raise DomainError("bad_channel", _("Channel must be walk_in, phone or messaging."))
    return _submit(
        request,
        report,
        report.channel,
        idempotency_key,
        actor=request.user,
        idempotency_scope=f"desk:{request.user.pk}",
        photos=list(photos or []),
    )


@router.get(
    "/summary",
    response=list[UnitSummaryOut],
    summary=gettext_lazy("Open, overdue, in time per Polsek"),
)
@allow(*STAFF_ROLES)
def summary(request: HttpRequest) -> list[dict[str, Any]]:
    return queries.unit_summary(request.user)
