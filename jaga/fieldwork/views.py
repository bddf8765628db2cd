"""Field work pages. Thin: forms are checked here, every change goes through `services`."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    code_in_scope,
    get_for_user,
    has_role,
    scope_codes,
    territory_for_user,
    unscoped,
)
from jaga.accounts.models import Role
from jaga.core import charts
from jaga.core.errors import DomainError
from jaga.core.protected import serve
from jaga.core.tabular import write_csv, write_xlsx
from jaga.fieldwork import queries, services
from jaga.fieldwork.forms import (
    CaseForm,
    DetectionForm,
    MoveForm,
    OperationForm,
    StageForm,
    VisitForm,
)
from jaga.fieldwork.models import (
    CaseStage,
    DetectionStatus,
    EarlyDetection,
    Operation,
    ProblemCase,
    Visit,
)
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import replacing

MAX_ROWS = 300  # beyond this many villages the overview lists only those waiting for a visit


def _visits_chart(series: list[tuple[datetime.date, int]]) -> SafeString:
    """A column per month with its count above; on a phone, a row per month."""
    return charts.column_chart(
        [date_format(month, "M y") for month, _n in series],
        [[charts.Part("", [n for _m, n in series])]],
        title=_("Visits per month (last 12 months)"),
        counts_above=True,
        label_chars=6,
        height=140,
        slot_fill=0.67,
        phone_rows=True,
    )


def _saved(url: str, client_key: Any) -> HttpResponse:
    """After a save: the phone's outbox removes the entry with this idempotency key."""
    return redirect(f"{url}?saved={client_key}")


def _form_page(
    request: HttpRequest, form: Any, *, title: str, draft: str, intro: str = ""
) -> HttpResponse:
    return render(
        request,
        "fieldwork/form.html",
        {"form": form, "title": title, "draft": draft, "intro": intro},
    )


def _refused(request: HttpRequest, form: Any, exc: DomainError) -> None:
    """The service's refusal, on the form. A village a pemekaran ended sends the record to the
    villages that replaced it: when none of them is in the officer's area yet (postings follow
    later), the officer is told who can change that instead of being left with no choice."""
    message = str(exc.message)
    if exc.code == "village_ended":
        chosen = [form.cleaned_data.get("village"), *(form.cleaned_data.get("villages") or [])]
        scopes = scope_codes(request.user)
        for village in chosen:
            if not isinstance(village, Territory) or village.valid_to is None:
                continue
            after = replacing(village)
            if after and not any(code_in_scope(t.code, scopes) for t in after):
                message += " " + _(
                    "None of them is in your area yet: ask your Polres administrator to post "
                    "you there."
                )
                break
    form.add_error(None, message)


def _point(data: dict[str, Any]) -> dict[str, Any]:
    return {"latitude": data.get("latitude"), "longitude": data.get("longitude")}


# What a chosen area is summed over on the overview: above a regency, its areas one level down.
AREA_BELOW = {Level.COUNTRY: queries.AreaLevel.PROVINCE, Level.PROVINCE: queries.AreaLevel.REGENCY}


def _visit_overview(request: HttpRequest) -> dict[str, Any]:
    """The overview's villages: a Polres or smaller area lists them (past `MAX_ROWS` only those
    waiting for a visit); a province or the country lists its regencies or provinces with the
    villages' figures summed (`?wilayah=CODE` opens one of them, down to its villages)."""
    user = request.user
    code = request.GET.get("wilayah", "").strip()
    place = territory_for_user(user, code) if code else None
    level: str | None = AREA_BELOW.get(place.level) if place else None
    if place is None:
        wide = queries.default_area_level(user)
        level = wide if wide != queries.AreaLevel.DISTRICT else None
    within = place.code if place and place.level != Level.COUNTRY else None
    if level is not None:
        areas = queries.area_visit_status(user, level, within=within)
        return {
            "place": place,
            "areas": areas,
            "area_level": queries.AreaLevel(level).label,
            "village_count": sum(a.villages for a in areas),
            "overdue_count": sum(a.overdue for a in areas),
        }
    rows = queries.village_visit_status(user, within=within)
    overdue = [r for r in rows if r.overdue]
    shown = rows if len(rows) <= MAX_ROWS else overdue[:MAX_ROWS]
    return {
        "place": place,
        "rows": shown,
        "village_count": len(rows),
        "only_overdue": shown is not rows,
        "overdue_count": len(overdue),
    }


