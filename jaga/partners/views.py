"""Pages of the partnership registry (mounted at /mitra/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jaga.accounts.access import PARTNERSHIP_ROLES, allow, in_scope
from jaga.core import roundtrip
from jaga.core.errors import DomainError
from jaga.core.protected import serve
from jaga.partners import exports, queries, services
from jaga.partners.access import (
    EDITOR_ROLES,
    agreements_for_user,
    can_edit,
    get_or_404,
    get_organisation_for_user,
    get_person_for_user,
    organisations_for_user,
    people_for_user,
    territory_roles,
)
from jaga.partners.forms import (
    AgreementForm,
    FkpmForm,
    MembershipForm,
    OrganisationForm,
    PersonForm,
    UploadForm,
)
from jaga.partners.models import Education, OrgKind, PartyRole
from jaga.territory.models import Territory
from jaga.territory.pemekaran import replacing


def territory_or_error(request: HttpRequest, code: str) -> Territory:
    """The territory a form names, if in the user's partnership scope; else a DomainError that the
    form shows (the API's `territory_in_scope` answers 404 instead)."""
    if not in_scope(request.user, code, territory_roles(request.user)):
        raise DomainError("outside_area", _("%(code)s is outside your area.") % {"code": code})
    found = Territory.objects.filter(code=code).first()
    if found is None:
        raise DomainError(
            "unknown_territory", _("Unknown territory code %(code)s.") % {"code": code}
        )
    return found


def _require_editor(request: HttpRequest) -> None:
    if not can_edit(request.user):
        raise Http404


@login_required
@allow(*PARTNERSHIP_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    orgs = organisations_for_user(request.user).select_related("territory", "parent")
    kinds = dict(
        orgs.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    if kind:
        orgs = orgs.filter(kind=kind)
    orgs = orgs.annotate(members=Count("memberships")).order_by("kind", "name")
    page = Paginator(orgs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "partners/index.html",
        {
            "page": page,
            "kind": kind,
            "kinds": [(k, label, kinds.get(k, 0)) for k, label in OrgKind.choices],
            "people_count": people_for_user(request.user).count(),
            "can_edit": can_edit(request.user),
        },
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def people(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    group = request.GET.get("group", "")
    qs = people_for_user(request.user).select_related("village")
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(village__name__icontains=q))
    if group == "leaders":
        qs = qs.filter(is_leader=True)
    elif group == "residents":
        qs = qs.filter(is_leader=False)
    page = Paginator(qs.order_by("full_name", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "partners/people.html",
        {"page": page, "q": q, "group": group, "can_edit": can_edit(request.user)},
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk)
    from jaga.programs.access import invitations_for_user

    invitations = (
        invitations_for_user(request.user)
        .filter(person=person)
        .select_related("activity__programme")
        .order_by("-activity__starts_at")[:50]
    )
    return render(
        request,
        "partners/person.html",
        {
            "person": person,
            "memberships": person.memberships.select_related("organisation"),
            "invitations": invitations,
            "can_edit": can_edit(request.user),
        },
    )


@login_required
@allow(*EDITOR_ROLES)
def person_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = PersonForm(request.POST or None, initial=request.GET or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            village = territory_or_error(request, data.pop("village_code"))
            person = services.create_person(actor=request.user, village=village, **data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(name)s registered.") % {"name": person.full_name})
            return redirect("partners:person", pk=person.pk)
    return render(request, "partners/form.html", {"form": form, "title": _("Register a person")})


@login_required
@allow(*EDITOR_ROLES)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    person = get_person_for_user(request.user, pk)
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS if f != "village"}
    initial["village_code"] = person.village.code
    form = PersonForm(request.POST or None, initial=initial, user=request.user)
    form.fields["nik"].help_text = _("Leave empty to keep the NIK on record (%(masked)s).") % {
        "masked": person.nik_masked or "—"
    }
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        nik = data.pop("nik") or None
        try:
            data["village"] = territory_or_error(request, data.pop("village_code"))
            services.update_person(person, actor=request.user, nik=nik, **data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("partners:person", pk=person.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": person.full_name}},
    )


def _ended_notice(org: Any) -> str:
    """What the page of an organisation whose village a pemekaran ended says about it."""
    village = org.territory
    if village.valid_to is None:
        return ""
    after = replacing(village)
    values = {
        "village": village.display_name,
        "date": date_format(village.valid_to, "j F Y"),
        "villages": ", ".join(t.display_name for t in after),
        "organisation": org.name,
    }
    if after:
        text = _(
            "%(village)s ended on %(date)s (pemekaran) and was replaced by %(villages)s. The "
            "members who joined before that day stay; from that day on %(organisation)s takes "
            "no new members."
        )
    else:
        text = _(
            "%(village)s ended on %(date)s (pemekaran). The members who joined before that day "
            "stay; from that day on %(organisation)s takes no new members."
        )
    return text % values


@login_required
@allow(*PARTNERSHIP_ROLES)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organisation_for_user(request.user, pk)
    form = MembershipForm(request.POST or None, user=request.user)
    if request.method == "POST":
        _require_editor(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = get_person_for_user(request.user, data["person_id"])
                services.add_membership(
                    actor=request.user,
                    person=person,
                    organisation=org,
                    role=data["role"],
                    started_on=data["started_on"],
                    ended_on=data["ended_on"],
                )
            except Http404:
                form.add_error("person_id", _("No such person in your area."))
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Member added."))
                return redirect("partners:organisation", pk=org.pk)
    quota = queries.pokdar_quota(org) if org.kind == OrgKind.POKDAR else None
    return render(
        request,
        "partners/organisation.html",
        {
            "org": org,
            "memberships": org.memberships.select_related("person__village").order_by(
                "person__village__code", "role", "person__full_name"
            ),
            "children": org.children.select_related("territory").order_by("name"),
            "agreements": agreements_for_user(request.user)
            .filter(Q(organisation=org) | Q(parties__organisation=org))
            .distinct()
            .prefetch_related("parties"),
            "quota": quota,
            "lacking": [q for q in quota if q.missing] if quota else [],
            "form": form,
            "can_edit": can_edit(request.user),
            "ended": _ended_notice(org),
        },
    )


@login_required
@allow(*EDITOR_ROLES)
def organisation_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = OrganisationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            territory = territory_or_error(request, data.pop("territory_code"))
            org = services.create_organisation(actor=request.user, territory=territory, **data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(name)s registered.") % {"name": org.name})
            return redirect("partners:organisation", pk=org.pk)
    return render(
        request, "partners/form.html", {"form": form, "title": _("Register an organisation")}
    )


@login_required
@allow(*EDITOR_ROLES)
def fkpm_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = FkpmForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.found_fkpm(
                actor=request.user,
                name=data["name"],
                local_name=data["local_name"],
                territory=territory_or_error(request, data["territory_code"]),
                signed_on=data["signed_on"],
                police=data["police"],
                government=data["government"],
                community=form.community_list(),
                document=data["document"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(name)s founded.") % {"name": org.name})
            return redirect("partners:organisation", pk=org.pk)
    return render(
        request,
        "partners/form.html",
        {
            "form": form,
            "title": _("Found an FKPM"),
            "intro": _(
                "An FKPM is founded by agreement of the Kapolsek, the Camat / Kepala Desa / Lurah "
                "and community leaders. All three parties are required."
            ),
        },
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def agreement_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An agreement's signed document, for whoever may see the agreement (404 otherwise)."""
    agreement = get_or_404(agreements_for_user(request.user), pk=pk)
    if not agreement.document:
        raise Http404
    return serve(agreement.document, download=True)


@login_required
@allow(*EDITOR_ROLES)
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    org = get_organisation_for_user(request.user, pk)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parties: list[dict[str, Any]] = [
            {"role": PartyRole.ORGANISATION, "name": org.name, "organisation": org}
        ] + [
            {"role": PartyRole.ORGANISATION, "name": line.strip()}
            for line in data["parties"].splitlines()
            if line.strip()
        ]
        try:
            services.record_agreement(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                territory=org.territory,
                signed_on=data["signed_on"],
                parties=parties,
                organisation=org,
                document=data["document"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Agreement recorded."))
            return redirect("partners:organisation", pk=org.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": _("Record an agreement of %(name)s") % {"name": org.name}},
    )


IMPORTS = {
    "people": services.import_people,
    "organisations": services.import_organisations,
    "memberships": services.import_memberships,
}
IMPORT_TITLES = {
    "people": gettext_lazy("Import people"),
    "organisations": gettext_lazy("Import organisations"),
    "memberships": gettext_lazy("Import memberships"),
}


@login_required
@allow(*PARTNERSHIP_ROLES)
def transfer(request: HttpRequest) -> HttpResponse:
    """Import and export people, organisations and memberships (CSV / XLSX)."""
    form = UploadForm()
    errors: list[dict[str, Any]] = []
    return render(
        request,
        "partners/transfer.html",
        {
            "form": form,
            "errors": errors,
            "can_edit": can_edit(request.user),
            "educations": Education.values,
        },
    )


@login_required
@require_POST
@allow(*EDITOR_ROLES)
def import_file(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload → preview (what would be added, updated, left unchanged) → confirm."""
    _require_editor(request)
    if kind not in IMPORTS:
        raise Http404
    form = UploadForm(request.POST, request.FILES)
    errors: list[dict[str, Any]] = []
    if "token" in request.POST or form.is_valid():
        response, errors = roundtrip.web_import(
            request,
            IMPORTS[kind],
            title=str(IMPORT_TITLES[kind]),
            upload=None if "token" in request.POST else form.cleaned_data["file"],
            back_url=reverse("partners:transfer"),
        )
        if response is not None:
            return response
    return render(
        request,
        "partners/transfer.html",
        {"form": UploadForm(), "errors": errors, "kind": kind, "can_edit": True},
        status=400,
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def export_file(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in exports.EXPORTS:
        raise Http404
    return exports.export(kind, request.user, request.GET.get("format", "csv"))
