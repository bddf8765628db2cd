"""Partners API: organisations, people, memberships, agreements; imports and exports."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status, UploadedFile

from jaga.accounts.access import (
    PARTNERSHIP_ROLES,
    allow,
    territory_for_user,
)
from jaga.core.apidocs import gettext_lazy
from jaga.core.errors import DomainError
from jaga.core.params import Limit, Offset
from jaga.core.roundtrip import RoundTripResult, api_result
from jaga.partners import exports, queries, services
from jaga.partners.access import (
    EDITOR_ROLES,
    agreements_for_user,
    can_edit,
    get_organisation_for_user,
    get_person_for_user,
    memberships_for_user,
    organisations_for_user,
    people_for_user,
    territory_roles,
)
from jaga.partners.models import Membership, Organisation, Person
from jaga.partners.schemas import (
    AgreementOut,
    MembershipIn,
    MembershipOut,
    OrganisationIn,
    OrganisationOut,
    PartyOut,
    PersonIn,
    PersonOut,
    VillageQuotaOut,
)
from jaga.territory.models import Territory

router = Router(tags=["partners"])


class Forbidden(DomainError):
    status = 403


def require_editor(request: HttpRequest) -> None:
    if not can_edit(request.user):
        raise Forbidden("forbidden", _("Your role cannot change partner records."))


def territory_in_scope(request: HttpRequest, code: str) -> Territory:
    found: Territory = territory_for_user(request.user, code, territory_roles(request.user))
    return found


def person_out(p: Person) -> PersonOut:
    return PersonOut(
        id=p.pk,
        full_name=p.full_name,
        village_code=p.village.code,
        gender=p.gender,
        birth_year=p.birth_year,
        education=p.education,
        occupation=p.occupation,
        community_roles=list(p.community_roles),
        is_leader=p.is_leader,
        position=p.position,
        nik_masked=p.nik_masked,
    )


def org_out(o: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=o.pk,
        kind=o.kind,
        name=o.name,
        local_name=o.local_name,
        territory_code=o.territory.code,
        parent_id=o.parent_id,
        founded_on=o.founded_on,
    )


def membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(
        id=m.pk,
        person_id=m.person_id,
        person_name=m.person.full_name,
        organisation_id=m.organisation_id,
        organisation_name=m.organisation.name,
        role=m.role,
        started_on=m.started_on,
        ended_on=m.ended_on,
    )


@router.get(
    "/organisations",
    response=list[OrganisationOut],
    summary=gettext_lazy("Organisations I may see"),
)
@allow(*PARTNERSHIP_ROLES)
def list_organisations(
    request: HttpRequest, kind: str = "", q: str = "", limit: Limit = 200, offset: Offset = 0
) -> list[OrganisationOut]:
    qs = organisations_for_user(request.user).select_related("territory")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(local_name__icontains=q))
    limit = max(1, min(limit, 1000))
    return [org_out(o) for o in qs.order_by("kind", "name")[offset : offset + limit]]


@router.post(
    "/organisations",
    response={201: OrganisationOut},
    summary=gettext_lazy("Register an organisation"),
)
@allow(*EDITOR_ROLES)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    require_editor(request)
    territory = territory_in_scope(request, payload.territory_code)
    parent = (
        get_organisation_for_user(request.user, payload.parent_id) if payload.parent_id else None
    )
    org = services.create_organisation(
        actor=request.user,
        kind=payload.kind,
        name=payload.name,
        local_name=payload.local_name,
        territory=territory,
        parent=parent,
        founded_on=payload.founded_on,
    )
    return Status(201, org_out(org))


@router.get("/organisations/export", summary=gettext_lazy("Export organisations (format=csv|xlsx)"))
@allow(*PARTNERSHIP_ROLES)
def export_organisations(request: HttpRequest, format: str = "csv") -> HttpResponse:
    return exports.export("organisations", request.user, format)


@router.post(
    "/organisations/import",
    response=RoundTripResult,
    summary=gettext_lazy("Import organisations (round trip; dry_run=true previews)"),
)
@allow(*EDITOR_ROLES)
def import_organisations(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False, fingerprint: str = ""
) -> RoundTripResult:
    require_editor(request)
    plan = services.import_organisations(
        file, name=file.name, actor=request.user, dry_run=dry_run, expect=fingerprint or None
    )
    return api_result(plan)


@router.get(
    "/organisations/{org_id}", response=OrganisationOut, summary=gettext_lazy("One organisation")
)
@allow(*PARTNERSHIP_ROLES)
def get_organisation(request: HttpRequest, org_id: int) -> OrganisationOut:
    return org_out(get_organisation_for_user(request.user, org_id))


@router.get(
    "/organisations/{org_id}/members",
    response=list[MembershipOut],
    summary=gettext_lazy("Its members"),
)
@allow(*PARTNERSHIP_ROLES)
def organisation_members(request: HttpRequest, org_id: int) -> list[MembershipOut]:
    org = get_organisation_for_user(request.user, org_id)
    qs = org.memberships.select_related("person", "organisation").order_by("role", "id")
    return [membership_out(m) for m in qs]


@router.get(
    "/organisations/{org_id}/pokdar-quota",
    response=list[VillageQuotaOut],
    summary=gettext_lazy("A Pokdar unit's villages with their members and how many they lack"),
)
@allow(*PARTNERSHIP_ROLES)
def pokdar_quota(request: HttpRequest, org_id: int) -> list[VillageQuotaOut]:
    org = get_organisation_for_user(request.user, org_id)
    return [
        VillageQuotaOut(
            village_code=q.village.code,
            village_name=q.village.name,
            members=q.members,
            missing=q.missing,
        )
        for q in queries.pokdar_quota(org)
    ]


@router.get("/people", response=list[PersonOut], summary=gettext_lazy("People I may see"))
@allow(*PARTNERSHIP_ROLES)
def list_people(
    request: HttpRequest, village: str = "", q: str = "", limit: Limit = 200, offset: Offset = 0
) -> list[PersonOut]:
    qs = people_for_user(request.user).select_related("village")
    if village:
        qs = qs.filter(Q(village__code=village) | Q(village__code__startswith=village + "."))
    if q:
        qs = qs.filter(full_name__icontains=q)
    limit = max(1, min(limit, 1000))
    return [person_out(p) for p in qs.order_by("full_name", "id")[offset : offset + limit]]


@router.post("/people", response={201: PersonOut}, summary=gettext_lazy("Register a person"))
@allow(*EDITOR_ROLES)
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    require_editor(request)
    data = payload.model_dump()
    village = territory_in_scope(request, data.pop("village_code"))
    person = services.create_person(actor=request.user, village=village, **data)
    return Status(201, person_out(person))


@router.get("/people/export", summary=gettext_lazy("Export people (format=csv|xlsx); NIK masked"))
@allow(*PARTNERSHIP_ROLES)
def export_people(request: HttpRequest, format: str = "csv") -> HttpResponse:
    return exports.export("people", request.user, format)


@router.post(
    "/people/import",
    response=RoundTripResult,
    summary=gettext_lazy("Import people (round trip; dry_run=true previews)"),
)
@allow(*EDITOR_ROLES)
def import_people(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False, fingerprint: str = ""
) -> RoundTripResult:
    require_editor(request)
    plan = services.import_people(
        file, name=file.name, actor=request.user, dry_run=dry_run, expect=fingerprint or None
    )
    return api_result(plan)


@router.get("/people/{person_id}", response=PersonOut, summary=gettext_lazy("One person"))
@allow(*PARTNERSHIP_ROLES)
def get_person(request: HttpRequest, person_id: int) -> PersonOut:
    return person_out(get_person_for_user(request.user, person_id))


@router.get(
    "/memberships", response=list[MembershipOut], summary=gettext_lazy("Memberships I may see")
)
@allow(*PARTNERSHIP_ROLES)
def list_memberships(
    request: HttpRequest, organisation: int | None = None, limit: Limit = 500, offset: Offset = 0
) -> list[MembershipOut]:
    qs = memberships_for_user(request.user).select_related("person", "organisation")
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    limit = max(1, min(limit, 2000))
    return [membership_out(m) for m in qs.order_by("id")[offset : offset + limit]]


@router.post(
    "/memberships", response={201: MembershipOut}, summary=gettext_lazy("Add a membership")
)
@allow(*EDITOR_ROLES)
def create_membership(request: HttpRequest, payload: MembershipIn) -> Any:
    require_editor(request)
    membership = services.add_membership(
        actor=request.user,
        person=get_person_for_user(request.user, payload.person_id),
        organisation=get_organisation_for_user(request.user, payload.organisation_id),
        role=payload.role,
        started_on=payload.started_on,
        ended_on=payload.ended_on,
    )
    return Status(201, membership_out(membership))


@router.get("/memberships/export", summary=gettext_lazy("Export memberships (format=csv|xlsx)"))
@allow(*PARTNERSHIP_ROLES)
def export_memberships(request: HttpRequest, format: str = "csv") -> HttpResponse:
    return exports.export("memberships", request.user, format)


@router.post(
    "/memberships/import",
    response=RoundTripResult,
    summary=gettext_lazy("Import memberships (round trip; dry_run=true previews)"),
)
@allow(*EDITOR_ROLES)
def import_memberships(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False, fingerprint: str = ""
) -> RoundTripResult:
    require_editor(request)
    plan = services.import_memberships(
        file, name=file.name, actor=request.user, dry_run=dry_run, expect=fingerprint or None
    )
    return api_result(plan)


@router.get(
    "/agreements",
    response=list[AgreementOut],
    summary=gettext_lazy("Agreements (founding, MoU, peace)"),
)
@allow(*PARTNERSHIP_ROLES)
def list_agreements(request: HttpRequest) -> list[AgreementOut]:
    qs = (
        agreements_for_user(request.user)
        .select_related("territory")
        .prefetch_related("parties")
        .order_by("-signed_on", "id")
    )
    return [
        AgreementOut(
            id=a.pk,
            title=a.title,
            kind=a.kind,
            territory_code=a.territory.code,
            organisation_id=a.organisation_id,
            signed_on=a.signed_on,
            document_url=a.document.url if a.document else "",
            parties=[PartyOut(role=p.role, name=p.name) for p in a.parties.all()],
        )
        for a in qs
    ]
