"""Participation joined to incidents: do villages with higher attendance have fewer disturbances?

Per village over a period: Σattended / Σinvited (never an average of rates) against incidents per
10,000 residents. The association is a quasi-Poisson regression of the village's incidents on its
attendance rate with log(population x months) as offset, plus Spearman's rank correlation. It is
cross-sectional: it says whether the two go together, not which causes which.
"""

from __future__ import annotations

import datetime
import math
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
from django.db.models import Sum
from django.utils.translation import gettext as _
from scipy import stats

from jaga.analytics.evaluation import fmt
from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.queries import ATTENDANCE_METRICS, ratio
from jaga.analytics.units import Unit
from jaga.core.months import months_between
from jaga.programs import metrics as programme_metrics
from jaga.territory.models import Population, Territory


def association(
    incidents: np.ndarray, exposure: np.ndarray, attendance_pct: np.ndarray
) -> dict[str, Any] | None:
    """Rate ratio of incidents per +10 points of attendance, its 95% CI, p, and Spearman's rho."""
    import statsmodels.api as sm

    if len(incidents) < 8 or incidents.sum() == 0 or np.ptp(attendance_pct) == 0:
        return None
    X = sm.add_constant(attendance_pct / 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(incidents, X, family=sm.families.Poisson(), offset=np.log(exposure)).fit(
            scale="X2"
        )
        rho, rho_p = stats.spearmanr(attendance_pct, incidents / exposure)
    b, se = float(fit.params[1]), float(fit.bse[1])
    return {
        "villages": len(incidents),
        "rate_ratio_per_10_points": math.exp(b),
        "ci_low": math.exp(b - 1.96 * se),
        "ci_high": math.exp(b + 1.96 * se),
        "p": float(fit.pvalues[1]),
        "spearman_rho": float(rho),
        "spearman_p": float(rho_p),
    }


def says(assoc: dict[str, Any] | None) -> str:
    if assoc is None:
        return _("Too few villages with invitations (or no spread in attendance) to say anything.")
    rr, lo, hi, p = (assoc[k] for k in ("rate_ratio_per_10_points", "ci_low", "ci_high", "p"))
    if p >= 0.05:
        return _(
            "No clear link: villages with higher attendance do not have detectably fewer or more "
            "incidents (rate ratio per 10 points of attendance %(rr)s, 95%% interval %(lo)s "
            "to %(hi)s, p = %(p)s)."
        ) % {"rr": fmt(rr, 2), "lo": fmt(lo, 2), "hi": fmt(hi, 2), "p": fmt(p, 2)}
    if rr < 1:
        return _(
            "Villages with higher attendance have fewer incidents: each 10 points more attendance "
            "goes with %(pct)s%% fewer incidents per resident (95%% interval %(lo)s to "
            "%(hi)s, p = %(p)s). This is an association across villages, not proof that "
            "attendance causes the difference."
        ) % {"pct": fmt((1 - rr) * 100, 0), "lo": fmt(lo, 2), "hi": fmt(hi, 2), "p": fmt(p, 3)}
    return _(
        "Villages with higher attendance have more incidents: each 10 points more attendance "
        "goes with %(pct)s%% more incidents per resident (95%% interval %(lo)s to %(hi)s, "
        "p = %(p)s). Meetings may be called where trouble is: this is not a causal effect."
    ) % {"pct": fmt((rr - 1) * 100, 0), "lo": fmt(lo, 2), "hi": fmt(hi, 2), "p": fmt(p, 3)}


def _attendance_by_village(
    unit: Unit, start: datetime.date, end: datetime.date
) -> dict[int, dict[str, int]]:
    """The attendance figures of each village with any in the period, from the roll-ups."""
    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ATTENDANCE_METRICS, 0))
    for vid, metric, n in (
        MonthlyMetric.objects.filter(
            unit.rollup_q(), month__gte=start, month__lte=end, metric__in=ATTENDANCE_METRICS
        )
        .values("village_id", "metric")
        .annotate(n=Sum("value"))
        .values_list("village_id", "metric", "n")
    ):
        figures[vid][metric] = int(n or 0)
    return figures


