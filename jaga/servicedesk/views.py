"""Pages of the service desk: the public report form and tracking page, the officers' desk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from jaga.accounts.access import (
    SIGNED_IN,
    STAFF_ROLES,
    allow,
    allow_public,
    get_for_user,
    roles_of,
    scope_q,
    unscoped,
)
from jaga.accounts.models import Posting, Role
from jaga.core import charts, ratelimit
from jaga.core.codes import random_secret
from jaga.core.errors import DomainError
from jaga.core.protected import serve
from jaga.core.types import Viewer
from jaga.core.views import not_found
from jaga.servicedesk import queries, services
from jaga.servicedesk.forms import (
    BulkForm,
    MergeForm,
    ModerationForm,
    QueueFilterForm,
    ReporterNoteForm,
    ReportForm,
    SaveFilterForm,
    SuccessorForm,
    TrackForm,
    TransitionForm,
    UpdateForm,
    VillageForm,
    ended_public_villages,
    public_villages,
    village_choices,
)
from jaga.servicedesk.models import (
    CONFIRMED_MOVES,
    REASSIGNABLE,
    Attachment,
    BulkAction,
    Channel,
    SavedFilter,
    Service,
    ServiceGroup,
    ServiceRequest,
    Status,
    is_reopening,
    needs_confirmation,
)
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import replacing


def _monthly_chart(rows: list[dict[str, Any]]) -> SafeString:
    """Per month: reports received (grey) beside reports resolved, in time (green) below late
    (amber). `rows` are {"month": date, "received", "resolved", "in_time"}."""
    tips = [
        _("%(month)s: %(received)s received, %(resolved)s resolved, %(in_time)s in time")
        % {
            "month": r["month"].strftime("%m/%Y"),
            "received": r["received"],
            "resolved": r["resolved"],
            "in_time": r["in_time"],
        }
        for r in rows
    ]
    return charts.column_chart(
        [r["month"].strftime("%m/%y") for r in rows],
        [
            [charts.Part(_("received"), [r["received"] for r in rows], "#9aa5b1")],
            [
                charts.Part(_("resolved in time"), [r["in_time"] for r in rows], "#1d6b3a"),
                charts.Part(
                    _("resolved late"), [r["resolved"] - r["in_time"] for r in rows], "#b8860b"
                ),
            ],
        ],
        title=_("Reports received and resolved per month"),
        tips=tips,
        show_legend=True,
        wide_stride=1 if len(rows) <= 12 else 3,
        height=220,
        narrow_height=250,
        slot_fill=0.72,
    )


def _catalogue() -> list[dict[str, Any]]:
    services_ = list(Service.objects.filter(is_active=True))
    groups = []
    for value, label in ServiceGroup.choices:
        items = [s for s in services_ if s.group == value]
        if items:
            groups.append({"label": label, "services": items})
    return groups


def _active_service(code: str) -> Service | None:
    return Service.objects.filter(code=code, is_active=True).prefetch_related("questions").first()


# ------------------------------------------------------------------ public


@allow_public
def report_start(request: HttpRequest) -> HttpResponse:
    return render(request, "servicedesk/report_start.html", {"groups": _catalogue()})


@allow_public
def report_form(request: HttpRequest, code: str) -> HttpResponse:
    """Two steps that work without JavaScript: the village first (so that open reports of the
    same service nearby are shown before anything is written), then the report itself."""
    service = _active_service(code)
    if service is None:
        return not_found(request)
    villages = public_villages()
    village_code = request.POST.get("desa") or request.GET.get("desa", "")
    village = villages.filter(code=village_code).select_related("parent").first()
    if village is None and request.method == "POST" and village_code:
        again = _ended_village_form(request, service, village_code)
        if again is not None:
            return again
    if village is None:
        picker = VillageForm(request.GET or None, villages=villages)
        return render(
            request, "servicedesk/report_village.html", {"service": service, "form": picker}
        )
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, service=service)
        if form.is_valid():
            try:
                ratelimit.hit(request, "public")
                report, _created = services.submit_request(
                    service=service,
                    village=village,
                    channel=Channel.WEB,
                    actor=request.user,
                    **form.report_fields(),
                    idempotency_scope="web",
                    require_contact=not form.cleaned_data["anonymous"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                if getattr(report, "tracking_code", ""):
                    # Only the answer that created the report opens it (not a retried form).
                    _show_code_once(request, report)
                    _grant(request, report)
                return redirect(reverse("servicedesk:track", args=[report.ticket]) + "?baru=1")
        else:
            status = 400
    else:
        form = ReportForm(
            service=service,
            initial={"idempotency_key": random_secret(16), **_picked_point(request)},
        )
        status = 200
    nearby = queries.nearby_public(service=service, village=village)
    return render(
        request,
        "servicedesk/report_form.html",
        {"service": service, "village": village, "form": form, "nearby": nearby},
        status=status,
    )


def _ended_village_form(request: HttpRequest, service: Service, code: str) -> HttpResponse | None:
    """A report posted for a village a pemekaran ended while the form was open: the form again
    with what the resident wrote, the refusal naming the villages that replaced it and a choice
    among them; nothing is filed and nothing written is lost (photos are attached again, as
    after any refusal). None when the code is no ended village of ours."""
    ended = ended_public_villages().filter(code=code).select_related("parent").first()
    if ended is None:
        return None
    form = ReportForm(request.POST, service=service)
    form.is_valid()
    try:
        services.find_village(code)
    except DomainError as exc:
        form.add_error(None, str(exc.message))
    else:
        return None
    after = {t.pk for t in replacing(ended)}
    successors = public_villages().filter(pk__in=after).select_related("parent").order_by("name")
    context = {
        "service": service,
        "village": ended,
        "form": form,
        "nearby": [],
        "successors": list(successors),
    }
    return render(request, "servicedesk/report_form.html", context, status=400)


def _picked_point(request: HttpRequest) -> dict[str, float]:
    """The point tapped on the first step's map (`lat`, `lon`), carried to the form."""
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return {}
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return {}
    return {"latitude": round(lat, 6), "longitude": round(lon, 6)}


