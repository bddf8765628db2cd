"""The monthly Anev (analisis dan evaluasi) report: one function per section, read from roll-ups.

Each section function takes the territory and the month and returns plain data (numbers, rows,
chart series); the templates only lay it out. The comparisons here are deliberately simple
(month vs previous month vs the same month last year, year to date, % change, an exact
conditional test for two Poisson counts); where the analytics app offers a richer estimate
(CompStat, trend, CUSUM, programme evaluation) it can replace a section function one for one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from scipy import stats

from jaga.accounts.models import Posting, Role
from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.core.errors import DomainError
from jaga.incidents.models import Category, CategoryGroup
from jaga.reports.public import add_months
from jaga.territory.models import Level, PolmasStatus, Population, Territory

ALARM_P = 0.01  # a village's month is an alarm when P(X ≥ x | its own 12-month mean) < 1 %
SIGNIFICANT_P = 0.05


def _where(territory: Territory) -> Q:
    level_field = {
        Level.PROVINCE: "province_code",
        Level.REGENCY: "regency_code",
        Level.DISTRICT: "district_code",
        Level.VILLAGE: "village__code",
    }[Level(territory.level)]
    return Q(**{level_field: territory.code})


def _child_field(territory: Territory) -> str | None:
    return {
        Level.PROVINCE: "regency_code",
        Level.REGENCY: "district_code",
        Level.DISTRICT: "village__code",
    }.get(Level(territory.level))


def _incidents(territory: Territory) -> QuerySet[MonthlyIncidentCount]:
    return MonthlyIncidentCount.objects.filter(_where(territory))


def _metrics(territory: Territory, metric: str) -> QuerySet[MonthlyMetric]:
    return MonthlyMetric.objects.filter(_where(territory), metric=metric)


def pct_change(now: float, before: float) -> float | None:
    """% change from `before` to `now`; None when there was nothing before."""
    if not before:
        return None
    return round((now - before) / before * 100, 1)


def poisson_change_p(now: int, before: int) -> float | None:
    """Two-sided p-value that two Poisson counts share one rate (exact conditional test).

    Given now + before events, `now` is Binomial(now + before, ½) when nothing changed.
    """
    total = now + before
    if total == 0:
        return None
    return float(stats.binomtest(now, total, 0.5).pvalue)


def _comparison(now: int, prev: int, last_year: int, ytd: int, ytd_last: int) -> dict[str, Any]:
    p = poisson_change_p(now, last_year)
    return {
        "now": now,
        "prev": prev,
        "last_year": last_year,
        "vs_prev": pct_change(now, prev),
        "vs_last_year": pct_change(now, last_year),
        "p_last_year": p,
        "significant": p is not None and p < SIGNIFICANT_P,
        "ytd": ytd,
        "ytd_last": ytd_last,
        "vs_ytd": pct_change(ytd, ytd_last),
    }


def has_data(territory: Territory, month: datetime.date) -> bool:
    return (
        _incidents(territory).filter(month=month).exists()
        or MonthlyMetric.objects.filter(_where(territory), month=month).exists()
    )


def check_month(territory: Territory, month: datetime.date) -> None:
    """A clear answer for a month the report cannot cover."""
    if month > timezone.localdate().replace(day=1):
        raise DomainError(
            "future_month",
            _("%(month)s has not happened yet: choose a past month.")
            % {"month": month.strftime("%Y-%m")},
        )
    if not has_data(territory, month):
        raise DomainError(
            "no_data",
            _(
                "There are no figures for %(month)s in %(place)s: nothing was recorded for that "
                "month, so there is nothing to analyse."
            )
            % {"month": month.strftime("%Y-%m"), "place": territory.display_name},
        )


def compstat(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Disturbances by group and by area: month, previous month, same month last year, YTD."""
    year_start = month.replace(month=1)
    last_year = month.replace(year=month.year - 1)
    months = {
        "now": (month, month),
        "prev": (add_months(month, -1), add_months(month, -1)),
        "last_year": (last_year, last_year),
        "ytd": (year_start, month),
        "ytd_last": (year_start.replace(year=month.year - 1), last_year),
    }
    base = _incidents(territory)

    def by(field_name: str) -> dict[Any, dict[str, int]]:
        out: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for period, (start, end) in months.items():
            rows = (
                base.filter(month__gte=start, month__lte=end)
                .values(field_name)
                .annotate(n=Sum("count"))
            )
            for r in rows:
                out[r[field_name]][period] += r["n"]
        return out

    groups = by("category__group")
    group_rows = []
    from jaga.reports.public import group_labels

    labels = group_labels()
    totals: dict[str, int] = defaultdict(int)
    for group in CategoryGroup.values:
        values = groups.get(group, {})
        for k in months:
            totals[k] += values.get(k, 0)
        group_rows.append(
            {"label": str(labels[group]), **_comparison(*(values.get(k, 0) for k in months))}
        )
    total = _comparison(*(totals[k] for k in months))
    area_rows = []
    child_field = _child_field(territory)
    if child_field:
        areas = by(child_field)
        children = Territory.objects.filter(parent=territory).order_by("code")
        for child in children:
            values = areas.get(child.code, {})
            area_rows.append(
                {
                    "label": child.name,
                    "code": child.code,
                    **_comparison(*(values.get(k, 0) for k in months)),
                }
            )
    categories = by("category_id")
    names = {c.pk: c.name for c in Category.objects.filter(pk__in=list(categories))}
    top = sorted(
        (
            {"label": names.get(pk, str(pk)), **_comparison(*(v.get(k, 0) for k in months))}
            for pk, v in categories.items()
        ),
        key=lambda r: (-r["now"], r["label"]),
    )
    return {
        "groups": group_rows,
        "total": total,
        "areas": area_rows,
        "categories": [r for r in top if r["now"] or r["prev"] or r["last_year"]][:10],
    }


