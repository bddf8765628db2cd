"""The monthly Anev (analisis dan evaluasi) report: one function per section, read from roll-ups.

Each section function takes the territory and the month and returns plain data (numbers, rows,
chart series); the templates only lay it out. The statistics come from the analytics engine:
CompStat with the exact Poisson test (`analytics.queries.compstat`), the trend regression and
Mann-Kendall (`queries.trend`), the early-warning alarms (`analytics.warning`), programme
evaluations (`analytics.evaluation`), participation (`analytics.participation`) and coverage
(`queries.coverage`). What the engine has no view of (groups of disturbances, the desk per
service, field work, activities per programme, survey results) is read here, and the summary
puts it all in a few sentences.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jaga.analytics import plain, queries, warning
from jaga.analytics.evaluation import evaluate
from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.participation import participation as analyse_participation
from jaga.analytics.queries import CompRow, ratio
from jaga.analytics.stats.compstat import pct_change
from jaga.analytics.stats.trend import TrendFit
from jaga.analytics.units import Unit
from jaga.core.errors import DomainError
from jaga.core.months import add_months
from jaga.core.numbers import say_number
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.fieldwork.models import Target
from jaga.incidents.models import CategoryGroup
from jaga.programs import metrics as programme_metrics
from jaga.servicedesk import metrics as desk_metrics
from jaga.surveys import metrics as survey_metrics
from jaga.territory.models import Level, PolmasStatus, Territory

if TYPE_CHECKING:
    from jaga.surveys.queries import TrustSummary

TREND_MONTHS = 36


def unit_of(territory: Territory) -> Unit:
    """The analytics unit of a territory (the report has already checked the user's scope)."""
    return Unit(
        territory.code, territory.display_name, [territory.code], territory.level, territory
    )


def _where(territory: Territory) -> Q:
    return unit_of(territory).rollup_q()


def _incidents(territory: Territory) -> QuerySet[MonthlyIncidentCount]:
    return MonthlyIncidentCount.objects.filter(_where(territory))


def _metrics(territory: Territory, metric: str) -> QuerySet[MonthlyMetric]:
    return MonthlyMetric.objects.filter(_where(territory), metric=metric)


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


COUNT_FIELDS = ("current", "previous", "last_year", "ytd", "ytd_last_year")


def compstat(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """CompStat of the territory (analytics), regrouped by Polri group, and each area's total.

    Groups and areas get the engine's own comparison (`CompRow.finish`: % change and the exact
    Poisson test, the previous month weighed by its number of days).
    """
    from jaga.incidents.models import Category
    from jaga.reports.public import group_labels

    comp = queries.compstat(unit_of(territory), month)
    assert comp.total is not None
    # Months outside the register's coverage are unknown, not zero: the groups take the
    # engine's flags, and a month the register does not cover gets no table (`known`, `notice`).
    known = (comp.total.prev_known, comp.total.last_year_known, comp.total.ytd_known)
    group_of = dict(Category.objects.values_list("id", "group"))
    labels = group_labels()
    groups = {
        g: CompRow(None, g, str(labels[g]), ytd_current_known=comp.total.ytd_current_known)
        for g in CategoryGroup.values
    }
    for row in comp.rows:
        if row.category_id is None:
            continue
        target = groups[group_of[row.category_id]]
        for name in COUNT_FIELDS:
            setattr(target, name, getattr(target, name) + getattr(row, name))
    for row in groups.values():
        row.finish(month, comp.population, known)
    areas = []
    if territory.level != Level.VILLAGE and comp.known:
        for child in Territory.objects.filter(parent=territory).order_by("code"):
            total = queries.compstat(unit_of(child), month).total
            assert total is not None
            total.code, total.name = child.code, child.name
            areas.append(total)
    categories = [r for r in comp.rows if r.current or r.previous or r.last_year][:10]
    return {
        "known": comp.known,
        "notice": comp.notice(),
        "total": comp.total,
        "population": comp.population,
        "population_year": comp.population_year,
        "groups": list(groups.values()),
        "areas": areas,
        "categories": categories,
    }


def trend_statement(fit: TrendFit | None) -> list[str]:
    """The trend regression and Mann-Kendall in words (whole translated sentences)."""
    if fit is None:
        return [_("Too few months of figures to say whether disturbances are rising or falling.")]
    values = {
        "months": fit.months,
        "rr": say_number(fit.rate_ratio_per_year, 2),
        "lo": say_number(fit.ci_low, 2),
        "hi": say_number(fit.ci_high, 2),
        "p": say_number(fit.p, 3),
        "pct": say_number(abs(fit.rate_ratio_per_year - 1) * 100, 0),
    }
    if fit.direction == "falling":
        first = _(
            "Disturbances are falling: about %(pct)s%% fewer per year over the last %(months)s "
            "months, season allowed for (rate ratio per year %(rr)s, 95%% interval %(lo)s to "
            "%(hi)s, p = %(p)s)."
        )
    elif fit.direction == "rising":
        first = _(
            "Disturbances are rising: about %(pct)s%% more per year over the last %(months)s "
            "months, season allowed for (rate ratio per year %(rr)s, 95%% interval %(lo)s to "
            "%(hi)s, p = %(p)s)."
        )
    else:
        first = _(
            "No clear trend over the last %(months)s months: the rate ratio per year of %(rr)s "
            "(95%% interval %(lo)s to %(hi)s, p = %(p)s) cannot be told from no change."
        )
    mk = fit.mann_kendall
    mk_values = {"p": say_number(mk.p, 3)}
    if mk.trend == "decreasing":
        second = _(
            "The Mann-Kendall test, which assumes no model, also finds a decrease (p = %(p)s)."
        )
    elif mk.trend == "increasing":
        second = _(
            "The Mann-Kendall test, which assumes no model, also finds an increase (p = %(p)s)."
        )
    else:
        second = _(
            "The Mann-Kendall test, which assumes no model, finds no steady rise or fall "
            "(p = %(p)s)."
        )
    return [first % values, second % mk_values]


def _period_note(period: dict[str, Any]) -> list[str]:
    if period["end"] != period["asked_end"] or period["gaps"]:
        return [period["reason"]]
    return []


def trend(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Up to 36 months of totals with the fitted trend (analytics) and what it says."""
    result = queries.trend(unit_of(territory), month, months=TREND_MONTHS)
    fit: TrendFit | None = result["fit"]
    # Every month from the first to the last, a gap (unknown, not zero) as None: the chart
    # breaks its lines there instead of joining the months beside it.
    months, counts, fitted = queries.trend_with_gaps(result)
    return {
        "months": [datetime.date.fromisoformat(m + "-01") for m in months],
        "counts": counts,
        "fitted": fitted,
        "fit": fit,
        # The period is said only when it is not the one asked for (the register ends early or
        # has gaps): months outside it are unknown, not zero.
        "statement": [*trend_statement(fit), *_period_note(result["period"])],
        "plain": plain.trend_in_words(fit, territory.display_name),
    }


def alarms(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Villages whose early-warning alarm reaches the report's month (analytics)."""
    found = warning.alarms_cached(unit_of(territory), month)
    rows = [dict(a, new=a["month"] == month) for a in found if a["ongoing"]]
    return {
        "rows": rows,
        "window": warning.WINDOW,
        "history": warning.HISTORY,
        "one_in": round(1 / warning.ALPHA),
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
        for name, metric in (
            ("received", desk_metrics.RECEIVED),
            ("resolved", desk_metrics.RESOLVED),
            ("resolved_in_time", desk_metrics.RESOLVED_IN_TIME),
        ):
            for key, v in _metric_by_key(territory, metric, start, end).items():
                out[key][name] += v
        return out

    now, before = figures(month, month), figures(prev, prev)
    from jaga.servicedesk.models import Service

    # Rows are keyed by service code; people read the service's name, never its code.
    names = {svc.code: svc.name for svc in Service.objects.filter(code__in=list(now))}
    rows = []
    totals: dict[str, int] = defaultdict(int)
    for key in sorted(now):
        f = now[key]
        resolved, in_time = f["resolved"], min(f["resolved_in_time"], f["resolved"])
        row: dict[str, Any] = {
            "service": (names.get(key) or _("Other")) if key else "—",
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
    (fieldwork_metrics.VISITS_COUNT, "Sambang visits"),
    (fieldwork_metrics.EARLY_DETECTIONS, "Early detections"),
    (fieldwork_metrics.PROBLEM_CASES, "Problem-solving cases"),
    (fieldwork_metrics.OPERATIONS_COUNT, "Operations (razia)"),
    (fieldwork_metrics.FINDINGS, "Findings of operations"),
]


def fieldwork(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Bhabinkamtibmas field work and operations: this month, previous month, last year."""
    labels = {
        fieldwork_metrics.VISITS_COUNT: _("Sambang visits"),
        fieldwork_metrics.EARLY_DETECTIONS: _("Early detections"),
        fieldwork_metrics.PROBLEM_CASES: _("Problem-solving cases"),
        fieldwork_metrics.OPERATIONS_COUNT: _("Operations (razia)"),
        fieldwork_metrics.FINDINGS: _("Findings of operations"),
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
        _metric_by_key(territory, fieldwork_metrics.FINDINGS, month, month).items(),
        key=lambda kv: -kv[1],
    )
    targets = dict(Target.choices)
    return {
        "rows": rows,
        "findings": [
            {"target": str(targets.get(k, _("Other"))) if k else "—", "count": v}
            for k, v in findings
        ],
    }


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
    """Activities per programme; participation rates and their link to incidents (analytics).

    The month's rates are the engine's Σ numerator / Σ denominator; the association between a
    village's attendance and its disturbances is read over the last 12 months, since one month
    has too few meetings per village to say anything.
    """
    from jaga.programs.models import Programme
    from jaga.programs.queries import METRIC_OF

    count = _metric_by_key(territory, programme_metrics.ACTIVITIES_HELD, month, month)
    heads = _metric_by_key(territory, programme_metrics.HEAD_COUNT, month, month)
    att = {
        name: _metric_by_key(territory, metric, month, month) for metric, name in METRIC_OF.items()
    }
    keys = sorted(set(count) | set(heads) | {k for v in att.values() for k in v})
    names = dict(Programme.objects.filter(code__in=keys).values_list("code", "name"))
    rows = []
    for key in keys:
        a = {name: att[name].get(key, 0) for name in ATTENDANCE}
        rows.append(
            {
                "code": key or "—",
                "name": names.get(key) or (_("Other") if key else "—"),
                "activities": count.get(key, 0),
                "head_count": heads.get(key, 0),
                **a,
                "attendance_rate": ratio(a["attended"], a["invited"]),
            }
        )
    unit = unit_of(territory)
    this_month = analyse_participation(unit, month, month)
    year = analyse_participation(unit, add_months(month, -11), month)
    return {
        "rows": rows,
        "activities": sum(count.values()),
        "head_count": sum(heads.values()),
        "invited": this_month["totals"][programme_metrics.INVITED],
        "rates": this_month["rates"],
        "association": year["association"],
        "statement": year["statement"],
    }


def coverage(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Coverage at the month's end (analytics), and the villages that keep kamtibmas themselves."""
    month_end = add_months(month, 1) - datetime.timedelta(days=1)
    result = queries.coverage(unit_of(territory), on=month_end)
    result["self_managed"] = list(
        Territory.objects.filter(
            unit_of(territory).village_q(), polmas_status=PolmasStatus.SELF_MANAGED
        )
        .order_by("code")
        .values("code", "name")
    )
    return result


def surveys(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Trust (the month and the last 12 months) and IKM (last 12 months) from the roll-ups."""
    from jaga.surveys import ikm as ikm_math
    from jaga.surveys.models import IKM_ELEMENTS
    from jaga.surveys.queries import current_bands, current_weights, summarise_trust

    def sums(start: datetime.date) -> dict[tuple[str, str], int]:
        rows = (
            MonthlyMetric.objects.filter(
                _where(territory), metric__startswith=survey_metrics.SURVEYS
            )
            .filter(month__gte=start, month__lte=month)
            .values("metric", "key")
            .annotate(v=Sum("value"))
        )
        return {(r["metric"], r["key"]): r["v"] for r in rows}

    year_sums = sums(add_months(month, -11))
    month_sums = sums(month)
    n_ikm = int(year_sums.get((survey_metrics.IKM_N, ""), 0))
    ikm = ikm_math.compute(
        n_ikm,
        {c: year_sums.get((survey_metrics.IKM_SUM, c), 0) for c in IKM_ELEMENTS},
        current_weights(),
        current_bands(),
    )
    return {
        "trust_month": summarise_trust(month_sums),
        "trust_year": summarise_trust(year_sums),
        "ikm": ikm,
    }


def programmes(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """Each programme adopted in the territory by the month's end, evaluated by analytics.

    Callaway-Sant'Anna (villages not yet adopting as comparison) with an interrupted time series
    as a second view, up to the report's month; a programme the data cannot evaluate says why.
    """
    from jaga.programs.models import ProgrammeAdoption

    unit = unit_of(territory)
    month_end = add_months(month, 1) - datetime.timedelta(days=1)
    adopted: dict[str, dict[str, Any]] = {}
    for code, name, village_id, day in (
        ProgrammeAdoption.objects.filter(
            village__in=Territory.objects.filter(unit.village_q()), adopted_on__lte=month_end
        )
        .order_by("programme__code")
        .values_list("programme__code", "programme__name", "village_id", "adopted_on")
    ):
        entry = adopted.setdefault(code, {"code": code, "name": name, "villages": set()})
        entry["villages"].add(village_id)
        entry["first"] = min(entry.get("first", day), day)
        entry["last"] = max(entry.get("last", day), day)
    # The engine starts the series at the first recorded month; with none up to the report's
    # month there is nothing to compare, and its own message would not say so.
    first = _incidents(territory).filter(month__lte=month).aggregate(m=Min("month"))["m"]
    rows = []
    for entry in adopted.values():
        row = {**entry, "villages": len(entry["villages"]), "result": None, "error": ""}
        if first is None:
            row["error"] = _(
                "No disturbances are recorded in this area up to this month, so the "
                "programme's effect on them cannot be estimated."
            )
        elif entry["last"].replace(day=1) <= first:
            row["error"] = _(
                "Every adopting village took the programme up before the records of "
                "disturbances begin (%(first)s): there are no months before adoption to "
                "compare with."
            ) % {"first": date_format(first, "F Y")}
        else:
            try:
                row["result"] = evaluate(entry["code"], unit, end=month)
            except DomainError as exc:
                row["error"] = str(exc.message)
        rows.append(row)
    return {"rows": rows}


def scorecard(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """The Kapolres' scorecard (`analytics.scorecard`): every programme of the territory, with
    the comparison the data allows (villages, or before-and-after against other regencies) and
    its outputs. Served from the scorecard's cache when the page has just computed it."""
    from jaga.analytics import scorecard as card

    try:
        return {"rows": card.scorecard(unit_of(territory), month)["programmes"], "error": ""}
    except DomainError as exc:
        return {"rows": [], "error": str(exc.message)}


def _fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + say_number(value, 1) + "%"


def summary(territory: Territory, month: datetime.date, sections: dict[str, Any]) -> list[str]:
    """A few generated sentences on what changed, in the report's language."""
    out = _count_sentences(month, sections["compstat"])
    out += _area_sentences(sections["compstat"]["areas"])
    out.append(sections["trend"]["plain"])
    out += _alarm_sentences(sections["alarms"]["rows"])
    out += _work_sentences(sections["desk"], sections["partnership"], sections["coverage"])
    for row in sections["programmes"]["rows"]:
        if row["result"] is not None:
            out.append(plain.effect_in_words(row["result"], row["name"]))
    out += _trust_sentences(sections["surveys"]["trust_year"])
    return out


def _count_sentences(month: datetime.date, compstat: dict[str, Any]) -> list[str]:
    """The month's count of disturbances against the same month last year and the year to date
    against the year before (or why there is no count)."""
    out: list[str] = []
    c: CompRow = compstat["total"]
    known = compstat["known"]
    if not known:
        # Not "nothing recorded": the register does not reach this month.
        out.append(
            _(
                "Disturbances: %(month)s is outside the period the register covers, so there "
                "is no count for it. %(notice)s"
            )
            % {"month": month.strftime("%Y-%m"), "notice": compstat["notice"]}
        )
    elif not (c.current or c.last_year or c.ytd or c.ytd_last_year):
        out.append(
            _(
                "No disturbances were recorded this month, in the same month last year or in "
                "either year so far."
            )
        )
    if known and not c.last_year_known:
        out.append(
            _(
                "%(now)s disturbances were recorded this month; the same month last year is "
                "outside the period the register covers."
            )
            % {"now": c.current}
        )
    elif known and (c.last_year or c.current):
        if c.change_last_year is None:
            out.append(
                _(
                    "%(now)s disturbances were recorded this month; none in the same month last year."
                )
                % {"now": c.current}
            )
        else:
            verdict = (
                _("a real change (p = %(p)s)") % {"p": say_number(c.p_last_year, 3)}
                if c.signal_last_year
                else _("within normal variation")
            )
            out.append(
                _(
                    "%(now)s disturbances this month against %(ly)s in the same month last year "
                    "(%(pct)s): %(verdict)s."
                )
                % {
                    "now": c.current,
                    "ly": c.last_year,
                    "pct": _fmt_pct(c.change_last_year),
                    "verdict": verdict,
                }
            )
    if known and c.ytd_known and (c.ytd or c.ytd_last_year):
        out.append(
            _("Year to date: %(ytd)s against %(ytdl)s a year earlier (%(pct)s).")
            % {"ytd": c.ytd, "ytdl": c.ytd_last_year, "pct": _fmt_pct(c.change_ytd)}
        )
    return out


def _area_sentences(areas: list[CompRow]) -> list[str]:
    """The areas with significantly fewer, and more, disturbances than last year."""
    out: list[str] = []
    falling = [a for a in areas if a.signal_last_year and a.current < a.last_year]
    rising = [a for a in areas if a.signal_last_year and a.current > a.last_year]
    if falling:
        out.append(
            _("Significantly fewer disturbances than last year in: %(areas)s.")
            % {"areas": ", ".join(a.name for a in falling)}
        )
    if rising:
        out.append(
            _("Significantly more disturbances than last year in: %(areas)s.")
            % {"areas": ", ".join(a.name for a in rising)}
        )
    return out


def _alarm_sentences(alarm_rows: list[dict[str, Any]]) -> list[str]:
    """The early warning: the first five villages (and categories) above the usual level."""
    out: list[str] = []
    if alarm_rows:
        places = []
        for a in alarm_rows[:5]:
            places.append(
                _("%(village)s (%(category)s)")
                % {"village": a["village_name"], "category": a["category_name"]}
            )
        out.append(
            _("Early warning: disturbances above the usual level in %(places)s.")
            % {"places": ", ".join(places)}
        )
    return out


def _work_sentences(d: dict[str, Any], p: dict[str, Any], cov: dict[str, Any]) -> list[str]:
    """The service desk's reports, the partnership activities and the villages without a
    Bhabinkamtibmas."""
    out: list[str] = []
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
                else say_number(d["in_time_rate"], 1) + "%",
            }
        )
    if p["activities"]:
        rate = p["rates"]["attendance_pct"]
        out.append(
            _("%(n)s partnership activities reached %(people)s people; attendance was %(rate)s.")
            % {
                "n": p["activities"],
                "people": p["head_count"],
                "rate": "—" if rate is None else say_number(rate, 1) + "%",
            }
        )
    if cov["villages_without"]:
        out.append(
            _("%(n)s of %(total)s villages have no Bhabinkamtibmas posted.")
            % {"n": len(cov["villages_without"]), "total": cov["villages"]}
        )
    return out


def _trust_sentences(trust: TrustSummary) -> list[str]:
    """Trust in the police over the last 12 months, when the surveys estimate it."""
    out: list[str] = []
    est = trust.estimates.get("trust_police")
    if est is not None:
        out.append(
            _(
                "Trust in the police over the last 12 months: %(v)s of 5 (95%% interval %(lo)s–%(hi)s, %(n)s answers)."
            )
            % {
                "v": say_number(est.value, 2),
                "lo": say_number(est.low, 2),
                "hi": say_number(est.high, 2),
                "n": trust.respondents,
            }
        )
    return out


SECTIONS = [
    ("compstat", compstat),
    ("trend", trend),
    ("alarms", alarms),
    ("desk", desk),
    ("fieldwork", fieldwork),
    ("partnership", partnership),
    ("coverage", coverage),
    ("surveys", surveys),
    ("programmes", programmes),
    ("scorecard", scorecard),
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
