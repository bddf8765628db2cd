"""Programmes API: catalogue, adoptions, activities, invitations, check-in and participation."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status, UploadedFile

from jaga.accounts.access import PARTNERSHIP_ROLES, allow, in_scope, scope_codes
from jaga.core.apidocs import gettext_lazy
from jaga.core.params import Limit, Offset
from jaga.core.roundtrip import RoundTripResult, api_result
from jaga.partners.access import (
    EDITOR_ROLES,
    PROGRAMME_ROLES,
    can_edit,
    can_manage_programmes,
    get_organisation_for_user,
    get_person_for_user,
)
from jaga.partners.api import Forbidden, require_editor, territory_in_scope
from jaga.partners.exports import export_response
from jaga.programs import queries, services
from jaga.programs.access import (
    activities_for_user,
    get_activity_for_user,
    get_invitation_for_user,
    invitations_for_user,
)
from jaga.programs.exports import activity_rows
from jaga.programs.models import Activity, Invitation, Programme, ProgrammeAdoption
from jaga.programs.schemas import (
    ActivityIn,
    ActivityOut,
    AdoptionIn,
    AdoptionOut,
    AttendanceIn,
    CheckInBatchIn,
    CheckInBatchOut,
    CheckInIn,
    CheckInOut,
    ImportResult,
    InvitationIn,
    InvitationOut,
    ParticipationOut,
    ProgrammeIn,
    ProgrammeOut,
    RatesOut,
    ResponseIn,
    ScanOut,
)
from jaga.territory.queries import home_code

router = Router(tags=["programmes"])


def require_manager(request: HttpRequest) -> None:
    if not can_manage_programmes(request.user):
        raise Forbidden("forbidden", _("Only Satbinmas staff manage the programme catalogue."))


def get_programme(code: str) -> Programme:
    try:
        return Programme.objects.get(code=code.upper())
    except Programme.DoesNotExist:
        raise Http404 from None


def programme_out(p: Programme, adopted: int) -> ProgrammeOut:
    return ProgrammeOut(
        code=p.code,
        name=p.name,
        goal=p.goal,
        lead_unit=p.lead_unit,
        started_on=p.started_on,
        ended_on=p.ended_on,
        indicators=p.indicator_list(),
        partner_ids=[o.pk for o in p.partners.all()],
        villages_adopted=adopted,
    )


def activity_out(a: Activity) -> ActivityOut:
    return ActivityOut(
        id=a.pk,
        programme_code=a.programme.code,
        kind=a.kind,
        title=a.title,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        village_code=a.village.code,
        area_code=a.area.code,
        village_codes=[v.code for v in a.villages.all()],
        organiser_ids=[o.pk for o in a.organisers.all()],
        partner_ids=[o.pk for o in a.partners.all()],
        head_count=a.head_count,
        grace_minutes=a.grace_minutes,
        checkin_opens_minutes=a.checkin_opens_minutes,
        checkin_closes_minutes=a.checkin_closes_minutes,
        place=a.place,
        outcome=a.outcome,
    )


def invitation_out(i: Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.pk,
        activity_id=i.activity_id,
        person_id=i.person_id,
        organisation_id=i.organisation_id,
        invitee=i.invitee_name,
        code=i.code,
        sent_at=i.sent_at,
        response=i.response,
        status=i.status,
        checked_in_at=i.checked_in_at,
        representative_name=i.representative_name,
    )


def rates_out(p: queries.Participation) -> RatesOut:
    return RatesOut(**p.as_dict())


ACTIVITY_PREFETCH = ("villages", "organisers", "partners")


# --- activities ----------------------------------------------------------------------------


@router.get("/activities", response=list[ActivityOut], summary=gettext_lazy("Activities I may see"))
@allow(*PARTNERSHIP_ROLES)
def list_activities(
    request: HttpRequest,
    programme: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[ActivityOut]:
    qs = activities_for_user(request.user).select_related("programme", "village", "area")
    if programme:
        qs = qs.filter(programme__code=programme.upper())
    if start:
        qs = qs.filter(starts_at__date__gte=start)
    if end:
        qs = qs.filter(starts_at__date__lte=end)
    limit = max(1, min(limit, 1000))
    qs = qs.prefetch_related(*ACTIVITY_PREFETCH).order_by("-starts_at", "-id")
    return [activity_out(a) for a in qs[offset : offset + limit]]


@router.post("/activities", response={201: ActivityOut}, summary=gettext_lazy("Log an activity"))
@allow(*EDITOR_ROLES)
def create_activity(request: HttpRequest, payload: ActivityIn) -> Any:
    require_editor(request)
    village = territory_in_scope(request, payload.village_code)
    area = territory_in_scope(request, payload.area_code) if payload.area_code else village
    activity = services.record_activity(
        actor=request.user,
        programme=get_programme(payload.programme_code),
        kind=payload.kind,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        village=village,
        area=area,
        villages=[territory_in_scope(request, c) for c in payload.village_codes],
        organisers=[get_organisation_for_user(request.user, i) for i in payload.organiser_ids],
        partners=[get_organisation_for_user(request.user, i) for i in payload.partner_ids],
        head_count=payload.head_count,
        grace_minutes=payload.grace_minutes,
        checkin_opens_minutes=payload.checkin_opens_minutes,
        checkin_closes_minutes=payload.checkin_closes_minutes,
        place=payload.place,
        outcome=payload.outcome,
    )
    return Status(201, activity_out(activity))


@router.get("/activities/export", summary=gettext_lazy("Export activities (format=csv|xlsx)"))
@allow(*PARTNERSHIP_ROLES)
def export_activities(request: HttpRequest, format: str = "csv") -> HttpResponse:
    headers, rows = activity_rows(request.user)
    return export_response(headers, rows, "activities", format)


@router.post(
    "/activities/import",
    response=RoundTripResult,
    summary=gettext_lazy("Import activities (round trip; dry_run=true previews)"),
)
@allow(*EDITOR_ROLES)
def import_activities(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False, fingerprint: str = ""
) -> RoundTripResult:
    require_editor(request)
    plan = services.import_activities(
        file, name=file.name, actor=request.user, dry_run=dry_run, expect=fingerprint or None
    )
    return api_result(plan)


@router.get("/activities/{activity_id}", response=ActivityOut, summary=gettext_lazy("One activity"))
@allow(*PARTNERSHIP_ROLES)
def get_activity(request: HttpRequest, activity_id: int) -> ActivityOut:
    return activity_out(get_activity_for_user(request.user, activity_id))


@router.get(
    "/activities/{activity_id}/invitations",
    response=list[InvitationOut],
    summary=gettext_lazy("The activity's invitations I may see"),
)
@allow(*PARTNERSHIP_ROLES)
def list_invitations(request: HttpRequest, activity_id: int) -> list[InvitationOut]:
    activity = get_activity_for_user(request.user, activity_id)
    qs = (
        invitations_for_user(request.user)
        .filter(activity=activity)
        .select_related("person", "organisation")
        .order_by("id")
    )
    return [invitation_out(i) for i in qs]


@router.post(
    "/activities/{activity_id}/invitations",
    response={201: InvitationOut, 200: InvitationOut},
    summary=gettext_lazy("Invite a person or an organisation"),
)
@allow(*EDITOR_ROLES)
def create_invitation(request: HttpRequest, activity_id: int, payload: InvitationIn) -> Any:
    require_editor(request)
    activity = get_activity_for_user(request.user, activity_id)
    person = get_person_for_user(request.user, payload.person_id) if payload.person_id else None
    org = (
        get_organisation_for_user(request.user, payload.organisation_id)
        if payload.organisation_id
        else None
    )
    before = Invitation.objects.filter(activity=activity).count()
    invitation = services.invite(activity, actor=request.user, person=person, organisation=org)
    created = Invitation.objects.filter(activity=activity).count() > before
    return Status(201 if created else 200, invitation_out(invitation))


@router.post(
    "/activities/{activity_id}/checkin",
    response=CheckInOut,
    summary=gettext_lazy("Check in by the invitation's QR code (idempotent)"),
)
@allow(*EDITOR_ROLES)
def check_in(request: HttpRequest, activity_id: int, payload: CheckInIn) -> CheckInOut:
    require_editor(request)
    activity = get_activity_for_user(request.user, activity_id)
    invitation, already = services.check_in(
        payload.code,
        actor=request.user,
        activity=activity,
        representative_name=payload.representative_name,
    )
    return CheckInOut(already=already, invitation=invitation_out(invitation))


@router.post(
    "/activities/{activity_id}/checkins",
    response=CheckInBatchOut,
    summary=gettext_lazy("Check in many scanned codes at once (a scanner's queue, idempotent)"),
)
@allow(*EDITOR_ROLES)
def check_in_batch(
    request: HttpRequest, activity_id: int, payload: CheckInBatchIn
) -> CheckInBatchOut:
    """Each scan is answered as if it had been sent alone, in the order given: done, already
    (nothing changed) or error with the reason; a refused scan does not stop the others. `at` is
    when the phone scanned the code, believed within the last two days."""
    require_editor(request)
    activity = get_activity_for_user(request.user, activity_id)
    outcomes = services.check_in_many(
        [
            services.Scan(s.code, at=s.at, representative_name=s.representative_name)
            for s in payload.scans
        ],
        actor=request.user,
        activity=activity,
    )
    results = [
        ScanOut(
            code=o.code,
            result=o.result,
            error=o.error.code if o.error else None,
            message=str(o.error.message) if o.error else "",
            invitation=invitation_out(o.invitation) if o.invitation else None,
        )
        for o in outcomes
    ]
    count = {kind: sum(r.result == kind for r in results) for kind in ("done", "already", "error")}
    return CheckInBatchOut(
        done=count["done"], already=count["already"], refused=count["error"], results=results
    )


@router.post(
    "/activities/{activity_id}/close",
    response=ImportResult,
    summary=gettext_lazy("Mark every invitee with nothing recorded as absent"),
)
@allow(*EDITOR_ROLES)
def close(request: HttpRequest, activity_id: int) -> ImportResult:
    require_editor(request)
    activity = get_activity_for_user(request.user, activity_id)
    return ImportResult(imported=services.close_attendance(activity, actor=request.user))


@router.post(
    "/invitations/{invitation_id}/response",
    response=InvitationOut,
    summary=gettext_lazy("Record an answer"),
)
@allow(*EDITOR_ROLES)
def respond(request: HttpRequest, invitation_id: int, payload: ResponseIn) -> InvitationOut:
    require_editor(request)
    invitation = get_invitation_for_user(request.user, pk=invitation_id)
    return invitation_out(
        services.record_response(invitation, actor=request.user, response=payload.response)
    )


@router.post(
    "/invitations/{invitation_id}/attendance",
    response=InvitationOut,
    summary=gettext_lazy("Record attendance by hand (present, late, represented, absent, excused)"),
)
@allow(*EDITOR_ROLES)
def attendance(request: HttpRequest, invitation_id: int, payload: AttendanceIn) -> InvitationOut:
    require_editor(request)
    invitation = get_invitation_for_user(request.user, pk=invitation_id)
    return invitation_out(
        services.record_attendance(
            invitation,
            actor=request.user,
            status=payload.status,
            checked_in_at=payload.checked_in_at,
            representative_name=payload.representative_name,
            note=payload.note,
        )
    )


# --- participation -------------------------------------------------------------------------


@router.get(
    "/participation", response=ParticipationOut, summary=gettext_lazy("Participation figures")
)
@allow(*PARTNERSHIP_ROLES)
def participation(
    request: HttpRequest,
    territory: str = "",
    organisation: int | None = None,
    programme: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> ParticipationOut:
    """Response, attendance, punctuality and representation rates (Σ/Σ with their counts) for a
    territory (default: my area), an organisation, a programme and a period, split by community
    leaders vs residents, by education and by programme."""
    code = territory or _default_territory(request)
    if not in_scope(request.user, code, PARTNERSHIP_ROLES):
        raise Http404
    if organisation is not None:
        get_organisation_for_user(request.user, organisation)
    report = queries.participation(
        territory_code=code,
        organisation_id=organisation,
        programme_code=programme.upper() or None,
        start=start,
        end=end,
    )
    return ParticipationOut(
        territory_code=code,
        organisation_id=organisation,
        programme_code=programme.upper() or None,
        start=start,
        end=end,
        total=rates_out(report.total),
        by_group=[rates_out(p) for p in report.by_group],
        by_education=[rates_out(p) for p in report.by_education],
        by_programme=[rates_out(p) for p in report.by_programme],
    )


def _default_territory(request: HttpRequest) -> str:
    scopes = scope_codes(request.user, PARTNERSHIP_ROLES)
    if not scopes:
        raise Http404
    return home_code(scopes) or ""


# --- the catalogue and adoptions -----------------------------------------------------------


@router.post(
    "/adoptions/import",
    response=ImportResult,
    summary=gettext_lazy(
        "Import adoptions (programme_code, village_code, adopted_on); all-or-nothing"
    ),
)
@allow(*PROGRAMME_ROLES)
def import_adoptions(request: HttpRequest, file: File[UploadedFile]) -> ImportResult:
    require_manager(request)
    count = services.import_adoptions(file, name=file.name, actor=request.user)
    return ImportResult(imported=count)


@router.get("", response=list[ProgrammeOut], summary=gettext_lazy("The programme catalogue"))
@allow(*PARTNERSHIP_ROLES)
def list_programmes(request: HttpRequest) -> list[ProgrammeOut]:
    adopted = ProgrammeAdoption.objects.for_user(request.user)
    counts: dict[int, int] = {}
    for pid in adopted.values_list("programme_id", flat=True):
        counts[pid] = counts.get(pid, 0) + 1
    return [
        programme_out(p, counts.get(p.pk, 0))
        for p in Programme.objects.prefetch_related("partners").order_by("code")
    ]


@router.post(
    "", response={201: ProgrammeOut}, summary=gettext_lazy("Add a programme to the catalogue")
)
@allow(*PROGRAMME_ROLES)
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Any:
    require_manager(request)
    data = payload.model_dump()
    data["indicators"] = "\n".join(data["indicators"])
    programme = services.create_programme(actor=request.user, **data)
    return Status(201, programme_out(programme, 0))


@router.get("/{code}", response=ProgrammeOut, summary=gettext_lazy("One programme"))
@allow(*PARTNERSHIP_ROLES)
def get_one(request: HttpRequest, code: str) -> ProgrammeOut:
    p = get_programme(code)
    return programme_out(
        p, ProgrammeAdoption.objects.for_user(request.user).filter(programme=p).count()
    )


@router.get(
    "/{code}/adoptions",
    response=list[AdoptionOut],
    summary=gettext_lazy("Villages (in my area) that adopted the programme, with the date"),
)
@allow(*PARTNERSHIP_ROLES)
def adoptions(request: HttpRequest, code: str) -> list[AdoptionOut]:
    p = get_programme(code)
    qs = ProgrammeAdoption.objects.for_user(request.user).filter(programme=p)
    return [
        AdoptionOut(
            programme_code=p.code,
            village_code=a.village.code,
            village_name=a.village.name,
            adopted_on=a.adopted_on,
        )
        for a in qs.select_related("village").order_by("adopted_on", "village__code")
    ]


@router.post(
    "/{code}/adoptions", response={201: AdoptionOut}, summary=gettext_lazy("A village adopts it")
)
@allow(*EDITOR_ROLES)
def adopt(request: HttpRequest, code: str, payload: AdoptionIn) -> Any:
    if not can_edit(request.user):
        raise Forbidden("forbidden", _("Your role cannot record adoptions."))
    p = get_programme(code)
    village = territory_in_scope(request, payload.village_code)
    a = services.adopt_programme(
        actor=request.user, programme=p, village=village, adopted_on=payload.adopted_on
    )
    return Status(
        201,
        AdoptionOut(
            programme_code=p.code,
            village_code=village.code,
            village_name=village.name,
            adopted_on=a.adopted_on,
        ),
    )
