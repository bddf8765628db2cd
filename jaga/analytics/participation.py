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


def participation(unit: Unit, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Participation rates of the unit and per village, and their association with incidents."""
    months = len(months_between(start, end))
    villages = list(
        Territory.objects.filter(unit.village_q()).values_list("id", "code", "name", "kind")
    )
    ids = [v[0] for v in villages]
    figures = _attendance_by_village(unit, start, end)
    incidents = dict(
        MonthlyIncidentCount.objects.filter(unit.rollup_q(), month__gte=start, month__lte=end)
        .values("village_id")
        .annotate(n=Sum("count"))
        .values_list("village_id", "n")
    )
    population = _population_by_village(ids)
    totals = dict.fromkeys(ATTENDANCE_METRICS, 0)
    rows: list[dict[str, Any]] = []
    for vid, code, name, _kind in villages:
        f = figures.get(vid)
        if f is None:
            continue
        for k in totals:
            totals[k] += f[k]
        pop = population.get(vid)
        rows.append(
            {
                "village_id": vid,
                "code": code,
                "name": name,
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
    assoc = _association_of(rows, months)
    rows.sort(key=lambda r: (r["attendance_pct"] is None, -(r["attendance_pct"] or 0)))
    return {
        "start": start,
        "end": end,
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
        "villages": rows,
        "association": assoc,
        "statement": says(assoc),
    }
