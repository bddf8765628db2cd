"""Survey pages: public questionnaires (no login), staff entry of paper forms, results."""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    allow_public,
    has_role,
    territory_for_user,
    unscoped,
)
from jaga.core import ratelimit, roundtrip
from jaga.core.errors import DomainError
from jaga.core.months import add_months, month_start
from jaga.surveys import queries, services
from jaga.surveys.forms import (
    IkmEntryForm,
    IkmForm,
    ImportForm,
    TrustEntryForm,
    TrustForm,
    public_villages,
)
from jaga.surveys.models import (
    IKM_ELEMENTS,
    TRUST_QUESTIONS,
    Channel,
    IkmElement,
    IkmResponse,
    TrustInvitation,
)
from jaga.surveys.queries import estimate_rows, question_labels
from jaga.territory.models import Level, Territory
from jaga.territory.queries import top_territories, visible_territories


def _profile(data: dict[str, Any]) -> dict[str, str]:
    return {k: data.get(k, "") for k in ("gender", "age_group", "education", "occupation")}


def over_public_limit(request: HttpRequest) -> bool:
    """Public answers per client address and window (settings.PUBLIC_RATE_LIMIT / _WINDOW)."""
    try:
        ratelimit.hit(request, "survey")
    except ratelimit.RateLimited:
        return True
    return False


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html", {"too_many": True}, status=429)