@allow_public
def village_options(request: HttpRequest) -> HttpResponse:
    """htmx helper of the village picker: the <option>s matching a name (public data only)."""
    q = request.GET.get("q", "").strip()
    villages = public_villages()
    if len(q) >= 2:
        villages = villages.filter(Q(name__icontains=q) | Q(parent__name__icontains=q))
    return render(
        request,
        "servicedesk/village_options.html",
        {"groups": village_choices(villages), "single": len(q) >= 2},
    )


# The browser session remembers which reports it opened with their tracking code, as the stored
# hash: a new code (issued by the desk) shuts out every session that used the old one.
TRACKING_SESSION = "servicedesk_tracking"
NEW_CODE_SESSION = "servicedesk_new_code"


def _grant(request: HttpRequest, report: ServiceRequest) -> None:
    granted = dict(request.session.get(TRACKING_SESSION, {}))
    granted[report.ticket] = report.secret_hash
    request.session[TRACKING_SESSION] = granted


def _has_key(request: HttpRequest, report: ServiceRequest) -> bool:
    key_hash = request.session.get(TRACKING_SESSION, {}).get(report.ticket, "")
    return services.holds_key(report, user=request.user, key_hash=key_hash)


def _show_code_once(request: HttpRequest, report: ServiceRequest) -> None:
    code = getattr(report, "tracking_code", "")
    if code:
        request.session[NEW_CODE_SESSION] = {"ticket": report.ticket, "code": code}


def _unknown(request: HttpRequest, ticket: str, form: TrackForm | None = None) -> HttpResponse:
    """The same answer for an unknown ticket and for one the public may not see (sensitive)."""
    form = form or TrackForm(initial={"ticket": ticket})
    return render(
        request, "servicedesk/track_lookup.html", {"form": form, "unknown": ticket}, status=404
    )


def _find(ticket: str) -> ServiceRequest | None:
    reports = ServiceRequest.objects.select_related(
        "service", "village__parent", "unit", "duplicate_of"
    ).filter(ticket=ticket.strip().upper().replace(" ", ""))
    # The ticket names the row; the callers show it only as the public may see it, or to whoever
    # holds its tracking code.
    return unscoped(reports, "tracking by ticket: public fields or the key's holder").first()


def _open_with_code(request: HttpRequest, report: ServiceRequest | None, code: str) -> bool:
    if report is not None and services.check_tracking_code(report, code):
        _grant(request, report)
        return True
    ratelimit.hit(request, "tracking-code")
    return False


