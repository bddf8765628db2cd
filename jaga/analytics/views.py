"""Analytics pages: thin views over queries (roll-ups) and services."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jaga.accounts.access import ALL_CODES, STAFF_ROLES, allow, scope_codes
from jaga.analytics import (
    drill,
    evaluation,
    glance,
    hotspots,
    participation,
    plain,
    queries,
    scorecard,
    services,
    warning,
)
from jaga.analytics.models import RaidPlan
from jaga.analytics.units import COUNTRY_KEY, Unit, last_complete_month, parse_month, resolve_unit
from jaga.core import charts
from jaga.core.errors import DomainError
from jaga.core.months import add_months
from jaga.core.paging import CappedPaginator
from jaga.incidents.models import Category, Incident
from jaga.incidents.views import source_url
from jaga.programs.models import Programme
from jaga.territory.models import Level, Territory

# Units whose pages give figures by district or regency, not a row per village.
LARGE_LEVELS = ("province", "country")


def _unit(request: HttpRequest) -> Unit:
    return resolve_unit(request.user, request.GET.get("territory") or request.POST.get("territory"))


def _month(request: HttpRequest) -> datetime.date:
    return parse_month(request.GET.get("month")) or last_complete_month()


def unit_choices(request: HttpRequest, unit: Unit) -> list[tuple[str, str]]:
    """The user's scopes, the current unit's parent chain inside them and its children."""
    scopes = scope_codes(request.user)
    seen: dict[str, str] = {}
    if ALL_CODES in scopes:
        # The national level: the country, then its provinces (each opens its regencies).
        seen[COUNTRY_KEY] = "Indonesia"
        tops = list(Territory.objects.filter(level=Level.PROVINCE).order_by("code"))
    else:
        tops = list(Territory.objects.filter(code__in=scopes))
    for t in tops:
        seen[t.code] = t.display_name
    if unit.territory is not None:
        seen.setdefault(unit.territory.code, unit.territory.display_name)
        for child in unit.territory.children.order_by("code"):
            seen.setdefault(child.code, "· " + child.display_name)
    return list(seen.items())


def _base(request: HttpRequest, unit: Unit, **extra: Any) -> dict[str, Any]:
    return {"unit": unit, "choices": unit_choices(request, unit), **extra}


@login_required
@allow(*STAFF_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    month = _month(request)
    # Every incident count in one query (a province's or the country's from the cache).
    counts, tr = queries.dashboard_figures(unit, month)
    comp = counts.comp
    fit = tr["fit"]
    months, month_counts, fitted = queries.trend_with_gaps(tr)
    chart = charts.column_chart(
        months,
        [[charts.Part("", month_counts, "#c9a6a6")]],
        title=_("Incidents per month"),
        trend=fitted,
        withheld="?",
        withheld_tip=_("no record at all in some regency: unknown, not zero"),
        wide_stride=6,
        label_chars=8,
        height=220,
        narrow_height=210,
        slot_fill=0.9,
    )
    sparks = counts.sparks
    # A gap month (None) is marked as on the chart above: unknown, not zero.
    spark_len = len(sparks[0]["values"]) if sparks else 0
    spark_labels = [add_months(month, i - spark_len + 1).isoformat()[:7] for i in range(spark_len)]
    for s in sparks:
        s["svg"] = charts.sparkline(
            s["values"],
            labels=spark_labels,
            withheld_tip=_("no record at all in some regency: unknown, not zero"),
        )
    context = _base(
        request,
        unit,
        month=month,
        month_value=month.isoformat()[:7],
        comp=comp,
        trend=tr,
        fit=fit,
        chart=chart,
        sparks=sparks,
        spark_gaps=any(None in s["values"] for s in sparks),
        alarms=warning.alarms_report(unit, month, limit=10)["alarms"],
        glance=queries.glance_figures(unit, month),
        live=glance.figures(unit, month, request.user),
        coverage=queries.coverage(unit, limit=0),  # the page shows the counts
        prev_month=add_months(month, -1).isoformat()[:7],
        last_year_month=add_months(month, -12).isoformat()[:7],
        year_start=month.replace(month=1).isoformat()[:7],
        last_year_start=datetime.date(month.year - 1, 1, 1).isoformat()[:7],
        spark_from=add_months(month, -11).isoformat()[:7],  # "Last 12 months" of the sparks
        next_month=add_months(month, 1).isoformat()[:7] if month < last_complete_month() else "",
    )
    return render(request, "analytics/dashboard.html", context)


@login_required
@allow(*STAFF_ROLES)
def alarms_page(request: HttpRequest) -> HttpResponse:
    """The alarms of the unit, `ALARMS_PAGE` a page (the country has over a thousand: only the
    page shown is named and rendered; the sentence above counts them all)."""
    unit = _unit(request)
    month = _month(request)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    report = warning.alarms_report(
        unit, month, limit=ALARMS_PAGE, offset=(number - 1) * ALARMS_PAGE
    )
    pages = max(1, -(-report["total"] // ALARMS_PAGE))
    if number > pages:  # past the end: the last page
        number = pages
        report = warning.alarms_report(
            unit, month, limit=ALARMS_PAGE, offset=(number - 1) * ALARMS_PAGE
        )
    first = (number - 1) * ALARMS_PAGE
    return render(
        request,
        "analytics/alarms.html",
        _base(
            request,
            unit,
            month=month,
            month_value=month.isoformat()[:7],
            alarms=report["alarms"],
            lead=plain.ongoing_villages_in_words(report["ongoing_villages"]),
            total=report["total"],
            first=first + 1,
            last=first + len(report["alarms"]),
            page_number=number,
            pages=pages,
            previous_page=number - 1 if number > 1 else None,
            next_page=number + 1 if number < pages else None,
            period=report["period"],
            window=warning.WINDOW,
            alpha_pct=warning.ALPHA * 100,
        ),
    )


ALARMS_PAGE = 100


@login_required
@allow(*STAFF_ROLES)
def evaluation_page(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    programmes = list(Programme.objects.filter(adoptions__isnull=False).distinct())
    code = request.GET.get("programme") or (programmes[0].code if programmes else "")
    category = request.GET.get("category") or None
    result, error = None, None
    if code:
        try:
            result = evaluation.evaluate_cached(code, unit, category)
        except DomainError as exc:
            error = exc.message
    chart = charts.event_study_chart(
        result["event_study"] if result else [], title=_("Effect by months since adoption")
    )
    return render(
        request,
        "analytics/evaluation.html",
        _base(
            request,
            unit,
            programmes=programmes,
            programme=code,
            categories=Category.objects.filter(parent__isnull=True, is_active=True),
            category=category or "",
            result=result,
            error=error,
            chart=chart,
        ),
    )


@login_required
@allow(*STAFF_ROLES)
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """Every programme of the unit and what can honestly be said of it (issue 11, item 5)."""
    unit = _unit(request)
    raw = request.GET.get("month")
    month = _month(request)
    card: dict[str, Any] | None = None
    error = ""
    if raw and parse_month(raw) is None:
        error = _("The month must look like 2026-10.")
    else:
        try:
            card = scorecard.scorecard(unit, month)
        except DomainError as exc:
            error = str(exc.message)
    return render(
        request,
        "analytics/scorecard.html",
        _base(
            request,
            unit,
            month=month,
            month_value=month.isoformat()[:7],
            card=card,
            error=error,
        ),
    )


def _link_places(plan: RaidPlan) -> None:
    """Each proposed place links to the incidents its count covers: the plan's area, the cell and
    the moments counted (a plan proposed before they were kept: the weeks before it was made)."""
    for place in plan.places:
        since = drill.moment(place.get("since")) or plan.created_at - datetime.timedelta(
            weeks=hotspots.WEEKS
        )
        until = drill.moment(place.get("until")) or plan.created_at
        place["records"] = drill.records_url(
            plan.territory.code, cell=place["cell"], since=since, until=until
        )


@login_required
@require_http_methods(["GET", "POST"])
@allow(*STAFF_ROLES)
def hotspots_page(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    if request.method == "POST":
        try:
            week = datetime.date.fromisoformat(request.POST.get("week", ""))
        except ValueError:
            week = timezone.localdate() + datetime.timedelta(days=7)
        try:
            services.propose_raid_plan(unit, week, actor=request.user)
            messages.success(request, _("Raid places proposed for the week."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect(f"{request.path}?territory={unit.key}")
    try:
        weeks = max(1, min(int(request.GET.get("weeks", hotspots.WEEKS)), 104))
    except ValueError:
        weeks = hotspots.WEEKS
    found = hotspots.hot_cells(unit, weeks=weeks)
    plans = list(
        RaidPlan.objects.for_user(request.user)
        .filter(territory__code__in=unit.codes)
        .select_related("territory")[:4]
    )
    for plan in plans:
        _link_places(plan)
    next_week = services.week_start(timezone.localdate()) + datetime.timedelta(days=7)
    return render(
        request,
        "analytics/hotspots.html",
        _base(
            request,
            unit,
            found=found,
            weeks=weeks,
            hot=[
                {
                    **hotspots.place_of(c, found["village_of"].get(c.cell)),
                    "p": c.p,
                    "records": drill.records_url(
                        unit.key, cell=c.cell, since=found["since"], until=found["until"]
                    ),
                }
                for c in found["cells"]
                if c.kind == "hot" and c.count > 0
            ][:15],
            cold=sum(1 for c in found["cells"] if c.kind == "cold"),
            svg=mark_safe(hotspots.svg_map(found)),  # noqa: S308 - numbers only
            plans=plans,
            next_week=next_week,
        ),
    )


@login_required
@allow(*STAFF_ROLES)
def participation_page(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    month = _month(request)
    return render(
        request,
        "analytics/participation.html",
        _base(
            request,
            unit,
            month=month,
            first_month=add_months(month, -11),
            participation=participation.participation(unit, add_months(month, -11), month),
            # Above a regency the villages without a Bhabinkamtibmas are thousands: their number
            # only (each regency's page lists its own).
            coverage=queries.coverage(unit, limit=0 if unit.level in LARGE_LEVELS else None),
        ),
    )


@login_required
@allow(*STAFF_ROLES)
def records(request: HttpRequest) -> HttpResponse:
    """The incidents behind a figure, by the terms it was counted by (`jaga.analytics.drill`)."""
    unit = drill.own_only(_unit(request), request.GET)
    qs = Incident.objects.for_user(request.user).filter(unit.incident_q(key="regency_code"))
    category = request.GET.get("category")
    if category:
        qs = qs.filter(category_id__in=queries.category_ids_with_children(category))
    qs, months = drill.in_months(qs, request.GET)
    qs, cell = drill.in_cell(qs, request.GET)
    # A province or the country has millions of incidents: count at most CAP of them.
    page = CappedPaginator(
        qs.select_related("category", "village").order_by("-occurred_at", "-id"), 50
    ).get_page(request.GET.get("page"))
    # Each counted incident links to its record and to the record it came from (a desk report,
    # an operation, an early detection); those pages check the reader's scope again.
    rows = [(i, source_url(i.source_ref, i.source)) for i in page]
    return render(
        request,
        "analytics/records.html",
        _base(
            request,
            unit,
            page=page,
            rows=rows,
            category=category or "",
            query=drill.carried(request.GET),
            **months,
            **cell,
        ),
    )
