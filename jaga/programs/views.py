"""Pages for programmes, activities, invitations, check-in and participation (/program/)."""

from __future__ import annotations

import datetime
from typing import Any, cast

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as PydanticValidationError

from jaga.accounts.access import (
    PARTNERSHIP_ROLES,
    allow,
    scope_codes,
    territory_for_user,
)
from jaga.core import charts, choose, roundtrip
from jaga.core.errors import DomainError, ImportFailed
from jaga.core.links import absolute_reverse
from jaga.core.protected import serve
from jaga.partners.access import (
    EDITOR_ROLES,
    PROGRAMME_ROLES,
    can_edit,
    can_manage_programmes,
    get_organisation_for_user,
    get_person_for_user,
    organisations_for_user,
    people_for_user,
)
from jaga.partners.exports import export_response
from jaga.partners.forms import UploadForm
from jaga.partners.views import territory_or_error
from jaga.programs import queries, services
from jaga.programs.access import (
    activities_for_user,
    get_activity_for_user,
    get_invitation_for_user,
    invitations_for_user,
    runs_activity,
)
from jaga.programs.exports import activity_rows, invitation_rows
from jaga.programs.forms import (
    ActivityFilterForm,
    ActivityForm,
    AttachForm,
    CheckInForm,
    InviteForm,
    OutcomeForm,
)
from jaga.programs.models import AttendanceStatus, Invitation, Programme, ProgrammeAdoption
from jaga.programs.schemas import CheckInBatchIn
from jaga.territory.models import Territory
from jaga.territory.queries import home_code, unit_name_for


def _require_editor(request: HttpRequest) -> None:
    if not can_edit(request.user):
        raise Http404