@allow_public
def track_lookup(request: HttpRequest) -> HttpResponse:
    # The tracking code comes only by POST: a code in a URL would stay in logs and histories.
    form = TrackForm((request.POST if request.method == "POST" else request.GET) or None)
    if form.is_valid():
        ticket = form.cleaned_data["ticket"].strip().upper().replace(" ", "")
        code = form.cleaned_data["code"] if request.method == "POST" else ""
        if code:
            try:
                opened = _open_with_code(request, _find(ticket), code)
            except ratelimit.RateLimited as exc:
                form.add_error(None, str(exc.message))
                return render(request, "servicedesk/track_lookup.html", {"form": form}, status=429)
            if not opened:
                form.add_error("code", _("This tracking code does not match the ticket."))
                return render(request, "servicedesk/track_lookup.html", {"form": form}, status=403)
        return redirect("servicedesk:track", ticket=ticket)
    return render(request, "servicedesk/track_lookup.html", {"form": form})


@allow_public
def track_code(request: HttpRequest, ticket: str, code: str) -> HttpResponse:
    """The private link sent to the reporter: opens the report for this browser, then leaves the
    code out of the address (so it is not in the history, logs or a Referer)."""
    report = _find(ticket)
    try:
        opened = _open_with_code(request, report, code)
    except ratelimit.RateLimited as exc:
        return render(
            request,
            "servicedesk/track_lookup.html",
            {"form": TrackForm(initial={"ticket": ticket}), "error": exc.message},
            status=429,
        )
    if not opened or report is None:
        return _unknown(request, ticket)
    return redirect("servicedesk:track", ticket=report.ticket)


@allow_public
def track(request: HttpRequest, ticket: str) -> HttpResponse:
    """A report as its reporter sees it (with the tracking code) or as the public does (the
    ticket alone: the status and the approved public version, never of a sensitive service)."""
    report = _find(ticket)
    if report is None:
        return _unknown(request, ticket)
    private = _has_key(request, report)
    if not private and not report.publishable:
        return _unknown(request, ticket)
    new_code = ""
    shown = request.session.get(NEW_CODE_SESSION)
    if shown and shown.get("ticket") == report.ticket:
        new_code = shown["code"]
        del request.session[NEW_CODE_SESSION]
    note_form = ReporterNoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not private:
            note_form.add_error(
                None, _("Only the reporter, with the report's tracking code, can add to it.")
            )
            status = 403
        elif note_form.is_valid():
            try:
                ratelimit.hit(request, "public-note")
                services.add_reporter_note(
                    report,
                    note_form.cleaned_data["text"],
                    user=request.user,
                    key_hash=request.session.get(TRACKING_SESSION, {}).get(report.ticket, ""),
                )
            except DomainError as exc:
                note_form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(request, _("Thank you; the officers will see your information."))
                return redirect("servicedesk:track", ticket=report.ticket)
        else:
            status = 400
    photos = [p for p in report.photos.all() if p.public and p.reviewed_at is not None]
    return render(
        request,
        "servicedesk/track.html",
        {
            "report": report,
            "private": private,
            "updates": queries.public_updates(report) if private else [],
            "photos": photos if report.publishable else [],
            "new": request.GET.get("baru") == "1",
            "new_code": new_code,
            "note_form": note_form,
            "code_form": TrackForm(initial={"ticket": report.ticket}),
        },
        status=status,
    )


@login_required
@allow(*SIGNED_IN)
def my_reports(request: HttpRequest) -> HttpResponse:
    """The reports this account filed (signed in on the public form or the API): a resident's
    account sees the public plus its own reports. Each links to its page, where the account counts
    as the reporter (private notes, adding information)."""
    reports = (
        unscoped(
            ServiceRequest.objects.filter(reporter_user_id=request.user.pk), "the account's own"
        )
        .select_related("service", "village__parent")
        .order_by("-received_at")
    )
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    return render(request, "servicedesk/my_reports.html", {"page": page})


@allow_public
def public_photo(request: HttpRequest, ticket: str, pk: int) -> HttpResponseBase:
    """An approved photo of a report the public may see."""
    photo = (
        Attachment.objects.filter(
            pk=pk,
            request__ticket=ticket.upper(),
            request__service__sensitive=False,
            public=True,
            reviewed_at__isnull=False,
        )
        .select_related("request")
        .first()
    )
    if photo is None:
        raise Http404
    return _file(photo)


def _file(photo: Attachment) -> HttpResponseBase:
    return serve(photo.file, content_type=photo.content_type)


# ------------------------------------------------------------------ desk


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not roles_of(request.user) & STAFF_ROLES:
        return not_found(request)
    return None