def monthly_totals(
    territory: Territory, start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, int]]:
    rows = dict(
        _incidents(territory)
        .filter(month__gte=start, month__lte=end)
        .values("month")
        .annotate(n=Sum("count"))
        .values_list("month", "n")
    )
    out = []
    m = start
    while m <= end:
        out.append((m, int(rows.get(m, 0))))
        m = add_months(m, 1)
    return out


def poisson_alarm(count: int, baseline_mean: float) -> float:
    """Upper-tail probability P(X ≥ count) for X ~ Poisson(baseline mean)."""
    if count <= 0:
        return 1.0
    mean = max(baseline_mean, 0.05)  # a quiet village still has a small chance of one event
    return float(stats.poisson.sf(count - 1, mean))


def trend(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """24 months of totals (this year against last) and villages with an unusual month."""
    start = add_months(month, -23)
    series = monthly_totals(territory, start, month)
    current = series[12:]
    previous = series[:12]
    baseline_start = add_months(month, -12)
    history = (
        _incidents(territory)
        .filter(month__gte=baseline_start, month__lte=month)
        .values("village__code", "village__name", "month")
        .annotate(n=Sum("count"))
    )
    per_village: dict[tuple[str, str], dict[datetime.date, int]] = defaultdict(dict)
    for r in history:
        per_village[(r["village__code"], r["village__name"])][r["month"]] = r["n"]
    alarms: list[dict[str, Any]] = []
    for (code, name), counts in per_village.items():
        now = counts.get(month, 0)
        if now < 3:
            continue
        baseline = sum(v for m, v in counts.items() if m < month) / 12
        p = poisson_alarm(now, baseline)
        if p < ALARM_P:
            alarms.append(
                {"code": code, "name": name, "count": now, "expected": round(baseline, 2), "p": p}
            )
    alarms.sort(key=lambda a: a["p"])
    last12 = sum(v for _, v in current)
    before12 = sum(v for _, v in previous)
    return {
        "months": [m for m, _ in current],
        "current": [v for _, v in current],
        "previous": [v for _, v in previous],
        "last12": last12,
        "before12": before12,
        "change12": pct_change(last12, before12),
        "p12": poisson_change_p(last12, before12),
        "alarms": alarms,
    }


def _metric_by_key(
    territory: Territory, metric: str, start: datetime.date, end: datetime.date
) -> dict[str, int]:
    return dict(
        _metrics(territory, metric)
        .filter(month__gte=start, month__lte=end)
        .values("key")
        .annotate(v=Sum("value"))
        .values_list("key", "v")
    )


def _metric_total(
    territory: Territory, metric: str, start: datetime.date, end: datetime.date
) -> int:
    return sum(_metric_by_key(territory, metric, start, end).values())


def desk(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Service desk: received, resolved, resolved in time and late, per service."""
    prev = add_months(month, -1)

    def figures(start: datetime.date, end: datetime.date) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for name in ("received", "resolved", "resolved_in_time"):
            for key, v in _metric_by_key(territory, f"requests.{name}", start, end).items():
                out[key][name] += v
        return out

    now, before = figures(month, month), figures(prev, prev)
    rows = []
    totals: dict[str, int] = defaultdict(int)
    for key in sorted(now):
        f = now[key]
        resolved, in_time = f["resolved"], min(f["resolved_in_time"], f["resolved"])
        row: dict[str, Any] = {
            "service": key or "—",
            "received": f["received"],
            "resolved": resolved,
            "in_time": in_time,
            "late": resolved - in_time,
            "in_time_rate": round(in_time / resolved * 100, 1) if resolved else None,
        }
        for k in ("received", "resolved", "in_time", "late"):
            totals[k] += row[k]
        rows.append(row)
    prev_received = sum(v["received"] for v in before.values())
    prev_resolved = sum(v["resolved"] for v in before.values())
    prev_in_time = sum(min(v["resolved_in_time"], v["resolved"]) for v in before.values())
    return {
        "rows": rows,
        "received": totals["received"],
        "resolved": totals["resolved"],
        "in_time": totals["in_time"],
        "late": totals["late"],
        "in_time_rate": (
            round(totals["in_time"] / totals["resolved"] * 100, 1) if totals["resolved"] else None
        ),
        "prev_received": prev_received,
        "prev_in_time_rate": (
            round(prev_in_time / prev_resolved * 100, 1) if prev_resolved else None
        ),
        "vs_prev": pct_change(totals["received"], prev_received),
    }


FIELD_METRICS = [
    ("visits.count", "Sambang visits"),
    ("fieldwork.early_detections", "Early detections"),
    ("fieldwork.problem_cases", "Problem-solving cases"),
    ("operations.count", "Operations (razia)"),
    ("operations.findings", "Findings of operations"),
]


def fieldwork(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Bhabinkamtibmas field work and operations: this month, previous month, last year."""
    labels = {
        "visits.count": _("Sambang visits"),
        "fieldwork.early_detections": _("Early detections"),
        "fieldwork.problem_cases": _("Problem-solving cases"),
        "operations.count": _("Operations (razia)"),
        "operations.findings": _("Findings of operations"),
    }
    prev, last_year = add_months(month, -1), month.replace(year=month.year - 1)
    rows = []
    for metric, _label in FIELD_METRICS:
        now = _metric_total(territory, metric, month, month)
        p = _metric_total(territory, metric, prev, prev)
        ly = _metric_total(territory, metric, last_year, last_year)
        rows.append(
            {
                "metric": metric,
                "label": labels[metric],
                "now": now,
                "prev": p,
                "last_year": ly,
                "vs_prev": pct_change(now, p),
                "vs_last_year": pct_change(now, ly),
            }
        )
    findings = sorted(
        _metric_by_key(territory, "operations.findings", month, month).items(),
        key=lambda kv: -kv[1],
    )
    return {"rows": rows, "findings": [{"target": k or "—", "count": v} for k, v in findings]}


ATTENDANCE = [
    "invited",
    "responded",
    "attended",
    "on_time",
    "late",
    "represented",
    "absent",
    "excused",
]


def partnership(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Activities per programme and participation rates (Σ numerator / Σ denominator)."""
    from jaga.programs.models import Programme

    count = _metric_by_key(territory, "activities.count", month, month)
    heads = _metric_by_key(territory, "activities.head_count", month, month)
    att = {
        name: _metric_by_key(territory, f"attendance.{name}", month, month) for name in ATTENDANCE
    }
    keys = sorted(set(count) | set(heads) | {k for v in att.values() for k in v})
    names = dict(Programme.objects.filter(code__in=keys).values_list("code", "name"))

    def rate(num: int, den: int) -> float | None:
        return round(num / den * 100, 1) if den else None

    rows = []
    for key in keys:
        a = {name: att[name].get(key, 0) for name in ATTENDANCE}
        rows.append(
            {
                "code": key or "—",
                "name": names.get(key, key or "—"),
                "activities": count.get(key, 0),
                "head_count": heads.get(key, 0),
                **a,
                "response_rate": rate(a["responded"], a["invited"]),
                "attendance_rate": rate(a["attended"], a["invited"]),
                "on_time_rate": rate(a["on_time"], a["attended"]),
                "represented_rate": rate(a["represented"], a["attended"]),
            }
        )
    totals = {name: sum(att[name].values()) for name in ATTENDANCE}
    return {
        "rows": rows,
        "activities": sum(count.values()),
        "head_count": sum(heads.values()),
        **totals,
        "response_rate": rate(totals["responded"], totals["invited"]),
        "attendance_rate": rate(totals["attended"], totals["invited"]),
        "on_time_rate": rate(totals["on_time"], totals["attended"]),
        "represented_rate": rate(totals["represented"], totals["attended"]),
    }


def coverage(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Villages with a Bhabinkamtibmas at the month's end, residents per officer."""
    month_end = add_months(month, 1) - datetime.timedelta(days=1)
    villages = Territory.objects.filter(level=Level.VILLAGE).filter(
        Q(code=territory.code) | Q(code__startswith=territory.code + ".")
    )
    village_list = list(villages.values_list("code", "name", "polmas_status"))
    postings = Posting.objects.active(month_end).filter(role=Role.BHABIN, territory__in=villages)
    covered = set(postings.values_list("territory__code", flat=True))
    officers = postings.values("user_id").distinct().count()
    pop_rows = Population.objects.filter(village__in=villages)
    year = pop_rows.order_by("-year").values_list("year", flat=True).first()
    population = int(pop_rows.filter(year=year).aggregate(n=Sum("count"))["n"] or 0) if year else 0
    uncovered = [(c, n) for c, n, s in village_list if c not in covered]
    return {
        "villages": len(village_list),
        "covered": len(covered),
        "uncovered": [{"code": c, "name": n} for c, n in uncovered],
        "self_managed": [
            {"code": c, "name": n} for c, n, s in village_list if s == PolmasStatus.SELF_MANAGED
        ],
        "officers": officers,
        "population": population,
        "population_year": year,
        "residents_per_officer": round(population / officers) if officers else None,
        "coverage_rate": round(len(covered) / len(village_list) * 100, 1) if village_list else None,
    }


def surveys(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Trust (the month and the last 12 months) and IKM (last 12 months) from the roll-ups."""
    from jaga.surveys import ikm as ikm_math
    from jaga.surveys.models import IKM_ELEMENTS
    from jaga.surveys.queries import current_bands, current_weights, summarise_trust

    def sums(start: datetime.date) -> dict[tuple[str, str], int]:
        rows = (
            MonthlyMetric.objects.filter(_where(territory), metric__startswith="surveys.")
            .filter(month__gte=start, month__lte=month)
            .values("metric", "key")
            .annotate(v=Sum("value"))
        )
        return {(r["metric"], r["key"]): r["v"] for r in rows}

    year_sums = sums(add_months(month, -11))
    month_sums = sums(month)
    n_ikm = int(year_sums.get(("surveys.ikm.n", ""), 0))
    ikm = ikm_math.compute(
        n_ikm,
        {c: year_sums.get(("surveys.ikm.sum", c), 0) for c in IKM_ELEMENTS},
        current_weights(),
        current_bands(),
    )
    return {
        "trust_month": summarise_trust(month_sums),
        "trust_year": summarise_trust(year_sums),
        "ikm": ikm,
    }


def programmes(territory: Territory, month: datetime.date, window: int = 6) -> dict[str, Any]:
    """Per programme: villages adopting it and a simple before/after comparison.

    Mean monthly disturbances per adopting village in the `window` months before and after its
    adoption, against the same months in villages that had not adopted: a first look only, not
    an estimate of the programme's effect (the analytics evaluation gives that).
    """
    from jaga.programs.models import ProgrammeAdoption

    adoptions = list(
        ProgrammeAdoption.objects.filter(
            Q(village__code__startswith=territory.code + ".") | Q(village__code=territory.code),
            adopted_on__lte=add_months(month, 1) - datetime.timedelta(days=1),
        ).select_related("programme", "village")
    )
    if not adoptions:
        return {"rows": []}
    counts: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for village_id, m, n in (
        _incidents(territory).values_list("village_id", "month").annotate(n=Sum("count"))
    ):
        counts[(village_id, m)] += n
    all_villages = list(
        Territory.objects.filter(level=Level.VILLAGE)
        .filter(Q(code__startswith=territory.code + ".") | Q(code=territory.code))
        .values_list("id", flat=True)
    )
    by_programme: dict[int, list[Any]] = defaultdict(list)
    for a in adoptions:
        by_programme[a.programme_id].append(a)
    rows = []
    for items in by_programme.values():
        programme = items[0].programme
        adopted = {a.village_id: a.adopted_on.replace(day=1) for a in items}
        diffs_adopters, diffs_others = [], []
        for a in items:
            start = adopted[a.village_id]
            if add_months(start, window - 1) > month:
                continue  # not enough months after adoption yet
            before = [add_months(start, -i) for i in range(1, window + 1)]
            after = [add_months(start, i) for i in range(window)]
            mean_before = sum(counts[(a.village_id, m)] for m in before) / window
            mean_after = sum(counts[(a.village_id, m)] for m in after) / window
            diffs_adopters.append(mean_after - mean_before)
            others = [v for v in all_villages if v not in adopted or adopted[v] > after[-1]]
            for v in others:
                ob = sum(counts[(v, m)] for m in before) / window
                oa = sum(counts[(v, m)] for m in after) / window
                diffs_others.append(oa - ob)
        change = sum(diffs_adopters) / len(diffs_adopters) if diffs_adopters else None
        other = sum(diffs_others) / len(diffs_others) if diffs_others else None
        rows.append(
            {
                "code": programme.code,
                "name": programme.name,
                "villages": len(items),
                "first": min(a.adopted_on for a in items),
                "evaluated": len(diffs_adopters),
                "change": round(change, 2) if change is not None else None,
                "others_change": round(other, 2) if other is not None else None,
                "difference": (
                    round(change - other, 2) if change is not None and other is not None else None
                ),
            }
        )
    rows.sort(key=lambda r: r["code"])
    return {"rows": rows, "window": window}


def _fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number_format(value, 1) + "%"


def summary(territory: Territory, month: datetime.date, sections: dict[str, Any]) -> list[str]:
    """A few generated sentences on what changed, in the report's language."""
    out = []
    c = sections["compstat"]["total"]
    if c["last_year"] or c["now"]:
        if c["vs_last_year"] is None:
            out.append(
                _(
                    "%(now)s disturbances were recorded this month; none in the same month last year."
                )
                % {"now": c["now"]}
            )
        else:
            verdict = (
                _("a real change (p = %(p)s)") % {"p": number_format(c["p_last_year"], 3)}
                if c["significant"]
                else _("within normal variation")
            )
            out.append(
                _(
                    "%(now)s disturbances this month against %(ly)s in the same month last year "
                    "(%(pct)s): %(verdict)s."
                )
                % {
                    "now": c["now"],
                    "ly": c["last_year"],
                    "pct": _fmt_pct(c["vs_last_year"]),
                    "verdict": verdict,
                }
            )
    if c["ytd"] or c["ytd_last"]:
        out.append(
            _("Year to date: %(ytd)s against %(ytdl)s a year earlier (%(pct)s).")
            % {"ytd": c["ytd"], "ytdl": c["ytd_last"], "pct": _fmt_pct(c["vs_ytd"])}
        )
    rising = [
        a for a in sections["compstat"]["areas"] if a["significant"] and a["now"] > a["last_year"]
    ]
    falling = [
        a for a in sections["compstat"]["areas"] if a["significant"] and a["now"] < a["last_year"]
    ]
    if falling:
        out.append(
            _("Significantly fewer disturbances than last year in: %(areas)s.")
            % {"areas": ", ".join(a["label"] for a in falling)}
        )
    if rising:
        out.append(
            _("Significantly more disturbances than last year in: %(areas)s.")
            % {"areas": ", ".join(a["label"] for a in rising)}
        )
    alarms = sections["trend"]["alarms"]
    if alarms:
        out.append(
            _("Early warning: an unusual month in %(villages)s.")
            % {"villages": ", ".join(f"{a['name']} ({a['count']})" for a in alarms[:5])}
        )
    d = sections["desk"]
    if d["received"]:
        out.append(
            _(
                "The service desk received %(received)s reports; %(resolved)s were resolved, "
                "%(rate)s of them in time."
            )
            % {
                "received": d["received"],
                "resolved": d["resolved"],
                "rate": "—"
                if d["in_time_rate"] is None
                else number_format(d["in_time_rate"], 1) + "%",
            }
        )
    p = sections["partnership"]
    if p["activities"]:
        out.append(
            _("%(n)s partnership activities reached %(people)s people; attendance was %(rate)s.")
            % {
                "n": p["activities"],
                "people": p["head_count"],
                "rate": "—"
                if p["attendance_rate"] is None
                else number_format(p["attendance_rate"], 1) + "%",
            }
        )
    cov = sections["coverage"]
    if cov["uncovered"]:
        out.append(
            _("%(n)s of %(total)s villages have no Bhabinkamtibmas posted.")
            % {"n": len(cov["uncovered"]), "total": cov["villages"]}
        )
    trust = sections["surveys"]["trust_year"]
    est = trust.estimates.get("trust_police")
    if est is not None:
        out.append(
            _(
                "Trust in the police over the last 12 months: %(v)s of 5 (95%% interval %(lo)s–%(hi)s, %(n)s answers)."
            )
            % {
                "v": number_format(est.value, 2),
                "lo": number_format(est.low, 2),
                "hi": number_format(est.high, 2),
                "n": trust.respondents,
            }
        )
    return out


SECTIONS = [
    ("compstat", compstat),
    ("trend", trend),
    ("desk", desk),
    ("fieldwork", fieldwork),
    ("partnership", partnership),
    ("coverage", coverage),
    ("surveys", surveys),
    ("programmes", programmes),
]


def build(territory: Territory, month: datetime.date, progress: Any = None) -> dict[str, Any]:
    """Every section of the report; `progress(percent, section)` is called along the way."""
    check_month(territory, month)
    sections: dict[str, Any] = {}
    for index, (name, function) in enumerate(SECTIONS):
        if progress is not None:
            progress(int(index / (len(SECTIONS) + 1) * 80), name)
        sections[name] = function(territory, month)
    sections["summary"] = summary(territory, month, sections)
    return sections