@login_required
@allow(*STAFF_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "fieldwork/index.html",
        {
            **_visit_overview(request),
            "officers": queries.officer_activity(user)[:MAX_ROWS],
            "gap": services.norm("visit_gap_days"),
            "detections": EarlyDetection.objects.for_user(user)
            .filter(status=DetectionStatus.OPEN)
            .select_related("village")[:5],
            "cases": ProblemCase.objects.for_user(user)
            .exclude(stage__in=[CaseStage.CLOSED, CaseStage.DROPPED])
            .select_related("village")[:5],
            "operations": Operation.objects.for_user(user).select_related("village", "programme")[
                :5
            ],
            "can_field": has_role(user, *services.FIELD_ROLES),
            "can_operate": has_role(user, *services.OPERATION_ROLES),
            "can_case": has_role(user, *services.CASE_ROLES),
        },
    )


# ------------------------------------------------------------------------------------ visits


@login_required
@allow(*services.FIELD_ROLES)
def visit_new(request: HttpRequest) -> HttpResponse:
    form = VisitForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.record_visit(
                actor=request.user,
                village=data["village"],
                visited_on=data["visited_on"],
                household_head=data["household_head"],
                members_met=data["members_met"],
                address=data["address"],
                topic=data["topic"],
                concerns=data["concerns"],
                hopes=data["hopes"],
                photo=data["photo"],
                client_key=data["client_key"],
                **_point(data),
            )
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return _saved(
                reverse("fieldwork:village", args=[visit.village.code]), data["client_key"]
            )
    return _form_page(request, form, title=_("Record a visit (sambang)"), draft="visit")


@login_required
@allow(*STAFF_ROLES)
def village(request: HttpRequest, code: str) -> HttpResponse:
    place = territory_for_user(request.user, code, level=Level.VILLAGE)
    series = queries.monthly_visits(village_ids=[place.pk], within=place.code)
    visits = unscoped(Visit.objects.filter(village=place), "village checked above").select_related(
        "officer"
    )
    page = Paginator(visits, 30).get_page(request.GET.get("page"))
    status = queries.village_visit_status(request.user, within=code)
    return render(
        request,
        "fieldwork/visits.html",
        {
            "title": place.display_name,
            "village": place,
            "status": status[0] if status else None,
            "chart": _visits_chart(series),
            "page": page,
            "show_village": False,
        },
    )