def _scope_villages(user: Viewer) -> Any:
    return Territory.objects.filter(level=Level.VILLAGE).filter(scope_q(user, "code"))


@login_required
@allow(*STAFF_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    denied = _staff_only(request)
    if denied:
        return denied
    villages = _scope_villages(request.user)
    saved = list(services.visible_filters(request.user))
    chosen = None
    if request.GET.get("saved"):
        chosen = next((f for f in saved if str(f.pk) == request.GET["saved"]), None)
        if chosen is None:
            raise Http404
    # The desk opens on the work still to do; any filter (even "all statuses") shows the rest.
    data: Any = request.GET if request.GET else {"status": "open"}
    if chosen is not None:
        data = chosen.params or {"status": ""}
    form = QueueFilterForm(data, villages=villages, user=request.user)
    params = {k: v for k, v in data.items() if k not in ("page", "saved")}
    if params.get("village"):
        # A name typed in the village box of a large area: filter by the village it names.
        village = form.village_code()
        params["village"] = village if village is not None else "-"
    rows = queries.queue(request.user, params)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filter_query = QueryDict(mutable=True)
    filter_query.update(services.clean_filter_params(params))
    can_act = bool(roles_of(request.user) & services.ACTING_ROLES)
    return render(
        request,
        "servicedesk/queue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filter_query": filter_query.urlencode(),
            "summary": queries.unit_summary(request.user),
            "chart": _monthly_chart(queries.monthly_series(request.user)),
            "saved_filters": saved,
            "chosen": chosen,
            "can_act": can_act,
            "bulk_form": BulkForm(officers=_scope_officers(request.user), auto_id="bulk_%s")
            if can_act
            else None,
            "save_form": SaveFilterForm(auto_id="save_%s"),
        },
    )


