"""Survey results: IKM per service unit, village and period; trust with confidence intervals."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from jaga.accounts.access import key_q
from jaga.analytics.models import MonthlyMetric
from jaga.core.numbers import say_number
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.programs import metrics as programme_metrics
from jaga.surveys import ikm as ikm_math
from jaga.surveys import metrics as survey_metrics
from jaga.surveys.models import (
    IKM_ELEMENTS,
    TRUST_LIKERT,
    TRUST_QUESTIONS,
    IkmBand,
    IkmElement,
    IkmResponse,
)
from jaga.surveys.stats import Estimate, mean_ci, proportion_ci
from jaga.territory.models import Level, Population, Territory


def current_weights() -> dict[str, Decimal]:
    """The weights an administrator set; equal stored weights mean exactly 1/9 each."""
    stored = dict(IkmElement.objects.values_list("code", "weight"))
    if not stored or len(set(stored.values())) == 1:
        return ikm_math.default_weights(IKM_ELEMENTS)
    return {code: stored[code] for code in IKM_ELEMENTS}


def current_bands() -> list[tuple[str, Decimal, Decimal]]:
    bands = list(IkmBand.objects.values_list("grade", "lower", "upper"))
    return bands or ikm_math.DEFAULT_BANDS


def within(field_name: str, code: str) -> Q:
    return Q(**{field_name: code}) | Q(**{f"{field_name}__startswith": code + "."})


def population_of(code: str) -> int:
    """Latest population of the villages inside a territory (the population the unit serves)."""
    rows = Population.objects.filter(within("village__code", code))
    year = rows.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return 0
    return int(rows.filter(year=year).aggregate(total=Sum("count"))["total"] or 0)


@dataclass
class IkmRow:
    label: str
    code: str
    respondents: int
    result: ikm_math.IkmResult | None
    population: int
    sample_needed: int

    @property
    def sample_reached(self) -> bool:
        return self.respondents >= self.sample_needed > 0


def ikm_table(
    responses: QuerySet[IkmResponse],
    by: str,
    start: datetime.date,
    end: datetime.date,
    *,
    weights: dict[str, Decimal] | None = None,
    bands: list[tuple[str, Decimal, Decimal]] | None = None,
) -> list[IkmRow]:
    """IKM per service unit (`by="unit"`) or per village (`by="village"`) between two dates.
    `weights` and `bands`: `current_weights()` and `current_bands()` when the caller has read
    them (a page with several tables reads them once)."""
    weights = current_weights() if weights is None else weights
    bands = current_bands() if bands is None else bands
    group_fields = {
        "unit": ["unit_id", "unit__name"],
        "village": ["village__code", "village__name"],
        "district": ["district_code"],
    }[by]
    sums = {f"s_{c}": Sum(c) for c in IKM_ELEMENTS}
    rows = (
        responses.filter(answered_on__gte=start, answered_on__lte=end)
        .values(*group_fields)
        .annotate(n=Count("id"), **sums)
        .order_by(*group_fields)
    )
    unit_areas: dict[int, list[str]] = defaultdict(list)
    if by == "unit":
        from jaga.territory.models import PoliceUnit

        for unit_id, code in PoliceUnit.territories.through.objects.values_list(
            "policeunit_id", "territory__code"
        ):
            unit_areas[unit_id].append(code)
    names = {}
    if by == "district":
        codes = [r["district_code"] for r in rows]
        names = dict(Territory.objects.filter(code__in=codes).values_list("code", "name"))
    out = []
    for row in rows:
        if by == "unit":
            label, code = row["unit__name"], str(row["unit_id"])
            population = sum(population_of(c) for c in unit_areas.get(row["unit_id"], []))
        elif by == "village":
            label, code = row["village__name"], row["village__code"]
            population = population_of(code)
        else:
            code = row["district_code"]
            label = names.get(code, code)
            population = population_of(code)
        result = ikm_math.compute(
            row["n"], {c: row[f"s_{c}"] for c in IKM_ELEMENTS}, weights, bands
        )
        out.append(
            IkmRow(
                label=label,
                code=code,
                respondents=row["n"],
                result=result,
                population=population,
                sample_needed=ikm_math.krejcie_morgan(population),
            )
        )
    return out


def ikm_overall(
    responses: QuerySet[IkmResponse],
    start: datetime.date,
    end: datetime.date,
    *,
    weights: dict[str, Decimal] | None = None,
    bands: list[tuple[str, Decimal, Decimal]] | None = None,
) -> Any:
    sums = {f"s_{c}": Sum(c) for c in IKM_ELEMENTS}
    row = responses.filter(answered_on__gte=start, answered_on__lte=end).aggregate(
        n=Count("id"), **sums
    )
    if not row["n"]:
        return None
    return ikm_math.compute(
        row["n"],
        {c: row[f"s_{c}"] for c in IKM_ELEMENTS},
        current_weights() if weights is None else weights,
        current_bands() if bands is None else bands,
    )


# ---- trust survey, from the monthly roll-up (surveys.trust.n / .sum / .sumsq) -----------------


@dataclass
class TrustSummary:
    respondents: int
    estimates: dict[str, Estimate | None] = field(default_factory=dict)


def trust_metrics(code: str, start: datetime.date, end: datetime.date) -> QuerySet[MonthlyMetric]:
    level_field = {1: "province_code", 2: "regency_code", 3: "district_code", 4: "village__code"}
    field_name = level_field[len(code.split("."))]
    return MonthlyMetric.objects.filter(
        key_q([code]),  # the distribution key, implied by the territory (docs/scaling.md)
        **{field_name: code},
        metric__startswith=survey_metrics.TRUST,
        month__gte=start.replace(day=1),
        month__lte=end,
    )


def summarise_trust(sums: dict[tuple[str, str], int]) -> TrustSummary:
    """Estimates from {(metric, key): value} sums of the roll-up."""
    n = int(sums.get((survey_metrics.TRUST_N, ""), 0))
    summary = TrustSummary(respondents=n)
    for q in TRUST_QUESTIONS:
        total = sums.get((survey_metrics.TRUST_SUM, q), 0)
        if q in TRUST_LIKERT:
            summary.estimates[q] = mean_ci(n, total, sums.get((survey_metrics.TRUST_SUMSQ, q), 0))
        else:
            summary.estimates[q] = proportion_ci(n, int(total))
    return summary


def trust_summary(code: str, start: datetime.date, end: datetime.date) -> TrustSummary:
    sums = {
        (r["metric"], r["key"]): r["v"]
        for r in trust_metrics(code, start, end).values("metric", "key").annotate(v=Sum("value"))
    }
    return summarise_trust(sums)


def trust_by_child(
    parent: Territory, start: datetime.date, end: datetime.date
) -> list[tuple[Territory, TrustSummary]]:
    """One summary per child territory (districts of a regency, villages of a district)."""
    children = list(parent.children.order_by("code"))
    if not children:
        return []
    child_field = {
        Level.DISTRICT: "district_code",
        Level.VILLAGE: "village__code",
        Level.REGENCY: "regency_code",
    }[Level(children[0].level)]
    per: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    rows = (
        trust_metrics(parent.code, start, end)
        .values(child_field, "metric", "key")
        .annotate(v=Sum("value"))
    )
    for r in rows:
        per[r[child_field]][(r["metric"], r["key"])] = r["v"]
    return [(c, summarise_trust(per.get(c.code, {}))) for c in children]


def trust_series(code: str, start: datetime.date, end: datetime.date) -> list[tuple[Any, Any]]:
    """(month, summary) for every month with answers: the trend over time."""
    per: dict[datetime.date, dict[tuple[str, str], int]] = defaultdict(dict)
    rows = trust_metrics(code, start, end).values("month", "metric", "key").annotate(v=Sum("value"))
    for r in rows:
        per[r["month"]][(r["metric"], r["key"])] = r["v"]
    return [(m, summarise_trust(per[m])) for m in sorted(per)]


def question_labels() -> dict[str, str]:
    return {
        "safe_home": _("Safe at home"),
        "safe_night": _("Safe at night"),
        "trust_police": _("Trust in the police"),
        "would_report": _("Would report to the police"),
        "knows_bhabin": _("Knows the Bhabinkamtibmas"),
        "was_visited": _("Visited by the Bhabinkamtibmas"),
    }


def estimate_rows(summary: TrustSummary) -> list[dict[str, Any]]:
    """Display rows: Likert means (1–5) and yes shares (%), each with its 95 % interval."""
    labels = question_labels()
    rows = []
    for q in TRUST_QUESTIONS:
        est = summary.estimates.get(q)
        if est is None:
            rows.append({"label": labels[q], "value": "—", "ci": ""})
        elif q in TRUST_LIKERT:
            rows.append(
                {
                    "label": labels[q],
                    "value": say_number(est.value, 2),
                    "ci": f"{say_number(est.low, 2)}–{say_number(est.high, 2)}",
                }
            )
        else:
            rows.append(
                {
                    "label": labels[q],
                    "value": f"{est.value * 100:.0f}%",
                    "ci": f"{est.low * 100:.0f}–{est.high * 100:.0f}%",
                }
            )
    return rows


# The ancestor-code column of the village roll-ups (and of a village) naming a parent territory:
# the rows inside it without joining the territory table for a LIKE on the village's code.
INSIDE_FIELD = {
    Level.PROVINCE: "province_code",
    Level.REGENCY: "regency_code",
    Level.DISTRICT: "district_code",
}


def _inside(parent: Territory, prefix: str = "") -> Q:
    """Rows of villages inside `parent` (a province, regency or district), by the denormalised
    ancestor code (`prefix` is the path to the village: "village__" for a population)."""
    return Q(**{f"{prefix}{INSIDE_FIELD[Level(parent.level)]}": parent.code})


def _participation_by_child(
    parent: Territory, child_field: str, period: dict[str, datetime.date]
) -> dict[str, dict[str, int]]:
    """Visits, activities and attendance per child territory, from the monthly roll-ups."""
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        MonthlyMetric.objects.filter(
            key_q([parent.code]),
            _inside(parent),
            metric__in=[
                fieldwork_metrics.VISITS_COUNT,
                programme_metrics.ACTIVITIES_HELD,
                programme_metrics.INVITED,
                programme_metrics.ATTENDED,
            ],
            **period,
        )
        .values(child_field, "metric")
        .annotate(v=Sum("value"))
    )
    for r in rows:
        figures[r[child_field]][r["metric"]] = r["v"]
    return figures


def _population_by_child(parent: Territory, child_field: str) -> dict[str, int]:
    """Residents per child territory in the latest year known. One query: the sums per year and
    child (a few rows a child), summed by the database instead of a row per village (a province's
    thousands) read and summed here."""
    rows = (
        Population.objects.filter(_inside(parent, "village__"))
        .values_list("year", f"village__{child_field.removeprefix('village__')}")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_year: dict[int, dict[str, int]] = defaultdict(dict)
    for year, code, n in rows:
        by_year[year][code] = int(n or 0)
    return by_year[max(by_year)] if by_year else {}


def _trust_disturbance_correlation(out: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Spearman's rho between trust and disturbances per 1,000, given five varied children."""
    from scipy import stats as scipy_stats

    pairs = [
        (r["trust"], r["per_1000"])
        for r in out
        if r["trust"] is not None and r["per_1000"] is not None
    ]
    correlation = None
    if len(pairs) >= 5 and len({p[0] for p in pairs}) > 1 and len({p[1] for p in pairs}) > 1:
        result = scipy_stats.spearmanr([p[0] for p in pairs], [p[1] for p in pairs])
        correlation = {"rho": float(result.statistic), "p": float(result.pvalue), "n": len(pairs)}
    return correlation