@allow_public
def ikm_public(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and over_public_limit(request):
        return _too_many(request)
    form = IkmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_ikm_response(
                village=data["village"],
                unit=data["unit"],
                service=data["service"],
                scores={c: data[c] for c in IKM_ELEMENTS},
                profile=_profile(data),
                channel=Channel.PORTAL,
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect("surveys:thanks")
    return render(request, "surveys/ikm_form.html", {"form": form, "public": True})


@allow_public
def trust_public(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and over_public_limit(request):
        return _too_many(request)
    form = TrustForm(request.POST or None, villages=public_villages())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_trust_response(
                village=data["village"],
                answers={q: data[q] for q in TRUST_QUESTIONS},
                channel=Channel.PORTAL,
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect("surveys:thanks")
    return render(request, "surveys/trust_form.html", {"form": form, "public": True})


@allow_public
def invited(request: HttpRequest, token: str) -> HttpResponse:
    invitations = TrustInvitation.objects.select_related("village").filter(token=token)
    invitation = unscoped(invitations, "the invitation's secret token names it").first()
    if invitation is None:
        raise Http404
    if invitation.answered_at is not None:
        return render(request, "surveys/thanks.html", {"already": True}, status=409)
    if request.method == "POST" and over_public_limit(request):
        return _too_many(request)
    # A village a pemekaran ended: the resident chooses among the villages that replaced it.
    ended, after = services.invitation_ended(invitation.village, timezone.localdate())
    successors = Territory.objects.filter(pk__in=[t.pk for t in after]) if after else None
    form = TrustForm(request.POST or None, successors=successors)
    if request.method == "POST" and form.is_valid() and not (ended and not after):
        try:
            services.submit_trust_response(
                village=form.cleaned_data.get("village"),
                answers={q: form.cleaned_data[q] for q in TRUST_QUESTIONS},
                invitation_token=token,
                actor=request.user,
            )
        except DomainError as exc:
            if exc.code == "already_answered":
                return render(request, "surveys/thanks.html", {"already": True}, status=409)
            form.add_error(None, str(exc.message))
        else:
            return redirect("surveys:thanks")
    return render(
        request,
        "surveys/trust_form.html",
        {"form": form, "invitation": invitation, "public": True, "ended": ended, "after": after},
    )


@allow_public
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html", {})


def _staff_or_404(request: HttpRequest) -> None:
    if not has_role(request.user, *STAFF_ROLES):
        raise Http404


@login_required
@allow(*STAFF_ROLES)
def ikm_entry(request: HttpRequest) -> HttpResponse:
    _staff_or_404(request)
    villages = visible_territories(request.user)
    form = IkmEntryForm(request.POST or None, villages=villages, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_ikm_response(
                village=data["village"],
                unit=data["unit"],
                service=data["service"],
                scores={c: data[c] for c in IKM_ELEMENTS},
                profile=_profile(data),
                channel=Channel.PAPER,
                answered_on=data["answered_on"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The IKM form was saved. Enter the next one."))
            return redirect("surveys:ikm_entry")
    return render(request, "surveys/ikm_form.html", {"form": form, "public": False})


@login_required
@allow(*STAFF_ROLES)
def trust_entry(request: HttpRequest) -> HttpResponse:
    _staff_or_404(request)
    form = TrustEntryForm(
        request.POST or None, villages=visible_territories(request.user), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_trust_response(
                village=data["village"],
                answers={q: data[q] for q in TRUST_QUESTIONS},
                channel=Channel.PAPER,
                answered_on=data["answered_on"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The survey form was saved. Enter the next one."))
            return redirect("surveys:trust_entry")
    return render(request, "surveys/trust_form.html", {"form": form, "public": False})


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = add_months(month_start(today), -11)
    try:
        end = datetime.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    return start, end


@login_required
@allow(*STAFF_ROLES)
def results(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """IKM per service unit and village, trust per territory and month, for the user's scope."""
    tops = top_territories(request.user)
    if code is None:
        if not tops:
            raise Http404
        code = tops[0].code
    territory = territory_for_user(request.user, code)
    start, end = _period(request)
    responses = IkmResponse.objects.for_user(request.user).filter(
        queries.within("village__code", code)
    )
    children = queries.trust_by_child(territory, start, end)
    trust = queries.trust_summary(code, start, end)
    series = queries.trust_series(code, start, end)
    chart = None
    charted = [(m, s) for m, s in series if s.respondents >= 2]  # a mean needs two answers
    if len(charted) >= 2:
        from django.utils.formats import date_format

        from jaga.core.charts import line_chart

        labels = question_labels()

        def means(q: str) -> list[float]:
            return [(s.estimates[q].value if s.estimates.get(q) else 0.0) for _m, s in series]

        months = [date_format(m, "M y") for m, _s in charted]
        lines = [(labels[q], means(q)) for q in ("trust_police", "safe_night", "safe_home")]
        title = _("Trust and sense of safety per month (1–5)")
        chart = line_chart(months, lines, title)
    # The IKM weights and grade bands, read once for the three IKM figures.
    weights, bands = queries.current_weights(), queries.current_bands()
    context = {
        "territory": territory,
        "tops": tops,
        "start": start,
        "end": end,
        "ikm_overall": queries.ikm_overall(responses, start, end, weights=weights, bands=bands),
        "ikm_units": queries.ikm_table(responses, "unit", start, end, weights=weights, bands=bands),
        # A regency lists its districts (one can click through); a district its villages.
        "ikm_areas": queries.ikm_table(
            responses,
            "district" if territory.level in (Level.REGENCY, Level.PROVINCE) else "village",
            start,
            end,
            weights=weights,
            bands=bands,
        ),
        "elements": list(IkmElement.objects.all()),
        "trust": trust,
        "trust_rows": estimate_rows(trust),
        "trust_children": [(c, s, estimate_rows(s)) for c, s in children],
        "trust_series": [(m, s, estimate_rows(s)) for m, s in series],
        "trust_chart": chart,
        "labels": question_labels(),
        "joined": queries.joined_by_child(territory, start, end, children),
    }
    return render(request, "surveys/results.html", context)


@login_required
@allow(*STAFF_ROLES)
def import_file(request: HttpRequest) -> HttpResponse:
    """Staff type paper forms into Excel and import them at once (all rows or none)."""
    _staff_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    confirming = request.method == "POST" and "token" in request.POST
    if confirming or (request.method == "POST" and form.is_valid()):
        kind = request.POST.get("kind", "") if confirming else form.cleaned_data["kind"]
        if kind not in services.IMPORT_COLUMNS:
            raise Http404
        response, errors = roundtrip.web_import(
            request,
            functools.partial(services.import_survey_forms, kind=kind),
            title=str(dict(form.fields["kind"].choices)[kind]),  # type: ignore[attr-defined]
            upload=None if confirming else form.cleaned_data["file"],
            back_url=reverse("surveys:import"),
            hidden={"kind": kind},
        )
        if response is not None:
            return response
        form = ImportForm()
    return render(
        request,
        "surveys/import.html",
        {"form": form, "errors": errors, "columns": services.IMPORT_COLUMNS},
    )


@login_required
@allow(*STAFF_ROLES)
def export_forms(request: HttpRequest, kind: str) -> HttpResponse:
    """The survey forms of the user's area with their ids: edit and import back to correct."""
    _staff_or_404(request)
    if kind not in services.IMPORT_COLUMNS:
        raise Http404
    from jaga.partners.exports import export_response

    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    return export_response(
        services.export_headers(kind),
        services.survey_rows(kind, request.user),
        f"survei-{kind}",
        fmt,
    )


@login_required
@allow(*STAFF_ROLES)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    _staff_or_404(request)
    if kind not in services.IMPORT_COLUMNS:
        raise Http404
    from jaga.core.tabular import write_xlsx

    headers = services.IMPORT_COLUMNS[kind] + (services.IKM_OPTIONAL if kind == "ikm" else [])
    response = HttpResponse(
        write_xlsx(headers, []),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="survei-{kind}.xlsx"'
    return response