def _scope_officers(user: Viewer) -> list[Any]:
    """The officers a bulk assignment may name: Bhabinkamtibmas and Polsek in the user's scope
    (the workflow still checks, report by report, that the officer covers its village)."""
    postings = (
        Posting.objects.active()
        .filter(role__in=[Role.BHABIN, Role.POLSEK], user__is_active=True)
        .filter(scope_q(user, "territory__code"))
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    seen: dict[int, Any] = {}
    for p in postings:
        seen.setdefault(p.user_id, p.user)
    return list(seen.values())


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    # Only the queue's own query string comes back: never a URL chosen by the form.
    query = QueryDict(back).urlencode() if back and "//" not in back else ""
    return redirect(reverse("servicedesk:queue") + (f"?{query}" if query else ""))


def _seen_versions(post: QueryDict, tickets: list[str]) -> dict[str, int]:
    """The version of each ticked report the queue showed (`version_<ticket>`), where sent."""
    seen: dict[str, int] = {}
    for ticket in tickets:
        value = post.get(f"version_{ticket}", "")
        if value.isdigit():
            seen[ticket.strip().upper()] = int(value)
    return seen


@login_required
@require_POST
@allow(*services.ACTING_ROLES)
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign or move the reports ticked on the queue, each checked as if moved alone."""
    form = BulkForm(request.POST, officers=_scope_officers(request.user))
    tickets = request.POST.getlist("ticket")
    if not tickets:
        messages.error(request, _("Select at least one report."))
        return _back_to_queue(request)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back_to_queue(request)
    data = form.cleaned_data
    to_status = data["status"] if data["kind"] == BulkAction.Kind.STATUS else ""
    versions = _seen_versions(request.POST, tickets)
    if to_status in CONFIRMED_MOVES and not request.POST.get("confirmed"):
        shown = list(
            ServiceRequest.objects.for_user(request.user)
            .filter(ticket__in=[t.upper() for t in tickets])
            .select_related("service", "village")
            .order_by("ticket")
        )
        return render(
            request,
            "servicedesk/bulk_confirm.html",
            {
                "reports": shown,
                "to_label": Status(to_status).label,
                "fields": [
                    (name, value)
                    for name in ("kind", "status", "assignee", "note", "public", "next")
                    for value in request.POST.getlist(name)
                ]
                + [(f"version_{t}", str(v)) for t, v in versions.items()],
                "tickets": tickets,
                "notified": bool(data["public"]),
            },
        )
    assignee = None
    if data["kind"] == BulkAction.Kind.ASSIGN:
        assignee = form.officer(data["assignee"])
    try:
        action = services.bulk_move(
            tickets,
            actor=request.user,
            kind=data["kind"],
            to_status=to_status,
            assignee=assignee,
            note=data["note"],
            public=data["public"],
            versions=versions,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back_to_queue(request)
    if action.done:
        messages.success(
            request,
            ngettext("%(n)s report changed.", "%(n)s reports changed.", len(action.done))
            % {"n": len(action.done)},
        )
    for refused in action.refused:
        messages.error(
            request,
            _("%(ticket)s was not changed: %(reason)s")
            % {"ticket": refused["ticket"], "reason": refused["reason"]},
        )
    return _back_to_queue(request)


@login_required
@require_POST
@allow(*STAFF_ROLES)
def saved_filters(request: HttpRequest) -> HttpResponse:
    """Save the queue's current filter under a name (optionally shared), or remove one."""
    denied = _staff_only(request)
    if denied:
        return denied
    try:
        if request.POST.get("delete"):
            saved = SavedFilter.objects.filter(
                owner_id=request.user.pk, pk=_int(request.POST["delete"])
            ).first()
            if saved is None:
                raise Http404
            services.delete_filter(saved, actor=request.user)
            messages.success(request, _("Filter removed."))
            return redirect("servicedesk:queue")
        form = SaveFilterForm(request.POST)
        if not form.is_valid():
            raise DomainError("name_required", _("Give the filter a name."))
        saved = services.save_filter(
            owner=request.user,
            name=form.cleaned_data["name"],
            params=QueryDict(request.POST.get("next", "")),
            share=form.cleaned_data["share"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back_to_queue(request)
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(reverse("servicedesk:queue") + f"?saved={saved.pk}")


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _officers_for(report: ServiceRequest) -> list[Any]:
    village = report.village
    postings = (
        Posting.objects.active()
        .filter(
            role__in=[Role.BHABIN, Role.POLSEK],
            territory__code__in=[village.code, village.district_code],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("role", "user__full_name")
    )
    seen: dict[int, Any] = {}
    for p in postings:
        seen.setdefault(p.user_id, p.user)
    return list(seen.values())


def _get_report(request: HttpRequest, ticket: str) -> ServiceRequest:
    return get_for_user(
        ServiceRequest.objects.select_related(
            "service", "village__parent", "unit", "assignee", "duplicate_of", "entered_by"
        ),
        request.user,
        ticket=ticket.upper(),
    )


@login_required
@allow(*STAFF_ROLES)
def detail(request: HttpRequest, ticket: str) -> HttpResponse:
    denied = _staff_only(request)
    if denied:
        return denied
    report = _get_report(request, ticket)
    return _render_detail(request, report)


def _render_detail(
    request: HttpRequest, report: ServiceRequest, status: int = 200, **forms: Any
) -> HttpResponse:
    officers = _officers_for(report)
    allowed = services.allowed_transitions(report)
    new_code = ""
    shown = request.session.get(NEW_CODE_SESSION)
    if shown and shown.get("ticket") == report.ticket:
        new_code = shown["code"]
        del request.session[NEW_CODE_SESSION]
    context = {
        "report": report,
        "new_code": new_code,
        "updates": report.updates.select_related("author"),
        "photos": list(report.photos.all()),
        "allowed": allowed,
        "transition_form": forms.get("transition_form")
        or TransitionForm(
            allowed=allowed,
            officers=officers,
            can_reassign=report.status in REASSIGNABLE,
            current=report.status,
            initial={
                "version": report.version,
                "public": True,
                "assignee": report.assignee_id or "",
            },
        ),
        "update_form": forms.get("update_form") or UpdateForm(),
        "merge_form": forms.get("merge_form") or MergeForm(initial={"version": report.version}),
        "can_act": bool(roles_of(request.user) & services.ACTING_ROLES),
        "can_merge": Status.DUPLICATE in allowed,
        "can_verify": services.can_verify(report),
        "nearby": queries.nearby_open(
            viewer=request.user,
            service_id=report.service_id,
            village=report.village,
            latitude=report.latitude,
            longitude=report.longitude,
            exclude=report.pk,
        ),
        "duplicates": list(report.duplicates.all()),
        "audit": queries.audit_rows(report),
        **_successor_context(request, report, forms),
    }
    return render(request, "servicedesk/detail.html", context, status=status)


def _successor_context(
    request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]
) -> dict[str, Any]:
    """A report whose village a pemekaran ended before its date: why (the rule's message, naming
    the villages that replaced it) and, for staff who act, the choice of the one it moves to."""
    ended, after = services.village_ended(report)
    if not ended:
        return {}
    form = None
    if after and report.incident_id is None and roles_of(request.user) & services.ACTING_ROLES:
        form = forms.get("successor_form") or SuccessorForm(
            successors=after, initial={"version": report.version}
        )
    return {"ended": ended, "successor_form": form}


@login_required
@require_POST
@allow(*STAFF_ROLES)
def act(request: HttpRequest, ticket: str, action: str) -> HttpResponse:
    """One officer's action on a report's page; each action is a step below."""
    denied = _staff_only(request)
    if denied:
        return denied
    report = _get_report(request, ticket)
    step = ACTIONS.get(action)
    if step is None:
        raise Http404
    forms: dict[str, Any] = {}
    try:
        shown = step(request, report, forms)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        report = _get_report(request, ticket)
        # A version conflict is a 409 on the page as in the API; every other refusal a 400.
        return _render_detail(request, report, status=exc.status, **forms)
    if shown is not None:
        return shown
    return redirect("servicedesk:detail", ticket=report.ticket)


def _valid(form: Any, forms: dict[str, Any], name: str) -> Any:
    forms[name] = form
    if not form.is_valid():
        raise DomainError("invalid", _("Check the form."))
    return form.cleaned_data


def _act_status(
    request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]
) -> HttpResponse | None:
    officers = _officers_for(report)
    form = TransitionForm(
        request.POST,
        allowed=services.allowed_transitions(report),
        officers=officers,
        can_reassign=report.status in REASSIGNABLE,
        current=report.status,
    )
    data = _valid(form, forms, "transition_form")
    if needs_confirmation(report.status, data["status"]) and not request.POST.get("confirmed"):
        return _confirm_status(request, report, form)
    assignee = next((u for u in officers if str(u.pk) == data["assignee"]), None)
    services.move_request(
        report,
        None if data["status"] == TransitionForm.KEEP else data["status"],
        actor=request.user,
        note=data["note"],
        public=data["public"],
        assignee=assignee,
        expected_version=data["version"],
    )
    messages.success(request, _("Status changed."))
    return None


def _act_note(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    data = _valid(UpdateForm(request.POST), forms, "update_form")
    services.add_update(report, data["text"], actor=request.user, public=data["public"])
    messages.success(request, _("Note added."))


def _act_merge(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    data = _valid(MergeForm(request.POST), forms, "merge_form")
    code = data["original"].strip().upper()
    original = ServiceRequest.objects.for_user(request.user).filter(ticket=code).first()
    if original is None:
        raise DomainError(
            "unknown_ticket",
            _("There is no report %(ticket)s in your area.") % {"ticket": code},
        )
    services.move_request(
        report,
        Status.DUPLICATE,
        actor=request.user,
        duplicate_of=original,
        expected_version=data["version"],
    )
    messages.success(request, _("Merged into %(ticket)s.") % {"ticket": original.ticket})


def _act_photo(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    photo = report.photos.filter(pk=request.POST.get("photo") or 0).first()
    if photo is None:
        raise Http404
    services.set_photo_public(photo, request.POST.get("public") == "1", actor=request.user)
    messages.success(request, _("Photo updated."))


def _act_code(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    code = services.issue_tracking_code(report, actor=request.user)
    request.session[NEW_CODE_SESSION] = {"ticket": report.ticket, "code": code}
    messages.success(request, _("A new tracking code was issued; the old one no longer works."))


def _act_verify(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    services.verify_request(report, actor=request.user)
    messages.success(request, _("Recorded in the kamtibmas register."))


def _act_village(request: HttpRequest, report: ServiceRequest, forms: dict[str, Any]) -> None:
    _ended, after = services.village_ended(report)
    data = _valid(SuccessorForm(request.POST, successors=after), forms, "successor_form")
    village = next(t for t in after if t.code == data["village"])
    services.move_to_successor(
        report, village, actor=request.user, expected_version=data["version"]
    )
    messages.success(
        request, _("The report now belongs to %(village)s.") % {"village": village.display_name}
    )


ACTIONS: dict[str, Callable[[HttpRequest, ServiceRequest, dict[str, Any]], HttpResponse | None]] = {
    "status": _act_status,
    "note": _act_note,
    "merge": _act_merge,
    "photo": _act_photo,
    "code": _act_code,
    "verify": _act_verify,
    "village": _act_village,
}


def _confirm_status(request: HttpRequest, report: ServiceRequest, form: Any) -> HttpResponse:
    # Closing, rejecting and reopening end or restart the reporter's case and are sent to them:
    # a second step (a page, so it works without JavaScript) asks the officer to confirm.
    to_status = form.cleaned_data["status"]
    reopening = is_reopening(report.status, to_status)
    return render(
        request,
        "servicedesk/confirm_status.html",
        {
            "report": report,
            "reopening": reopening,
            "to_label": Status(to_status).label,
            "data": form.cleaned_data,
            "fields": [
                (name, request.POST.get(name, ""))
                for name in ("status", "assignee", "note", "public", "version")
                if name in request.POST
            ],
            "notified": bool(form.cleaned_data["public"] and (report.phone or report.email)),
            "survey": to_status == Status.CLOSED and bool(report.phone or report.email),
        },
    )


@login_required
@allow(*STAFF_ROLES)
def staff_photo(request: HttpRequest, ticket: str, pk: int) -> HttpResponseBase:
    denied = _staff_only(request)
    if denied:
        return denied
    report = _get_report(request, ticket)
    photo = report.photos.filter(pk=pk).first()
    if photo is None:
        raise Http404
    return _file(photo)


@login_required
@allow(*services.ACTING_ROLES)
def desk_entry(request: HttpRequest) -> HttpResponse:
    """Desk staff enter walk-ins, phone calls and messages (service first, then the form)."""
    if not roles_of(request.user) & services.ACTING_ROLES:
        return not_found(request)
    service = _active_service(request.GET.get("layanan", "") or request.POST.get("layanan", ""))
    if service is None:
        return render(request, "servicedesk/desk_start.html", {"groups": _catalogue()})
    villages = public_villages().filter(scope_q(request.user, "code"))
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, service=service, staff=True)
        picker = VillageForm(request.POST, villages=villages)
        if form.is_valid() and picker.is_valid():
            try:
                report, _created = services.submit_request(
                    service=service,
                    village=villages.filter(code=picker.cleaned_data["desa"]).first(),
                    channel=form.cleaned_data["channel"],
                    actor=request.user,
                    **form.report_fields(),
                    idempotency_scope=f"desk:{request.user.pk}",
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Report %(ticket)s recorded. Give the reporter this ticket code.")
                    % {"ticket": report.ticket},
                )
                _show_code_once(request, report)
                return redirect("servicedesk:detail", ticket=report.ticket)
        status = 400
    else:
        form = ReportForm(
            service=service, staff=True, initial={"idempotency_key": random_secret(16)}
        )
        picker = VillageForm(villages=villages)
        status = 200
    return render(
        request,
        "servicedesk/desk_entry.html",
        {"service": service, "form": form, "picker": picker},
        status=status,
    )


# ------------------------------------------------------------------ moderation


@login_required
@allow(*services.ACTING_ROLES)
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """Reports in the user's area whose text or photos wait for a public version."""
    if not roles_of(request.user) & services.ACTING_ROLES:
        return not_found(request)
    page = Paginator(queries.moderation_queue(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "servicedesk/moderation_queue.html", {"page": page})


@login_required
@allow(*services.ACTING_ROLES)
def moderate(request: HttpRequest, ticket: str) -> HttpResponse:
    """One report's public version: edit the proposed text, approve or reject it and each photo."""
    if not roles_of(request.user) & services.ACTING_ROLES:
        return not_found(request)
    report = _get_report(request, ticket)
    if report.service.sensitive:
        return not_found(request)
    photos = list(report.photos.all())
    status = 200
    if request.method == "POST":
        form = ModerationForm(request.POST, photos=photos)
        if form.is_valid():
            try:
                services.moderate_request(
                    report,
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == ModerationForm.APPROVE,
                    public_text=form.cleaned_data["public_text"],
                    photos=form.photo_decisions(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(
                    request, _("Public version of %(ticket)s saved.") % {"ticket": report.ticket}
                )
                return redirect("servicedesk:moderation")
        else:
            status = 400
    else:
        form = ModerationForm(
            photos=photos,
            initial={
                "public_text": services.propose_public_text(report),
                "decision": ModerationForm.APPROVE,
            },
        )
    return render(
        request,
        "servicedesk/moderate.html",
        {"report": report, "form": form, "found": services.personal_data_in(report.description)},
        status=status,
    )