def _incidents_by_child(
    parent: Territory, child_field: str, period: dict[str, datetime.date]
) -> dict[str, int]:
    """Incidents per child territory over the period: a district's villages from the village
    roll-up, a regency's districts and a province's regencies from the area roll-up (the same
    counts, kept in one transaction with the village rows: a province reads a few thousand area
    rows instead of its villages' hundreds of thousands)."""
    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount

    if child_field == "village__code":
        rows = (
            MonthlyIncidentCount.objects.filter(key_q([parent.code]), _inside(parent), **period)
            .values(child_field)
            .annotate(n=Sum("count"))
            .values_list(child_field, "n")
        )
    else:
        level = "district" if child_field == "district_code" else "regency"
        rows = (
            AreaMonthlyCount.objects.filter(level=level, parent_code=parent.code, **period)
            .values("area_code")
            .annotate(n=Sum("count"))
            .values_list("area_code", "n")
        )
    return {code: int(n or 0) for code, n in rows}


def joined_by_child(
    parent: Territory,
    start: datetime.date,
    end: datetime.date,
    trust_children: list[tuple[Territory, TrustSummary]] | None = None,
) -> dict[str, Any]:
    """Trust beside disturbances and participation, per child territory, from the roll-ups.

    Also the Spearman rank correlation across children between trust in the police and
    disturbances per 1,000 residents: an association to look into, not a cause.

    `trust_children`: `trust_by_child(parent, start, end)` when the caller has read it already
    (the results page), so that the children and their trust are not read twice.
    """
    if trust_children is None:
        trust_children = trust_by_child(parent, start, end)
    children = [child for child, _summary in trust_children]
    if not children:
        return {"rows": [], "correlation": None}
    child_field = {
        Level.DISTRICT: "district_code",
        Level.VILLAGE: "village__code",
        Level.REGENCY: "regency_code",
    }[Level(children[0].level)]
    trust = dict(trust_children)
    period = {"month__gte": start.replace(day=1), "month__lte": end}
    incidents = _incidents_by_child(parent, child_field, period)
    figures = _participation_by_child(parent, child_field, period)
    population = _population_by_child(parent, child_field)
    out = []
    for child in children:
        summary = trust.get(child)
        est = summary.estimates.get("trust_police") if summary else None
        pop = population.get(child.code, 0)
        n_inc = int(incidents.get(child.code, 0))
        f = figures.get(child.code, {})
        invited = f.get(programme_metrics.INVITED, 0)
        out.append(
            {
                "territory": child,
                "respondents": summary.respondents if summary else 0,
                "trust": est.value if est else None,
                "incidents": n_inc,
                "per_1000": round(n_inc / pop * 1000, 2) if pop else None,
                "visits": f.get(fieldwork_metrics.VISITS_COUNT, 0),
                "activities": f.get(programme_metrics.ACTIVITIES_HELD, 0),
                "attendance": round(f.get(programme_metrics.ATTENDED, 0) / invited * 100, 1)
                if invited
                else None,
            }
        )
    return {"rows": out, "correlation": _trust_disturbance_correlation(out)}