def _population_by_village(ids: list[int]) -> dict[int, int]:
    """Residents per village in the latest year known for any of them."""
    if not ids:
        return {}
    year = (
        Population.objects.filter(village_id__in=ids)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    population = (
        dict(
            Population.objects.filter(village_id__in=ids, year=year).values_list(
                "village_id", "count"
            )
        )
        if year
        else {}
    )
    return population


def _association_of(rows: list[dict[str, Any]], months: int) -> dict[str, Any] | None:
    """The association over the villages that invited anyone and have a population."""
    usable = [r for r in rows if r["invited"] > 0 and r["population"]]
    assoc = None
    if usable:
        assoc = association(
            np.array([r["incidents"] for r in usable], dtype=float),
            np.array([r["population"] * months for r in usable], dtype=float),
            np.array([r["attendance_pct"] for r in usable], dtype=float),
        )
    return assoc


VILLAGE = "village"
# The levels a participation table may be given by, and the village column naming each.
LEVELS = {VILLAGE: "code", "district": "district_code", "regency": "regency_code"}


def default_level(unit: Unit) -> str:
    """Village rows for a regency or smaller (a Polres, a Polsek); regency rows above (a Polda,
    the country), where a row per village would be thousands."""
    return "regency" if unit.level in ("province", "country") else VILLAGE


def _village_rows(
    unit: Unit, start: datetime.date, end: datetime.date, months: int
) -> list[dict[str, Any]]:
    """A row per village with any invitation in the period (attendance figures, incidents and
    population). Only those villages are read: a village without figures has no row and no part
    in the association, so its incidents and residents are never asked for."""
    figures = _attendance_by_village(unit, start, end)
    if not figures:
        return []
    ids = sorted(figures)
    villages = list(
        Territory.objects.filter(id__in=ids).values_list(
            "id", "code", "name", "district_code", "regency_code"
        )
    )
    incidents = dict(
        MonthlyIncidentCount.objects.filter(
            unit.rollup_q(), village_id__in=ids, month__gte=start, month__lte=end
        )
        .values("village_id")
        .annotate(n=Sum("count"))
        .values_list("village_id", "n")
    )
    population = _population_by_village(ids)
    rows: list[dict[str, Any]] = []
    for vid, code, name, district, regency in sorted(villages, key=lambda v: v[1]):
        f = figures[vid]
        pop = population.get(vid)
        rows.append(
            {
                "village_id": vid,
                "code": code,
                "name": name,
                "district_code": district,
                "regency_code": regency,
                "figures": f,
                "invited": f[programme_metrics.INVITED],
                "attended": f[programme_metrics.ATTENDED],
                "attendance_pct": ratio(
                    f[programme_metrics.ATTENDED], f[programme_metrics.INVITED]
                ),
                "response_pct": ratio(f[programme_metrics.RESPONDED], f[programme_metrics.INVITED]),
                "on_time_pct": ratio(f[programme_metrics.ON_TIME], f[programme_metrics.ATTENDED]),
                "incidents": int(incidents.get(vid, 0)),
                "population": pop,
                "rate_per_10k": (incidents.get(vid, 0) / pop / months * 10_000) if pop else None,
            }
        )
    return rows


def area_rows(rows: list[dict[str, Any]], level: str, months: int) -> list[dict[str, Any]]:
    """The village rows summed per district or regency: Σ/Σ rates (never an average of the
    villages' rates); the rate per 10,000 over the villages whose population is known."""
    column = LEVELS[level]
    sums: dict[str, dict[str, Any]] = {}
    for r in rows:
        a = sums.setdefault(
            r[column],
            {
                "figures": dict.fromkeys(ATTENDANCE_METRICS, 0),
                "villages": 0,
                "incidents": 0,
                "population": 0,
                "incidents_with_population": 0,
            },
        )
        a["villages"] += 1
        for k, v in r["figures"].items():
            a["figures"][k] += v
        a["incidents"] += r["incidents"]
        if r["population"]:
            a["population"] += r["population"]
            a["incidents_with_population"] += r["incidents"]
    names = dict(Territory.objects.filter(code__in=list(sums)).values_list("code", "name"))
    out = []
    for code, a in sorted(sums.items()):
        f, pop = a["figures"], a["population"]
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "villages": a["villages"],
                "invited": f[programme_metrics.INVITED],
                "attended": f[programme_metrics.ATTENDED],
                "attendance_pct": ratio(
                    f[programme_metrics.ATTENDED], f[programme_metrics.INVITED]
                ),
                "response_pct": ratio(f[programme_metrics.RESPONDED], f[programme_metrics.INVITED]),
                "on_time_pct": ratio(f[programme_metrics.ON_TIME], f[programme_metrics.ATTENDED]),
                "incidents": a["incidents"],
                "population": pop or None,
                "rate_per_10k": (a["incidents_with_population"] / pop / months * 10_000)
                if pop
                else None,
            }
        )
    return out


def _by_attendance(rows: list[dict[str, Any]]) -> None:
    rows.sort(key=lambda r: (r["attendance_pct"] is None, -(r["attendance_pct"] or 0)))


def participation(
    unit: Unit, start: datetime.date, end: datetime.date, level: str | None = None
) -> dict[str, Any]:
    """Participation rates of the unit, per village (a regency or smaller) or per district or
    regency (`level`; above a regency by default), and their association with incidents across
    the villages."""
    months = len(months_between(start, end))
    level = level or default_level(unit)
    if level not in LEVELS:
        raise ValueError(f"unknown level {level}")
    rows = _village_rows(unit, start, end, months)
    totals = dict.fromkeys(ATTENDANCE_METRICS, 0)
    for r in rows:
        for k in totals:
            totals[k] += r["figures"][k]
    assoc = _association_of(rows, months)
    areas = area_rows(rows, level, months) if level != VILLAGE else []
    villages = (
        [{k: v for k, v in r.items() if k not in ("figures", "district_code", "regency_code")}
         for r in rows]
        if level == VILLAGE
        else []
    )  # fmt: skip
    _by_attendance(villages)
    _by_attendance(areas)
    return {
        "start": start,
        "end": end,
        "level": level,
        "totals": totals,
        "rates": {
            "response_pct": ratio(
                totals[programme_metrics.RESPONDED], totals[programme_metrics.INVITED]
            ),
            "attendance_pct": ratio(
                totals[programme_metrics.ATTENDED], totals[programme_metrics.INVITED]
            ),
            "on_time_pct": ratio(
                totals[programme_metrics.ON_TIME], totals[programme_metrics.ATTENDED]
            ),
            "late_pct": ratio(totals[programme_metrics.LATE], totals[programme_metrics.ATTENDED]),
            "represented_pct": ratio(
                totals[programme_metrics.REPRESENTED], totals[programme_metrics.ATTENDED]
            ),
        },
        "villages": villages,
        "areas": areas,
        "association": assoc,
        "statement": says(assoc),
    }
