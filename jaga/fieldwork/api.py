"""Field work API for the mobile field app: send a record with an `Idempotency-Key` header (or a
`client_key` in the body) and a resend returns the first record instead of a copy."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from jaga.accounts.access import STAFF_ROLES, allow, get_for_user
from jaga.core.apidocs import gettext_lazy
from jaga.core.errors import DomainError
from jaga.core.params import MAX_LIMIT, Limit, Offset
from jaga.fieldwork import queries, services
from jaga.fieldwork.models import EarlyDetection, Operation, ProblemCase, Visit
from jaga.incidents.models import Category
from jaga.programs.models import Programme
from jaga.territory.models import Territory

router = Router(tags=["fieldwork"])


def _village(code: str) -> Territory:
    try:
        return Territory.objects.get(code=code)
    except Territory.DoesNotExist:
        raise DomainError(
            "unknown_village", _("Unknown village code “%(code)s”.") % {"code": code}
        ) from None


def _key(request: HttpRequest, body_key: uuid.UUID | None) -> uuid.UUID | None:
    header = request.headers.get("Idempotency-Key", "")
    if body_key is not None:
        return body_key
    if header:
        try:
            return uuid.UUID(header)
        except ValueError:
            # Any string is accepted as a key: derive a stable UUID from it.
            return uuid.uuid5(uuid.NAMESPACE_URL, header)
    return None


class Point(Schema):
    latitude: float | None = None
    longitude: float | None = None


class VisitIn(Point):
    village_code: str
    visited_on: datetime.date
    household_head: str
    members_met: int = 1
    address: str = ""
    topic: str
    concerns: str = ""
    hopes: str = ""
    client_key: uuid.UUID | None = None


class VisitOut(Point):
    id: int
    village_code: str
    officer: str
    visited_on: datetime.date
    household_head: str
    members_met: int
    topic: str
    concerns: str
    hopes: str


def _visit_out(v: Visit) -> VisitOut:
    return VisitOut(
        id=v.pk,
        village_code=v.village.code,
        officer=v.officer.display_name,
        visited_on=v.visited_on,
        household_head=v.household_head,
        members_met=v.members_met,
        topic=v.topic,
        concerns=v.concerns,
        hopes=v.hopes,
        latitude=v.latitude,
        longitude=v.longitude,
    )


@router.post("/visits", response={201: VisitOut}, summary=gettext_lazy("Record a visit (sambang)"))
@allow(*services.FIELD_ROLES)
def create_visit(request: HttpRequest, payload: VisitIn) -> Status[Any]:
    data = payload.model_dump(exclude={"village_code", "client_key"})
    visit = services.record_visit(
        actor=request.user,
        village=_village(payload.village_code),
        client_key=_key(request, payload.client_key),
        **data,
    )
    return Status(201, _visit_out(visit))


@router.get(
    "/visits", response=list[VisitOut], summary=gettext_lazy("Visits in my scope, newest first")
)
@allow(*STAFF_ROLES)
def list_visits(
    request: HttpRequest, village: str = "", officer_id: int | None = None, limit: Limit = 100
) -> list[VisitOut]:
    qs = Visit.objects.for_user(request.user).select_related("village", "officer")
    if village:
        qs = qs.filter(village__code=village)
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    return [_visit_out(v) for v in qs[: max(1, min(limit, 1000))]]


class VillageVisitOut(Schema):
    village_code: str
    name: str
    last_visit: datetime.date | None
    days_since: int | None
    visits: int
    overdue: bool


VILLAGE_PAGE = MAX_LIMIT  # more than the villages of any one regency (852 at most)


@router.get(
    "/visits/villages",
    response=list[VillageVisitOut],
    summary=gettext_lazy("Villages in my scope with their last visit; overdue ones flagged"),
    description=gettext_lazy(
        "One page of the villages in scope, in code order: `limit` villages (at most and by "
        "default 1,000, more than any regency holds, so a Polsek or Polres gets all of its "
        "villages at once) from `offset`. `area` keeps the villages inside a district, regency "
        "or province. The header `X-Total-Count` gives the number of villages of every page; "
        "a province or the whole country reads `visits/areas` (figures per district, regency "
        "or province) instead of every village."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "headers": {
                    "X-Total-Count": {
                        "description": "Villages in scope (inside `area`), on every page.",
                        "schema": {"type": "integer"},
                    }
                },
            }
        }
    },
)
@allow(*STAFF_ROLES)
def village_status(
    request: HttpRequest,
    response: HttpResponse,
    area: str = "",
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Villages to return (1 to 1000).")
    ] = VILLAGE_PAGE,
    offset: Offset = 0,
) -> list[VillageVisitOut]:
    rows = queries.village_visit_status(
        request.user, within=area or None, offset=offset, limit=limit
    )
    if offset == 0 and len(rows) < limit:
        total = len(rows)  # the whole list is on this page: no second query
    else:
        total = queries.villages_in_scope(request.user, area or None).count()
    response["X-Total-Count"] = str(total)
    return [
        VillageVisitOut(
            village_code=r.village.code,
            name=r.village.name,
            last_visit=r.last_visit,
            days_since=r.days_since,
            visits=r.visits,
            overdue=r.overdue,
        )
        for r in rows
    ]


class AreaVisitOut(Schema):
    area_code: str
    name: str
    level: str
    villages: int
    visited: int
    overdue: int
    visits: int
    last_visit: datetime.date | None


@router.get(
    "/visits/areas",
    response=list[AreaVisitOut],
    summary=gettext_lazy("Visits per district, regency or province of my scope"),
    description=gettext_lazy(
        "The figures of `visits/villages` summed per area: villages in scope, how many were "
        "visited within the visit gap (a norm) and how many not (`overdue`), visits and the "
        "last one. `level` is `district`, `regency` or `province`; by default one level below "
        "the widest area of the scope (the country by province, a Polda by regency, a Polres "
        "or Polsek by district). `area` keeps the areas inside a territory."
    ),
)
@allow(*STAFF_ROLES)
def area_status(
    request: HttpRequest, level: queries.AreaLevel | None = None, area: str = ""
) -> list[AreaVisitOut]:
    chosen = level or queries.default_area_level(request.user)
    return [
        AreaVisitOut(
            area_code=r.area.code,
            name=r.area.display_name,
            level=r.area.level,
            villages=r.villages,
            visited=r.visited,
            overdue=r.overdue,
            visits=r.visits,
            last_visit=r.last_visit,
        )
        for r in queries.area_visit_status(request.user, chosen, within=area or None)
    ]


@router.get("/visits/{visit_id}", response=VisitOut, summary=gettext_lazy("One visit"))
@allow(*STAFF_ROLES)
def get_visit(request: HttpRequest, visit_id: int) -> VisitOut:
    return _visit_out(
        get_for_user(Visit.objects.select_related("village", "officer"), request.user, pk=visit_id)
    )


class DetectionIn(Point):
    village_code: str
    observed_at: datetime.datetime
    information: str
    source_kind: str
    urgency: str
    frequency: str
    topic: str
    category: str | None = None
    client_key: uuid.UUID | None = None


class DetectionOut(Point):
    id: int
    village_code: str
    observed_at: datetime.datetime
    information: str
    source_kind: str
    urgency: str
    frequency: str
    topic: str
    category: str | None
    status: str
    incident_id: int | None
    problem_case_id: int | None


def _detection_out(d: EarlyDetection) -> DetectionOut:
    return DetectionOut(
        id=d.pk,
        village_code=d.village.code,
        observed_at=d.observed_at,
        information=d.information,
        source_kind=d.source_kind,
        urgency=d.urgency,
        frequency=d.frequency,
        topic=d.topic,
        category=d.category.code if d.category else None,
        status=d.status,
        incident_id=d.incident_id,
        problem_case_id=d.problem_case_id,
        latitude=d.latitude,
        longitude=d.longitude,
    )


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    found = Category.objects.filter(code=code).first()
    if found is None:
        raise DomainError("unknown_category", _("Unknown category “%(code)s”.") % {"code": code})
    return found


@router.post(
    "/detections", response={201: DetectionOut}, summary=gettext_lazy("Record an early detection")
)
@allow(*services.FIELD_ROLES)
def create_detection(request: HttpRequest, payload: DetectionIn) -> Status[Any]:
    data = payload.model_dump(exclude={"village_code", "client_key", "category"})
    detection = services.record_detection(
        actor=request.user,
        village=_village(payload.village_code),
        category=_category(payload.category),
        client_key=_key(request, payload.client_key),
        **data,
    )
    return Status(201, _detection_out(detection))


@router.get(
    "/detections/{detection_id}", response=DetectionOut, summary=gettext_lazy("One early detection")
)
@allow(*STAFF_ROLES)
def get_detection(request: HttpRequest, detection_id: int) -> DetectionOut:
    return _detection_out(
        get_for_user(
            EarlyDetection.objects.select_related("village", "category"),
            request.user,
            pk=detection_id,
        )
    )


class EscalateIn(Schema):
    to: str  # "incident" | "case" | "closed"
    category: str | None = None
    title: str = ""


@router.post(
    "/detections/{detection_id}/escalate",
    response=DetectionOut,
    summary=gettext_lazy("Record as an incident, open a problem case, or close"),
)
@allow(*services.FIELD_ROLES)
def escalate(request: HttpRequest, detection_id: int, payload: EscalateIn) -> DetectionOut:
    found = get_for_user(
        EarlyDetection.objects.select_related("village"), request.user, pk=detection_id
    )
    if payload.to == "incident":
        services.escalate_detection_to_incident(
            found, actor=request.user, category=_category(payload.category)
        )
    elif payload.to == "case":
        services.escalate_detection_to_case(
            found, actor=request.user, title=payload.title or found.information[:80]
        )
    elif payload.to == "closed":
        services.close_detection(found, actor=request.user)
    else:
        raise DomainError("bad_target", _("Escalate to incident, case or closed."))
    found.refresh_from_db()
    return _detection_out(found)


class CaseIn(Schema):
    village_code: str
    title: str
    kind: str
    opened_on: datetime.date
    problem: str
    categories: list[str] = []
    village_codes: list[str] = []
    incident_ids: list[int] = []
    party_one: str = ""
    party_two: str = ""
    client_key: uuid.UUID | None = None


class BeforeAfterOut(Schema):
    window_days: int
    before: int
    after: int


class CaseOut(Schema):
    id: int
    village_code: str
    title: str
    kind: str
    stage: str
    opened_on: datetime.date
    problem: str
    causes: str
    actions: str
    responsible_partners: str
    response_started_on: datetime.date | None
    party_one: str
    party_two: str
    outcome: str
    plan_carried_out: bool | None
    assessment: BeforeAfterOut


def _case_out(c: ProblemCase) -> CaseOut:
    result = queries.case_before_after(c)
    return CaseOut(
        id=c.pk,
        village_code=c.village.code,
        title=c.title,
        kind=c.kind,
        stage=c.stage,
        opened_on=c.opened_on,
        problem=c.problem,
        causes=c.causes,
        actions=c.actions,
        responsible_partners=c.responsible_partners,
        response_started_on=c.response_started_on,
        party_one=c.party_one,
        party_two=c.party_two,
        outcome=c.outcome,
        plan_carried_out=c.plan_carried_out,
        assessment=BeforeAfterOut(
            window_days=result.window_days, before=result.before, after=result.after
        ),
    )


@router.post("/cases", response={201: CaseOut}, summary=gettext_lazy("Open a problem-solving case"))
@allow(*services.CASE_ROLES)
def create_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    from jaga.incidents.models import Incident

    case = services.open_case(
        actor=request.user,
        village=_village(payload.village_code),
        title=payload.title,
        kind=payload.kind,
        opened_on=payload.opened_on,
        problem=payload.problem,
        categories=[c for c in (_category(code) for code in payload.categories) if c],
        villages=[_village(code) for code in payload.village_codes],
        incidents=list(
            Incident.objects.filter(pk__in=payload.incident_ids).select_related("village")
        ),
        party_one=payload.party_one,
        party_two=payload.party_two,
        client_key=_key(request, payload.client_key),
    )
    return Status(201, _case_out(case))


def _get_case(request: HttpRequest, case_id: int) -> ProblemCase:
    return get_for_user(ProblemCase.objects.select_related("village"), request.user, pk=case_id)


@router.get(
    "/cases/{case_id}",
    response=CaseOut,
    summary=gettext_lazy("One case with its computed assessment"),
)
@allow(*STAFF_ROLES)
def get_case(request: HttpRequest, case_id: int) -> CaseOut:
    return _case_out(_get_case(request, case_id))


class CaseUpdate(Schema):
    causes: str | None = None
    people_involved: str | None = None
    places_involved: str | None = None
    actions: str | None = None
    responsible_partners: str | None = None
    response_started_on: datetime.date | None = None
    mediated_on: datetime.date | None = None
    agreement: str | None = None
    outcome: str | None = None
    plan_carried_out: bool | None = None
    assessment: str | None = None


@router.patch(
    "/cases/{case_id}", response=CaseOut, summary=gettext_lazy("Write the current stage's fields")
)
@allow(*services.CASE_ROLES)
def update_case(request: HttpRequest, case_id: int, payload: CaseUpdate) -> CaseOut:
    found = _get_case(request, case_id)
    fields: dict[str, Any] = payload.model_dump(exclude_unset=True)
    return _case_out(services.update_case(found, actor=request.user, **fields))


class MoveIn(Schema):
    to: str


@router.post(
    "/cases/{case_id}/move",
    response=CaseOut,
    summary=gettext_lazy("Move the case to another stage"),
)
@allow(*services.CASE_ROLES)
def move_case(request: HttpRequest, case_id: int, payload: MoveIn) -> CaseOut:
    found = _get_case(request, case_id)
    return _case_out(services.move_case(found, payload.to, actor=request.user))


class FindingIn(Schema):
    target: str
    quantity: Decimal
    follow_up: str = ""
    note: str = ""


class FindingOut(FindingIn):
    incident_id: int | None


class OperationIn(Point):
    programme: str
    village_code: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None = None
    place: str
    team_size: int
    vehicles_checked: int = 0
    people_checked: int = 0
    note: str = ""
    findings: list[FindingIn] = []
    client_key: uuid.UUID | None = None


class OperationOut(Point):
    id: int
    programme: str
    village_code: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    place: str
    team_size: int
    vehicles_checked: int
    people_checked: int
    findings: list[FindingOut]


def _operation_out(o: Operation) -> OperationOut:
    return OperationOut(
        id=o.pk,
        programme=o.programme.code,
        village_code=o.village.code,
        started_at=o.started_at,
        ended_at=o.ended_at,
        place=o.place,
        team_size=o.team_size,
        vehicles_checked=o.vehicles_checked,
        people_checked=o.people_checked,
        latitude=o.latitude,
        longitude=o.longitude,
        findings=[
            FindingOut(
                target=f.target,
                quantity=f.quantity,
                follow_up=f.follow_up,
                note=f.note,
                incident_id=f.incident_id,
            )
            for f in o.findings.all()
        ],
    )


@router.post(
    "/operations", response={201: OperationOut}, summary=gettext_lazy("Record a raid (razia)")
)
@allow(*services.OPERATION_ROLES)
def create_operation(request: HttpRequest, payload: OperationIn) -> Status[Any]:
    programme = Programme.objects.filter(code=payload.programme).first()
    if programme is None:
        raise DomainError(
            "unknown_programme",
            _("Unknown programme “%(code)s”.") % {"code": payload.programme},
        )
    data = payload.model_dump(exclude={"programme", "village_code", "client_key", "findings"})
    operation = services.record_operation(
        actor=request.user,
        programme=programme,
        village=_village(payload.village_code),
        findings=[f.model_dump() for f in payload.findings],
        client_key=_key(request, payload.client_key),
        **data,
    )
    return Status(201, _operation_out(operation))


@router.get(
    "/operations",
    response=list[OperationOut],
    summary=gettext_lazy("Raids in my scope, newest first"),
)
@allow(*STAFF_ROLES)
def list_operations(request: HttpRequest, limit: Limit = 50) -> list[OperationOut]:
    qs = (
        Operation.objects.for_user(request.user)
        .select_related("village", "programme")
        .prefetch_related("findings")
    )
    return [_operation_out(o) for o in qs[: max(1, min(limit, 500))]]


@router.get("/operations/{operation_id}", response=OperationOut, summary=gettext_lazy("One raid"))
@allow(*STAFF_ROLES)
def get_operation(request: HttpRequest, operation_id: int) -> OperationOut:
    return _operation_out(
        get_for_user(
            Operation.objects.select_related("village", "programme"), request.user, pk=operation_id
        )
    )