@login_required
@allow(*PARTNERSHIP_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    adopted = dict(
        ProgrammeAdoption.objects.for_user(request.user)
        .order_by()
        .values_list("programme_id")
        .annotate(n=Count("id"))
        .values_list("programme_id", "n")
    )
    counts = queries.activity_counts(territory_code=_home_code(request))
    rows = [
        {
            "programme": p,
            "adopted": adopted.get(p.pk, 0),
            "activities": counts.get(p.code, {}).get("held", 0),
            "head_count": counts.get(p.code, {}).get("head_count", 0),
        }
        for p in Programme.objects.order_by("code")
    ]
    return render(
        request,
        "programs/index.html",
        {"rows": rows, "can_manage": can_manage_programmes(request.user)},
    )


def _home_code(request: HttpRequest) -> str | None:
    scopes = scope_codes(request.user, PARTNERSHIP_ROLES)
    if not scopes:
        raise Http404
    return None if scopes == ["*"] or len(scopes) > 1 else scopes[0]


@login_required
@allow(*PARTNERSHIP_ROLES)
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    programme = Programme.objects.filter(code=code.upper()).prefetch_related("partners").first()
    if programme is None:
        raise Http404
    adoptions = (
        ProgrammeAdoption.objects.for_user(request.user)
        .filter(programme=programme)
        .select_related("village__parent")
        .order_by("adopted_on", "village__code")
    )
    activities = (
        activities_for_user(request.user)
        .filter(programme=programme)
        .select_related("village")
        .order_by("-starts_at")[:30]
    )
    return render(
        request,
        "programs/programme.html",
        {
            "programme": programme,
            "adoptions": adoptions,
            "activities": activities,
            "participation": queries.participation(
                territory_code=_home_code(request), programme_code=programme.code
            ).total,
        },
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def activities(request: HttpRequest) -> HttpResponse:
    """The activities the user may see; filtered by programme, the area they were held in and a
    range of months, the count is the `activities.held` figure of that area and those months (the
    scorecard links here)."""
    programmes = list(Programme.objects.order_by("code"))
    form = ActivityFilterForm(request.GET or None, programmes=programmes, user=request.user)
    qs = activities_for_user(request.user).select_related("programme", "village")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["programme"]:
            qs = qs.filter(programme__code=data["programme"])
        area = cast(choose.ChooseField, form.fields["area"]).chosen(data["area"])
        qs = queries.held_in(qs, area=area, start=data["start"], end=data["end"])
    elif form.is_bound:
        qs = qs.none()
    qs = qs.annotate(
        invited=Count("invitations"),
        came=Count(
            "invitations",
            filter=Q(invitations__status__in=[AttendanceStatus.PRESENT, AttendanceStatus.LATE]),
        ),
    ).order_by("-starts_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/activities.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "can_edit": can_edit(request.user),
        },
    )


@login_required
@allow(*EDITOR_ROLES)
def activity_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    programmes = list(Programme.objects.order_by("code"))
    form = ActivityForm(request.POST or None, programmes=programmes, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            village = territory_or_error(request, data["village_code"])
            area = territory_or_error(request, data["area_code"]) if data["area_code"] else village
            activity = services.record_activity(
                actor=request.user,
                programme=next(p for p in programmes if p.code == data["programme"]),
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                village=village,
                area=area,
                place=data["place"],
                head_count=data["head_count"],
                grace_minutes=data["grace_minutes"],
                checkin_opens_minutes=data["checkin_opens_minutes"],
                checkin_closes_minutes=data["checkin_closes_minutes"],
                outcome=data["outcome"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Activity recorded."))
            return redirect("programs:activity", pk=activity.pk)
    return render(request, "partners/form.html", {"form": form, "title": _("Log an activity")})


@login_required
@allow(*PARTNERSHIP_ROLES)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk, invited=True)
    runs = runs_activity(request.user, activity)  # False: an invited organisation's coordinator
    form = _invite_form(request, activity)
    if request.method == "POST":
        if not runs:
            raise Http404
        _require_editor(request)
        if form.is_valid():
            try:
                added = _invite_from_form(request, activity, form.cleaned_data)
            except Http404:
                form.add_error(None, _("Not found in your area."))
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("%(count)s invited.") % {"count": added})
                return redirect("programs:activity", pk=activity.pk)
    invitations = (
        invitations_for_user(request.user)
        .filter(activity=activity)
        .select_related("person__village", "organisation")
        .order_by("id")
    )
    report = queries.participation_for_activity(activity, invitations)
    return render(
        request,
        "programs/activity.html",
        {
            "activity": activity,
            "invitations": invitations,
            "total": report,
            "form": form,
            "can_edit": runs and can_edit(request.user),
            "runs": runs,
            "organisers": activity.organisers.all(),
            "partners": activity.partners.all(),
            "villages": activity.villages.all(),
            "files": activity.files.all(),
            "outcome_form": OutcomeForm(
                initial={"outcome": activity.outcome, "head_count": activity.head_count}
            ),
            "attach_form": AttachForm(),
        },
    )


@login_required
@require_POST
@allow(*EDITOR_ROLES)
def activity_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    activity = get_activity_for_user(request.user, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(
                activity,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                head_count=form.cleaned_data["head_count"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Outcome saved."))
    else:
        messages.error(request, _("The head count must be a whole number."))
    return redirect("programs:activity", pk=activity.pk)


@login_required
@require_POST
@allow(*EDITOR_ROLES)
def activity_attach(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    activity = get_activity_for_user(request.user, pk)
    form = AttachForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_file(
                activity,
                actor=request.user,
                upload=form.cleaned_data["file"],
                caption=form.cleaned_data["caption"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("File attached."))
    else:
        messages.error(request, _("Choose a file to attach."))
    return redirect("programs:activity", pk=activity.pk)


@login_required
@allow(*PARTNERSHIP_ROLES)
def activity_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponseBase:
    """A photo or document of an activity, for whoever may open the activity (404 otherwise)."""
    activity = get_activity_for_user(request.user, pk)
    attached = activity.files.filter(pk=file_pk).first()
    if attached is None:
        raise Http404
    return serve(attached.file, download=not attached.is_photo)


def _invite_form(request: HttpRequest, activity: Any) -> InviteForm:
    """Choices for inviting: people of the village where it is held (not yet invited),
    organisations working in the area, and the villages of the area."""
    # Only the invitations of that kind: `NOT IN (..., NULL)` is never true in SQL, so one
    # invited person would otherwise empty the organisation list (and one organisation the people).
    invited = activity.invitations.filter(person__isnull=False).values("person_id")
    area = activity.area.code
    people = (
        people_for_user(request.user)
        .filter(village=activity.village)
        .exclude(pk__in=invited)
        .select_related("village")
        .order_by("-is_leader", "full_name")[:300]
    )
    codes = [area, *(area.rsplit(".", i)[0] for i in range(1, area.count(".") + 1))]
    organisations = (
        organisations_for_user(request.user)
        .filter(Q(territory__code__in=codes) | Q(territory__code__startswith=area + "."))
        .exclude(
            pk__in=activity.invitations.filter(organisation__isnull=False).values("organisation_id")
        )
        .order_by("kind", "name")[:300]
    )
    villages = Territory.objects.villages().filter(Q(code=area) | Q(code__startswith=area + "."))
    return InviteForm(
        request.POST or None,
        people=people,
        organisations=organisations,
        villages=villages.order_by("code"),
    )


def _invite_from_form(request: HttpRequest, activity: Any, data: dict[str, Any]) -> int:
    if data.get("village_code"):
        village = territory_or_error(request, data["village_code"])
        people = people_for_user(request.user).filter(village=village).select_related("village")
        for person in people:
            services.invite(activity, actor=request.user, person=person)
        return len(people)
    if data.get("person_id"):
        person = get_person_for_user(request.user, data["person_id"])
        services.invite(activity, actor=request.user, person=person)
        return 1
    if data.get("organisation_id"):
        org = get_organisation_for_user(request.user, data["organisation_id"])
        services.invite(activity, actor=request.user, organisation=org)
        return 1
    raise DomainError("one_invitee", _("Invite either a person or an organisation."))


@login_required
@allow(*PARTNERSHIP_ROLES)
def attendance_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper list: print it for signatures, then enter what it says in one go."""
    activity = get_activity_for_user(request.user, pk)
    invitations = list(
        invitations_for_user(request.user)
        .filter(activity=activity)
        .select_related("person__village", "organisation")
        .order_by("id")
    )
    errors: list[dict[str, Any]] = []
    if request.method == "POST":
        _require_editor(request)
        rows = []
        for inv in invitations:
            status = request.POST.get(f"status-{inv.pk}", inv.status)
            if status == AttendanceStatus.PENDING:
                continue
            rows.append(
                {
                    "invitation": inv,
                    "status": status,
                    "representative_name": request.POST.get(f"rep-{inv.pk}", ""),
                }
            )
        try:
            changed = services.record_attendance_sheet(activity, actor=request.user, rows=rows)
        except ImportFailed as exc:
            messages.error(request, str(exc.message))
            errors = exc.errors
        else:
            messages.success(request, _("%(count)s attendances recorded.") % {"count": changed})
            return redirect("programs:activity", pk=activity.pk)
    return render(
        request,
        "programs/sheet.html",
        {
            "activity": activity,
            "invitations": invitations,
            "statuses": AttendanceStatus.choices[1:],
            "errors": errors,
            "can_edit": can_edit(request.user),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
@allow(*EDITOR_ROLES)
def activity_close(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    activity = get_activity_for_user(request.user, pk)
    count = services.close_attendance(activity, actor=request.user)
    messages.success(request, _("%(count)s invitees marked absent.") % {"count": count})
    return redirect("programs:activity", pk=activity.pk)


@login_required
@require_POST
@allow(*EDITOR_ROLES)
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an invitee's answer (will come / cannot come), e.g. from the coordinator's home."""
    _require_editor(request)
    invitation = get_invitation_for_user(request.user, pk=pk)
    try:
        services.record_response(
            invitation, actor=request.user, response=request.POST.get("response", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Answer recorded."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("programs:activity", args=[invitation.activity_id])
    return redirect(target)


def _qr_svg(request: HttpRequest, code: str) -> str:
    url = absolute_reverse("programs:checkin", code)
    svg: str = segno.make(url, error="m").svg_inline(scale=5, dark="#1b2430")
    return svg


@login_required
@allow(*PARTNERSHIP_ROLES)
def invitation_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable invitations with their QR codes: one invitation, or ?all=1 for the activity."""
    inv = get_invitation_for_user(request.user, pk=pk)
    if request.GET.get("all"):
        invitations = list(
            invitations_for_user(request.user)
            .filter(activity_id=inv.activity_id)
            .select_related("person__village", "organisation", "activity__village")
            .order_by("id")
        )
    else:
        invitations = [inv]
    cards = [{"inv": i, "qr": mark_safe(_qr_svg(request, i.code))} for i in invitations]  # noqa: S308 - segno output
    return render(
        request,
        "programs/print.html",
        {
            "cards": cards,
            "activity": inv.activity,
            "unit_name": unit_name_for(inv.activity.village.code),
        },
    )


OUTBOX_TRUST = services.scans.SCAN_TRUST


def _confirmed_at(request: HttpRequest) -> datetime.datetime | None:
    """A check-in that waited in the phone's outbox (no signal) carries the moment the officer
    confirmed it (`confirmed_at`, ISO): used for on time / late when it lies within the last two
    days and not in the future; otherwise the moment it arrives counts."""
    try:
        moment = parse_datetime(request.POST.get("confirmed_at", "") or "")
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    now = timezone.now()
    return moment if now - OUTBOX_TRUST <= moment <= now else None


@login_required
@allow(*PARTNERSHIP_ROLES)
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """Where a scanned QR code lands: the officer confirms the arrival (phone first)."""
    inv = get_invitation_for_user(request.user, code=code.strip().upper())
    form = CheckInForm(request.POST or None, initial={"code": inv.code})
    result = None
    if request.method == "POST":
        _require_editor(request)
        if form.is_valid():
            try:
                inv, already = services.check_in(
                    inv.code,
                    actor=request.user,
                    activity=inv.activity,
                    at=_confirmed_at(request),
                    representative_name=form.cleaned_data["representative_name"],
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                result = "already" if already else "done"
    return render(
        request,
        "programs/checkin.html",
        {"inv": inv, "form": form, "result": result, "can_edit": can_edit(request.user)},
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def checkin_desk(request: HttpRequest, pk: int) -> HttpResponse:
    """Type or scan codes at the door of one activity."""
    activity = get_activity_for_user(request.user, pk)
    form = CheckInForm(request.POST or None)
    last = None
    if request.method == "POST":
        _require_editor(request)
        if request.content_type == "application/json":
            return _scanned_batch(request, activity)
        if "application/json" in request.headers.get("Accept", ""):
            return _scanned(request, activity, form)
        if form.is_valid():
            try:
                last, already = services.check_in(
                    form.cleaned_data["code"],
                    actor=request.user,
                    activity=activity,
                    representative_name=form.cleaned_data["representative_name"],
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                if already:
                    messages.warning(
                        request,
                        _("%(name)s was already checked in.") % {"name": last.invitee_name},
                    )
                else:
                    messages.success(
                        request,
                        _("%(name)s: %(status)s.")
                        % {"name": last.invitee_name, "status": last.get_status_display()},
                    )
                form = CheckInForm()
    counts = queries.participation_for_activity(activity, activity.invitations.all())
    opens, closes = services.checkin_window(activity)
    return render(
        request,
        "programs/desk.html",
        {
            "activity": activity,
            "form": form,
            "total": counts,
            "opens": opens,
            "closes": closes,
            "can_edit": can_edit(request.user),
        },
    )


def _scanned(request: HttpRequest, activity: Any, form: CheckInForm) -> JsonResponse:
    """The desk's camera scanner posts each decoded code here and shows the answer big.

    A second scan of the same invitation answers "already" (the service records nothing new);
    a refused code answers "error" with the reason, and the desk is ready for the next person.
    """
    if not form.is_valid():
        return JsonResponse(
            {"result": "error", "name": "", "message": _("This check-in code is not known.")},
            status=400,
        )
    try:
        inv, already = services.check_in(
            form.cleaned_data["code"],
            actor=request.user,
            activity=activity,
            representative_name=form.cleaned_data["representative_name"],
        )
    except DomainError as exc:
        return JsonResponse({"result": "error", "name": "", "message": str(exc.message)})
    return JsonResponse(
        {
            "result": "already" if already else "done",
            "name": inv.invitee_name,
            "message": _scan_message(inv, already),
        }
    )


def _scan_message(inv: Invitation, already: bool) -> str:
    if already:
        return _("Already checked in (%(status)s at %(time)s): nothing changed.") % {
            "status": inv.get_status_display(),
            "time": timezone.localtime(inv.checked_in_at).strftime("%H:%M")
            if inv.checked_in_at
            else "—",
        }
    return _("Checked in: %(status)s.") % {"status": inv.get_status_display()}


def _scanned_batch(request: HttpRequest, activity: Any) -> JsonResponse:
    """The scanner's queue: the scans it kept while the phone had no signal, sent together when
    it is back (`{"scans": [{"code", "at", "representative_name"}]}`). Each is answered as a
    single scan would be; the scanner drops a scan from its queue only once answered."""
    try:
        batch = CheckInBatchIn.model_validate_json(request.body)
    except PydanticValidationError:
        return JsonResponse(
            {"error": "bad_batch", "message": _("The scanner sent a list that is not readable.")},
            status=400,
        )
    outcomes = services.check_in_many(
        [
            services.Scan(s.code, at=s.at, representative_name=s.representative_name)
            for s in batch.scans
        ],
        actor=request.user,
        activity=activity,
    )
    return JsonResponse({"results": [_outcome_json(o) for o in outcomes]})


def _outcome_json(outcome: services.ScanOutcome) -> dict[str, str]:
    inv = outcome.invitation
    if outcome.error is not None or inv is None:
        message = str(outcome.error.message) if outcome.error else ""
        return {"code": outcome.code, "result": "error", "name": "", "message": message}
    return {
        "code": outcome.code,
        "result": outcome.result,
        "name": inv.invitee_name,
        "message": _scan_message(inv, outcome.already),
    }


def _period(request: HttpRequest) -> tuple[datetime.date | None, datetime.date | None]:
    def get(name: str) -> datetime.date | None:
        try:
            return parse_date(request.GET.get(name, "") or "")
        except ValueError:
            return None

    return get("start"), get("end")


@login_required
@allow(*PARTNERSHIP_ROLES)
def participation(request: HttpRequest) -> HttpResponse:
    scopes = scope_codes(request.user, PARTNERSHIP_ROLES)
    if not scopes:
        raise Http404
    default = home_code(scopes) or ""
    code = request.GET.get("territory", "").strip() or default
    if not code[:1].isdigit() and code != "*":  # a name typed or chosen in the box
        try:
            code = choose.resolve(choose.KINDS["area"], request.user, code).code
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            code = default
    territory = territory_for_user(request.user, code, PARTNERSHIP_ROLES)
    programme = request.GET.get("programme", "").upper() or None
    org_id = request.GET.get("organisation", "")
    organisation = get_organisation_for_user(request.user, org_id) if org_id else None
    start, end = _period(request)
    report = queries.participation(
        territory_code=code,
        organisation_id=organisation.pk if organisation else None,
        programme_code=programme,
        start=start,
        end=end,
    )
    areas = (
        queries.participation_by_area(
            territory_code=code, programme_code=programme, start=start, end=end
        )
        if organisation is None
        else []
    )
    months = queries.participation_by_month(
        territory_code=code, programme_code=programme, start=start, end=end
    )

    def bars(parts: list[queries.Participation], title: str) -> Any:
        return charts.rate_bars(
            [(p.label, p.attendance_rate, f"{p.attended}/{p.invited}") for p in parts], title=title
        )

    return render(
        request,
        "programs/participation.html",
        {
            "territory": territory,
            "territory_label": choose.territory_label(territory),
            "programme": programme,
            "organisation": organisation,
            "start": start,
            "end": end,
            "report": report,
            "areas": areas,
            "group_chart": bars(report.by_group, _("Attendance rate by community group")),
            "education_chart": bars(report.by_education, _("Attendance rate by education")),
            "month_chart": charts.column_chart(
                [f"{m:%m/%y}" for m, _p in months],
                [[charts.Part("", [p.attendance_rate for _m, p in months])]],
                title=_("Attendance rate by month"),
                tips=[
                    f"{m:%Y-%m}: {charts.pct(p.attendance_rate)} (n={p.invited})" for m, p in months
                ],
                percent=True,
                wide_stride=6 if len(months) > 12 else 1,
            ),
            "programmes": Programme.objects.order_by("code"),
            "organisations": organisations_for_user(request.user)
            .exclude(kind="perguruan_silat")
            .order_by("kind", "name")[:300],
        },
    )


@login_required
@allow(*PROGRAMME_ROLES)
def adoptions_import(request: HttpRequest) -> HttpResponse:
    if not can_manage_programmes(request.user):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = services.import_adoptions(upload, name=upload.name, actor=request.user)
        except ImportFailed as exc:
            messages.error(request, str(exc.message))
            errors, status = exc.errors, 400
        except DomainError as exc:
            messages.error(request, str(exc.message))
            status = 400
        else:
            messages.success(request, _("%(count)s adoptions imported.") % {"count": count})
            return redirect("programs:index")
    return render(
        request, "programs/adoptions_import.html", {"form": form, "errors": errors}, status=status
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def activities_transfer(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        _require_editor(request)
        if "token" in request.POST or form.is_valid():
            response, errors = roundtrip.web_import(
                request,
                services.import_activities,
                title=_("Import activities"),
                upload=None if "token" in request.POST else form.cleaned_data["file"],
                back_url=reverse("programs:activities"),
            )
            if response is not None:
                return response
            status = 400
    if request.GET.get("format") in ("csv", "xlsx"):
        headers, rows = activity_rows(request.user)
        return export_response(headers, rows, "activities", request.GET["format"])
    return render(
        request,
        "programs/activities_transfer.html",
        {"form": form, "errors": errors, "can_edit": can_edit(request.user), "now": timezone.now()},
        status=status,
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def invitations_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity's invitations as XLSX / CSV, and the edited file imported back."""
    activity = get_activity_for_user(request.user, pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        _require_editor(request)
        if "token" in request.POST or form.is_valid():

            def importer(source: Any, **kw: Any) -> roundtrip.Plan:
                return services.import_invitations(source, activity=activity, **kw)

            response, errors = roundtrip.web_import(
                request,
                importer,
                title=_("Import invitations: %(title)s") % {"title": activity.title},
                upload=None if "token" in request.POST else form.cleaned_data["file"],
                back_url=reverse("programs:activity", args=[activity.pk]),
            )
            if response is not None:
                return response
            status = 400
    if request.GET.get("format") in ("csv", "xlsx"):
        headers, rows = invitation_rows(request.user, activity)
        return export_response(headers, rows, f"invitations-{activity.pk}", request.GET["format"])
    return render(
        request,
        "programs/invitations_transfer.html",
        {"activity": activity, "form": form, "errors": errors, "can_edit": can_edit(request.user)},
        status=status,
    )
