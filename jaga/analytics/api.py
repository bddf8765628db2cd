"""The analytics API: the same figures as the dashboards, read from the roll-ups."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import ninja
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from ninja import Router

from jaga.accounts.access import STAFF_ROLES, allow
from jaga.analytics import (
    evaluation,
    hotspots,
    participation,
    queries,
    scorecard,
    services,
    warning,
)
from jaga.analytics import glance as live_figures
from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric, RaidPlan
from jaga.analytics.schemas import (
    AlarmOut,
    CompStatOut,
    EvaluationOut,
    RaidPlanIn,
    RaidPlanOut,
    RollupRowOut,
    ScorecardOut,
)
from jaga.analytics.units import Unit, last_complete_month, parse_month, resolve_unit
from jaga.core.apidocs import gettext_lazy
from jaga.core.errors import DomainError
from jaga.core.months import add_months
from jaga.core.params import MAX_LIMIT, Limit, Months, Offset

router = Router(tags=["analytics"])


def _month(value: str | None) -> datetime.date:
    if value and parse_month(value) is None:
        raise DomainError("bad_month", "month must look like 2026-10")
    return parse_month(value) or last_complete_month()


@router.get(
    "/compstat", response=CompStatOut, summary=gettext_lazy("CompStat of a unit for a month")
)
@allow(*STAFF_ROLES)
def compstat(request: HttpRequest, territory: str | None = None, month: str | None = None) -> Any:
    unit = resolve_unit(request.user, territory)
    c = queries.compstat(unit, _month(month))
    return {
        "territory": unit.key,
        "name": unit.name,
        "month": c.month.isoformat()[:7],
        "population": c.population,
        "population_year": c.population_year,
        "rows": [r.as_dict() for r in c.rows],
        "total": c.total.as_dict() if c.total else None,
        "known": c.known,
        "notice": c.notice(),
    }


@router.get(
    "/trend",
    response=dict[str, Any],
    summary=gettext_lazy("Is the unit's series falling or rising?"),
)
@allow(*STAFF_ROLES)
def trend(
    request: HttpRequest,
    territory: str | None = None,
    category: str | None = None,
    months: Months = 36,
    month: str | None = None,
) -> Any:
    unit = resolve_unit(request.user, territory)
    t = queries.trend(unit, _month(month), max(6, min(months, 120)), category)
    fit = t.pop("fit")
    return {**t, "territory": unit.key, "fit": fit.as_dict() if fit else None}


@router.get(
    "/alarms", response=list[AlarmOut], summary=gettext_lazy("Early-warning alarms (Poisson scan)")
)
@allow(*STAFF_ROLES)
def alarms(request: HttpRequest, territory: str | None = None, month: str | None = None) -> Any:
    return warning.alarms_cached(resolve_unit(request.user, territory), _month(month))


def _alarms_and_period(unit: Unit, end: datetime.date) -> dict[str, Any]:
    report = warning.alarms_report(unit, end)
    return {"alarms": report["alarms"], "alarms_period": report["period"]}


@router.get(
    "/evaluation", response=EvaluationOut, summary=gettext_lazy("A programme's effect on incidents")
)
@allow(*STAFF_ROLES)
def evaluate(
    request: HttpRequest,
    programme: str,
    territory: str | None = None,
    category: str | None = None,
    month: str | None = None,
) -> Any:
    unit = resolve_unit(request.user, territory)
    return evaluation.evaluate_cached(programme, unit, category, parse_month(month))


@router.get(
    "/scorecard",
    response=ScorecardOut,
    summary=gettext_lazy("Every programme of a unit and what can be said of it"),
)
@allow(*STAFF_ROLES)
def scorecard_view(
    request: HttpRequest, territory: str | None = None, month: str | None = None
) -> Any:
    unit = resolve_unit(request.user, territory)
    return scorecard.scorecard(unit, _month(month))


@router.get("/coverage", response=dict[str, Any], summary=gettext_lazy("Bhabinkamtibmas coverage"))
@allow(*STAFF_ROLES)
def coverage(
    request: HttpRequest, territory: str | None = None, limit: Limit = 1000, offset: Offset = 0
) -> Any:
    """Counts for the whole unit; `villages_without` lists `limit` of the villages without a
    Bhabinkamtibmas from `offset` (by code), `villages_without_count` says how many there are."""
    c = queries.coverage(resolve_unit(request.user, territory), limit=limit, offset=offset)
    c["villages_without"] = [{"code": code, "name": name} for code, name in c["villages_without"]]
    return c


@router.get(
    "/participation", response=dict[str, Any], summary=gettext_lazy("Participation and incidents")
)
@allow(*STAFF_ROLES)
def participation_view(
    request: HttpRequest,
    territory: str | None = None,
    months: Months = 12,
    month: str | None = None,
    by: str | None = None,
) -> Any:
    """Rates, the association across villages, and a row per village (`villages`, for a
    regency or smaller) or per district or regency (`areas`, above a regency): `by` is
    `village`, `district` or `regency`; `level` in the answer says which was given."""
    unit = resolve_unit(request.user, territory)
    end = _month(month)
    if by is not None and by not in participation.LEVELS:
        raise DomainError("bad_level", "by must be village, district or regency")
    return participation.participation(unit, add_months(end, -(max(1, months) - 1)), end, by)


@router.get(
    "/glance",
    response=dict[str, Any],
    summary=gettext_lazy("The month's figures of the other apps"),
)
@allow(*STAFF_ROLES)
def glance(request: HttpRequest, territory: str | None = None, month: str | None = None) -> Any:
    return queries.glance_figures(resolve_unit(request.user, territory), _month(month))


# Above a regency a roll-up by village is tens of thousands of rows: pages of this many unless
# the client asks for another `limit`.
ROLLUP_PAGE = 10_000
RollupLimit = Annotated[
    int | None,
    ninja.Query(
        ge=1,
        le=ROLLUP_PAGE,
        description=(
            "Rows to return (1 to 10000). Default: every row for a regency or smaller, 10000 "
            "above; a page with fewer rows than asked is the last."
        ),
    ),
]


@router.get(
    "/rollups", response=list[RollupRowOut], summary=gettext_lazy("Monthly roll-up summed by level")
)
@allow(*STAFF_ROLES)
def rollups(
    request: HttpRequest,
    territory: str | None = None,
    by: str | None = None,
    metric: str = "incidents",
    key: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: RollupLimit = None,
    offset: Offset = 0,
) -> Any:
    """Σ per (child unit, month), ordered by code and month: `by` is village, district, regency
    or province (default: district for a regency or smaller, regency for a province or the
    country); `metric` is `incidents` (all categories) or a MonthlyMetric name such as
    `requests.received`. Incidents by district, regency or province are read from the area
    roll-up. Rows are paged with `limit` and `offset`."""
    unit = resolve_unit(request.user, territory)
    large = unit.level in ("province", "country")
    by = by or ("regency" if large else "district")
    field = {
        "village": "village__code",
        "district": "district_code",
        "regency": "regency_code",
        "province": "province_code",
    }.get(by)
    if field is None:
        raise DomainError("bad_level", "by must be village, district, regency or province")
    last = _month(end)
    first = parse_month(start) or add_months(last, -11)
    size = limit or (ROLLUP_PAGE if large else None)
    qs: QuerySet[Any]
    summed = queries.rollup_by_regency(unit, by, first, last) if metric == "incidents" else None
    if summed is not None:
        return [
            {"code": code, "month": month.isoformat()[:7], "value": n}
            for code, month, n in (summed[offset : offset + size] if size else summed[offset:])
        ]
    if metric == "incidents":
        areas = queries.area_counts_by(unit, by)
        if areas is not None:  # the area roll-up: a few rows per district and month
            qs, field = areas, "code"
        else:
            qs = MonthlyIncidentCount.objects.filter(unit.rollup_q())
        value = Sum("count")
    else:
        metrics = MonthlyMetric.objects.filter(unit.rollup_q(), metric=metric)
        qs = metrics.filter(key=key) if key is not None else metrics
        value = Sum("value")
    rows = (
        qs.filter(month__gte=first, month__lte=last)
        .values(field, "month")
        .annotate(n=value)
        .order_by(field, "month")
    )
    page = rows[offset : offset + size] if size else rows[offset:]
    return [{"code": r[field], "month": r["month"].isoformat()[:7], "value": r["n"]} for r in page]


@router.get(
    "/hotspots",
    response=dict[str, Any],
    summary=gettext_lazy("Gi* hot and cold cells on an H3 grid"),
)
@allow(*STAFF_ROLES)
def hot(request: HttpRequest, territory: str | None = None, weeks: int = 12) -> Any:
    found = hotspots.hot_cells(resolve_unit(request.user, territory), max(1, min(weeks, 104)))
    return {
        "since": found["since"],
        "until": found["until"],
        "resolution": found["resolution"],
        "points": found["points"],
        "cells": [
            {"cell": c.cell, "count": c.count, "z": c.z, "p": c.p, "lat": c.lat, "lon": c.lon,
             "kind": c.kind}
            for c in found["cells"]
        ],
    }  # fmt: skip


def _plan_out(plan: RaidPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "territory": plan.territory.code,
        "week": plan.week,
        "places": plan.places,
    }


@router.post(
    "/raid-plans",
    response={201: RaidPlanOut},
    summary=gettext_lazy("Propose the week's raid places"),
)
@allow(*STAFF_ROLES)
def propose(request: HttpRequest, payload: RaidPlanIn) -> Any:
    unit = resolve_unit(request.user, payload.territory)
    plan = services.propose_raid_plan(unit, payload.week, actor=request.user)
    return ninja.Status(201, _plan_out(plan))


@router.get(
    "/raid-plans", response=list[RaidPlanOut], summary=gettext_lazy("Raid plans in my scope")
)
@allow(*STAFF_ROLES)
def plans(request: HttpRequest, territory: str | None = None, limit: Limit = 20) -> Any:
    qs = RaidPlan.objects.for_user(request.user).select_related("territory")
    if territory:
        unit = resolve_unit(request.user, territory)
        qs = qs.filter(territory__code__in=unit.codes)
    return [_plan_out(p) for p in qs[: max(1, min(limit, 100))]]


@router.get(
    "/dashboard",
    response=dict[str, Any],
    summary=gettext_lazy("The month at a glance, as on the page"),
)
@allow(*STAFF_ROLES)
def dashboard(request: HttpRequest, territory: str | None = None, month: str | None = None) -> Any:
    unit = resolve_unit(request.user, territory)
    end = _month(month)
    # Every incident count in one read, as on the page (the figures of compstat, trend and
    # district_sparklines, which would read them in three).
    counts, tr = queries.dashboard_figures(unit, end)  # from the cache above a Polres
    comp = counts.comp
    fit = tr.pop("fit")
    cov = queries.coverage(unit, limit=MAX_LIMIT)
    cov["villages_without"] = [{"code": c, "name": n} for c, n in cov["villages_without"]]
    return {
        "territory": unit.key,
        "name": unit.name,
        "month": end.isoformat()[:7],
        "compstat": {
            "rows": [r.as_dict() for r in comp.rows],
            "total": comp.total.as_dict() if comp.total else None,
            "population": comp.population,
            "known": comp.known,
            "notice": comp.notice(),
        },
        "trend": {**tr, "fit": fit.as_dict() if fit else None},
        "areas": [
            {
                "code": s["territory"].code,
                "name": s["territory"].display_name,
                "values": s["values"],
                "mann_kendall": s["mk"].as_dict(),
            }
            for s in counts.sparks
        ],
        **_alarms_and_period(unit, end),
        "glance": queries.glance_figures(unit, end),
        "live": [
            {k: str(v) if k == "label" else v for k, v in item.items()}
            for item in live_figures.figures(unit, end, request.user)
        ],
        "coverage": cov,
    }