@login_required
@allow(*STAFF_ROLES)
def officer(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_user_model().objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    visits = Visit.objects.for_user(request.user).filter(officer=person).select_related("village")
    if person != request.user and not visits.exists():
        raise Http404
    series = queries.monthly_visits(officer_id=person.pk, viewer=request.user)
    page = Paginator(visits, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/visits.html",
        {
            "title": person.display_name,
            "chart": _visits_chart(series),
            "page": page,
            "show_village": True,
        },
    )


# Who may open a visit's photo (a household's door): police officers, not residents or partners.
PHOTO_ROLES = (Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER, Role.ADMIN)


@login_required
@allow(*PHOTO_ROLES)
def visit_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A visit's photo, for police officers whose area holds the visit (404 otherwise)."""
    if not has_role(request.user, *PHOTO_ROLES):
        raise Http404
    found = get_for_user(Visit.objects.all(), request.user, pk=pk)
    if not found.photo:
        raise Http404
    return serve(found.photo)


EXPORT_LIMIT = 100_000


@login_required
@allow(*STAFF_ROLES)
def visits_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Visits in my area (optionally one village) as XLSX or CSV, newest first."""
    qs = Visit.objects.for_user(request.user).select_related("village", "officer")
    village_code = request.GET.get("village", "").strip()
    if village_code:
        qs = qs.filter(village__code=village_code)
    headers = [
        "visited_on",
        "village_code",
        "village_name",
        "officer",
        "household_head",
        "members_met",
        "address",
        "topic",
        "concerns",
        "hopes",
        "latitude",
        "longitude",
    ]
    rows = (
        [
            v.visited_on.isoformat(),
            v.village.code,
            v.village.name,
            v.officer.display_name,
            v.household_head,
            v.members_met,
            v.address,
            v.get_topic_display(),
            v.concerns,
            v.hopes,
            v.latitude,
            v.longitude,
        ]
        for v in qs[:EXPORT_LIMIT].iterator(chunk_size=2000)
    )
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(headers, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(write_csv(headers, rows), content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="sambang-{stamp}.{fmt}"'
    return response


# --------------------------------------------------------------------------- early detection


@login_required
@allow(*services.FIELD_ROLES)
def detection_new(request: HttpRequest) -> HttpResponse:
    form = DetectionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            detection = services.record_detection(
                actor=request.user,
                village=data["village"],
                observed_at=data["observed_at"],
                information=data["information"],
                source_kind=data["source_kind"],
                urgency=data["urgency"],
                frequency=data["frequency"],
                topic=data["topic"],
                category=data["category"],
                client_key=data["client_key"],
                **_point(data),
            )
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Early detection recorded."))
            return _saved(reverse("fieldwork:detection", args=[detection.pk]), data["client_key"])
    return _form_page(request, form, title=_("Record an early detection"), draft="detection")


@login_required
@allow(*STAFF_ROLES)
def detection(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_for_user(
        EarlyDetection.objects.select_related("village", "officer", "category", "incident"),
        request.user,
        pk=pk,
    )
    return render(
        request,
        "fieldwork/detection.html",
        {
            "d": found,
            "transitions": services.DETECTION_TRANSITIONS[found.status],
            "can_field": has_role(request.user, *services.FIELD_ROLES),
        },
    )


@login_required
@require_POST
@allow(*services.FIELD_ROLES)
def detection_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_for_user(EarlyDetection.objects.select_related("village"), request.user, pk=pk)
    to = request.POST.get("to", "")
    try:
        if to == DetectionStatus.INCIDENT:
            services.escalate_detection_to_incident(found, actor=request.user)
            messages.success(request, _("Recorded in the incident register."))
        elif to == DetectionStatus.CASE:
            case = services.escalate_detection_to_case(
                found,
                actor=request.user,
                title=request.POST.get("title", "").strip() or found.information[:80],
            )
            messages.success(request, _("Problem-solving case opened."))
            return redirect("fieldwork:case", case.pk)
        elif to == DetectionStatus.CLOSED:
            services.close_detection(found, actor=request.user)
            messages.success(request, _("Early detection closed."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("fieldwork:detection", found.pk)


@login_required
@allow(*STAFF_ROLES)
def detections(request: HttpRequest) -> HttpResponse:
    qs = EarlyDetection.objects.for_user(request.user).select_related("village", "officer")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "fieldwork/detections.html", {"page": page})


# ------------------------------------------------------------------------------ problem cases


@login_required
@allow(*services.CASE_ROLES)
def case_new(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.open_case(
                actor=request.user,
                village=data["village"],
                title=data["title"],
                kind=data["kind"],
                opened_on=data["opened_on"],
                problem=data["problem"],
                categories=data["categories"],
                party_one=data["party_one"],
                party_two=data["party_two"],
                client_key=data["client_key"],
            )
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Problem-solving case opened."))
            return _saved(reverse("fieldwork:case", args=[case.pk]), data["client_key"])
    return _form_page(request, form, title=_("Open a problem-solving case"), draft="case")


@login_required
@allow(*STAFF_ROLES)
def cases(request: HttpRequest) -> HttpResponse:
    qs = ProblemCase.objects.for_user(request.user).select_related("village", "officer")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "fieldwork/cases.html", {"page": page})


@login_required
@allow(*STAFF_ROLES)
def case(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_for_user(
        ProblemCase.objects.select_related("village", "officer"), request.user, pk=pk
    )
    can_edit = has_role(request.user, *services.CASE_ROLES)
    stage_form = StageForm(
        request.POST or None, request.FILES or None, stage=found.stage, initial=_initial(found)
    )
    if request.method == "POST" and can_edit and stage_form.is_valid():
        try:
            services.update_case(found, actor=request.user, **stage_form.changes())
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Case updated."))
        return redirect("fieldwork:case", found.pk)
    return render(
        request,
        "fieldwork/case.html",
        {
            "case": found,
            "stage_form": stage_form if stage_form.fields else None,
            "transitions": [CaseStage(s) for s in services.CASE_TRANSITIONS[found.stage]],
            "stages": [
                CaseStage.SCANNING,
                CaseStage.ANALYSIS,
                CaseStage.RESPONSE,
                CaseStage.ASSESSMENT,
                CaseStage.CLOSED,
            ],
            "before_after": queries.case_before_after(found),
            "villages": found.villages.all(),
            "categories": found.categories.all(),
            "incidents": found.incidents.select_related("category", "village"),
            "can_edit": can_edit,
        },
    )


@login_required
@allow(*services.CASE_ROLES, Role.LEADER)
def case_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A case's signed agreement, for whoever may open the case (404 otherwise)."""
    if not has_role(request.user, *services.CASE_ROLES, Role.LEADER):
        raise Http404
    found = get_for_user(ProblemCase.objects.all(), request.user, pk=pk)
    if not found.agreement_document:
        raise Http404
    return serve(found.agreement_document, download=True)


def _initial(case: ProblemCase) -> dict[str, Any]:
    from jaga.fieldwork.services import STAGE_FIELDS

    return {name: getattr(case, name) for names in STAGE_FIELDS.values() for name in names}


@login_required
@require_POST
@allow(*services.CASE_ROLES)
def case_move(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_for_user(ProblemCase.objects.select_related("village"), request.user, pk=pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.move_case(found, form.cleaned_data["to"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The case moved on."))
    return redirect("fieldwork:case", found.pk)


# ------------------------------------------------------------------------------- operations


@login_required
@allow(*services.OPERATION_ROLES)
def operation_new(request: HttpRequest) -> HttpResponse:
    form = OperationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            operation = services.record_operation(
                actor=request.user,
                programme=data["programme"],
                village=data["village"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                place=data["place"],
                team_size=data["team_size"],
                vehicles_checked=data["vehicles_checked"] or 0,
                people_checked=data["people_checked"] or 0,
                note=data["note"],
                findings=form.findings(),
                client_key=data["client_key"],
                **_point(data),
            )
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Operation recorded."))
            return _saved(reverse("fieldwork:operation", args=[operation.pk]), data["client_key"])
    return render(
        request,
        "fieldwork/operation_form.html",
        {"form": form, "title": _("Record an operation (razia)"), "draft": "operation"},
    )


@login_required
@allow(*STAFF_ROLES)
def operations(request: HttpRequest) -> HttpResponse:
    qs = Operation.objects.for_user(request.user).select_related("village", "programme")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "fieldwork/operations.html", {"page": page})


@login_required
@allow(*STAFF_ROLES)
def operation(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_for_user(
        Operation.objects.select_related("village", "programme", "leader"), request.user, pk=pk
    )
    return render(
        request,
        "fieldwork/operation.html",
        {"op": found, "findings": found.findings.select_related("incident")},
    )
