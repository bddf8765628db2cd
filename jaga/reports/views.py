"""Anev report pages (staff): request a report, follow its progress, read it, download the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    get_for_user,
    has_role,
    territory_for_user,
)
from jaga.core.choose import SELECT_LIMIT
from jaga.core.errors import DomainError
from jaga.core.months import add_months, month_start
from jaga.reports import services
from jaga.reports.forms import AnevForm
from jaga.reports.models import ReportJob
from jaga.territory.models import Level, Territory
from jaga.territory.queries import visible_territories


def _staff(request: HttpRequest) -> None:
    if not has_role(request.user, *STAFF_ROLES):
        raise Http404


def _areas(request: HttpRequest) -> list[Territory]:
    """The regencies and districts in scope, at most one more than a select holds: a Polres or
    Polda gets them all, the country (7,799) the name box instead (`AnevForm`)."""
    return list(
        visible_territories(request.user)
        .filter(level__in=[Level.REGENCY, Level.DISTRICT])
        .order_by("code")[: SELECT_LIMIT + 1]
    )


@login_required
@allow(*STAFF_ROLES)
def anev(request: HttpRequest) -> HttpResponse:
    _staff(request)
    areas = _areas(request)
    last_month = add_months(month_start(timezone.localdate()), -1).strftime("%Y-%m")
    form = AnevForm(
        request.POST or None, territories=areas, user=request.user, initial={"month": last_month}
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["territory"]
        territory = territory_for_user(request.user, code)
        try:
            job = services.request_anev(
                territory=territory,
                month=form.cleaned_data["month"],
                language=form.cleaned_data["language"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect("reports:job", job.code)
    jobs = ReportJob.objects.for_user(request.user).select_related("territory")[:20]
    return render(request, "reports/anev_form.html", {"form": form, "jobs": jobs})


def _job(request: HttpRequest, code: str) -> ReportJob:
    _staff(request)
    return get_for_user(ReportJob.objects.select_related("territory"), request.user, code=code)


@login_required
@allow(*STAFF_ROLES)
def job(request: HttpRequest, code: str) -> HttpResponse:
    found = _job(request, code)
    template = "reports/_job_status.html" if request.htmx else "reports/job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": found})


@login_required
@allow(*STAFF_ROLES)
def job_html(request: HttpRequest, code: str) -> HttpResponse:
    found = _job(request, code)
    if found.status != "done":
        raise Http404
    return HttpResponse(found.html)


@login_required
@allow(*STAFF_ROLES)
def job_pdf(request: HttpRequest, code: str) -> HttpResponse:
    found = _job(request, code)
    if found.status != "done" or not found.pdf:
        raise Http404
    response = HttpResponse(bytes(found.pdf), content_type="application/pdf")
    name = f"anev-{found.territory.code}-{found.month:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
@allow(*STAFF_ROLES)
def retry(request: HttpRequest, code: str) -> HttpResponse:
    found = _job(request, code)
    try:
        new = services.request_anev(
            territory=found.territory,
            month=found.month,
            language=found.language,
            actor=request.user,
        )
    except DomainError as exc:
        # E.g. the month's figures were removed since: say why on the job's page, queue nothing.
        messages.error(request, str(exc.message))
        return render(request, "reports/job.html", {"job": found}, status=400)
    return redirect("reports:job", new.code)
