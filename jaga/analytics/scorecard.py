"""The Kapolres' scorecard: every programme of a territory and what can honestly be said of it.

For each programme with adoptions or activities in the unit:
- adoption that varies by village (more than one adoption month): the staggered
  difference-in-differences of `evaluation.evaluate`, reused as it is;
- a programme that started everywhere at once (one adoption month, or `evaluate` answering
  `no_comparison`): an interrupted time series of the unit's monthly incidents around the start
  (`stats.its`), and when other regencies' records are in Jaga the same series of those regencies
  as a control, compared as a ratio of the two rate ratios. Without a comparison group other
  changes of the same months cannot be separated, and the sentence says so;
- always the outputs of the last twelve months from the roll-ups (MonthlyMetric keyed by
  programme): activities held, people reached, participation, lateness and delegation.

Each programme leads with one plain sentence (what it shows, what it cannot); the figures go in
the "Statistical details" fold. A full evaluation per programme takes longer than a page should,
so the whole scorecard is cached per (unit, month, language) and keyed by the unit's roll-up
totals, like the early-warning alarms: new data shows at once.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.db.models import Count, Q, Sum
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from jaga.accounts.access import unscoped
from jaga.analytics import plain
from jaga.analytics.coverage import period_for, regency_coverage
from jaga.analytics.evaluation import PRE_MONTHS, evaluate
from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyMetric
from jaga.analytics.queries import ACTIVITY_METRICS, ATTENDANCE_METRICS, counts_of
from jaga.analytics.stats.its import ItsResult, interrupted_time_series
from jaga.analytics.units import Unit, last_complete_month
from jaga.core.errors import DomainError
from jaga.core.months import add_months, months_between
from jaga.core.numbers import say_number, say_percent
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.programs.queries import METRIC_OF, Participation
from jaga.territory.models import Level, Territory

CACHE_SECONDS = 600
OUTPUT_MONTHS = 12
Z95 = 1.959963984540054


# The unit (and so its villages) was checked for the user by resolve_unit.
UNIT_CHECKED = "the unit's villages: resolve_unit checked the unit"


def check_month(unit: Unit, month: datetime.date) -> None:
    """A clear answer for a month the scorecard cannot cover (no figure is drawn)."""
    if month > last_complete_month():
        raise DomainError(
            "future_month",
            _("%(month)s is not over yet: choose a month that has ended.")
            % {"month": month.isoformat()[:7]},
        )
    coverage = regency_coverage(unit)
    if not coverage or month < max(r.first for r in coverage):
        raise DomainError(
            "before_data",
            _(
                "The register of %(place)s has no records up to %(month)s, so there is nothing "
                "to evaluate for that month."
            )
            % {"place": unit.name, "month": month.isoformat()[:7]},
        )


def outputs(unit: Unit, month: datetime.date) -> dict[str, dict[str, Any]]:
    """Activities, people reached and participation per programme code over the twelve months
    up to `month`, from the roll-ups. One query."""
    start = add_months(month, -(OUTPUT_MONTHS - 1))
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for key, metric, value in (
        MonthlyMetric.objects.filter(
            unit.rollup_q(),
            month__gte=start,
            month__lte=month,
            metric__in=ACTIVITY_METRICS + ATTENDANCE_METRICS,
        )
        .exclude(key="")
        .values("key", "metric")
        .annotate(v=Sum("value"))
        .values_list("key", "metric", "v")
    ):
        sums[key][metric] = int(value or 0)
    out = {}
    for code, figures in sums.items():
        part = Participation(key=code)
        for metric, name in METRIC_OF.items():
            setattr(part, name, figures.get(metric, 0))
        out[code] = {
            "start": start.isoformat()[:7],
            "end": month.isoformat()[:7],
            # Held once where held: a declaration covering 150 villages is one activity here.
            "activities": figures.get(programme_metrics.ACTIVITIES_HELD, 0),
            # The head count of open events; for meetings by invitation only the attendance is
            # recorded, so the larger of the two (a lower bound, never a double count).
            "people_reached": max(figures.get(programme_metrics.HEAD_COUNT, 0), part.attended),
            "invited": part.invited,
            "attended": part.attended,
            "late": part.late,
            "represented": part.represented,
            "attendance_pct": _pct(part.attendance_rate),
            "late_pct": _pct(part.late / part.attended if part.attended else None),
            "represented_pct": _pct(part.representation_rate),
        }
    return out


def activities_url(unit: Unit, code: str, out: dict[str, Any]) -> str | None:
    """The activities list showing exactly the activities behind `out["activities"]`: the
    programme's, held in the unit, in the same months. None for a unit the list cannot name as
    one area (a Polsek's villages, a province)."""
    from django.urls import reverse

    params = {"programme": code, "start": out["start"], "end": out["end"]}
    if unit.level != "country":
        if unit.territory is None or unit.level == Level.PROVINCE:
            return None
        params["area"] = unit.key
    return f"{reverse('programs:activities')}?{urlencode(params)}"


def _pct(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _monthly(rows: Any, months: list[datetime.date]) -> np.ndarray:
    index = {m: i for i, m in enumerate(months)}
    y = np.zeros(len(months))
    for m, n in rows.values("month").annotate(n=Sum("count")).values_list("month", "n"):
        if m in index:
            y[index[m]] = n
    return y


def _log_se(its: dict[str, Any]) -> float:
    return (math.log(its["ci_high"]) - math.log(its["ci_low"])) / (2 * Z95)


def _usable(its: Any) -> bool:
    return its is not None and bool(
        np.isfinite([its.rate_ratio, its.ci_low, its.ci_high]).all() and its.ci_low > 0
    )


def _its(y: np.ndarray, share: np.ndarray, first_month: int) -> ItsResult | None:
    """`stats.its` on one series; None when the fit cannot be made (a series without any
    spread leaves the quasi-Poisson scale at zero)."""
    try:
        return interrupted_time_series(y, share, first_month=first_month)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        return None


def single_start(unit: Unit, started: datetime.date, month: datetime.date) -> dict[str, Any]:
    """Interrupted time series of the unit's incidents around a start every village shared, and
    the same series of the other regencies held in Jaga as a control."""
    period = period_for(unit, add_months(started, -PRE_MONTHS), month)
    if period.empty or period.start is None or period.end is None or period.end < started:
        raise DomainError("no_coverage", period.reason())
    if period.start >= started:
        raise DomainError(
            "no_history",
            _(
                "The records of this area begin after the programme started: there are no "
                "months before it to compare with."
            ),
        )
    months = months_between(period.start, period.end)
    share = np.array([1.0 if m >= started else 0.0 for m in months])
    its = _its(_monthly(counts_of(unit), months), share, period.start.month)
    if not _usable(its):
        raise DomainError(
            "too_short",
            _("Too few months or incidents around the start to estimate a change."),
        )
    assert its is not None
    result: dict[str, Any] = {"its": its.as_dict(), "period": period.as_dict(), "control": None}
    # Other regencies whose records cover the same months: the control series.
    own = {r.code for r in regency_coverage(unit)}
    others = [
        r.code
        for r in regency_coverage(Unit("*", "", [], "country"))
        if r.code not in own and r.first <= period.start and r.last >= period.end
    ]
    if unit.level != "country" and others:
        control = _its(
            _monthly(
                AreaMonthlyCount.objects.filter(level=AreaLevel.REGENCY, area_code__in=others),
                months,
            ),
            share,
            period.start.month,
        )
        if _usable(control):
            assert control is not None
            c = control.as_dict()
            log_ratio = math.log(its.rate_ratio) - math.log(control.rate_ratio)
            se = math.hypot(_log_se(result["its"]), _log_se(c))
            result["control"] = {
                **c,
                "regencies": len(others),
                "relative_rate_ratio": math.exp(log_ratio),
                "relative_ci_low": math.exp(log_ratio - Z95 * se),
                "relative_ci_high": math.exp(log_ratio + Z95 * se),
                "difference": its.rate_ratio - control.rate_ratio,
            }
    return result


def its_in_words(name: str, result: dict[str, Any], villages: int) -> str:
    """The single-start view in one sentence, with the caveat that it cannot separate other
    changes of the same months."""
    its, control = result["its"], result["control"]
    where = plain.villages(villages)
    if control is not None:
        rr, lo, hi = (
            control["relative_rate_ratio"],
            control["relative_ci_low"],
            control["relative_ci_high"],
        )
        values = {
            "programme": name,
            "where": where,
            "pct": say_percent(abs(rr - 1) * 100),
            "regencies": say_number(control["regencies"]),
        }
        if hi < 1:
            text = _(
                "%(programme)s started in all %(where)s at once; since then disturbances fell "
                "about %(pct)s more than in the %(regencies)s other regencies held in Jaga."
            )
        elif lo > 1:
            text = _(
                "%(programme)s started in all %(where)s at once; since then disturbances rose "
                "about %(pct)s more than in the %(regencies)s other regencies held in Jaga."
            )
        else:
            text = _(
                "%(programme)s started in all %(where)s at once; since then disturbances changed "
                "no differently from the %(regencies)s other regencies held in Jaga, within "
                "chance."
            )
        caveat = _(
            "Other regencies are only a rough comparison: anything else that changed here at "
            "the same time, and not there, cannot be separated from the programme."
        )
        return (text % values) + " " + caveat
    rr, lo, hi = its["rate_ratio"], its["ci_low"], its["ci_high"]
    values = {"programme": name, "where": where, "pct": say_percent(abs(rr - 1) * 100)}
    if hi < 1:
        text = _(
            "%(programme)s started in all %(where)s at once; disturbances were about %(pct)s "
            "lower afterwards than the earlier trend and season suggest."
        )
    elif lo > 1:
        text = _(
            "%(programme)s started in all %(where)s at once; disturbances were about %(pct)s "
            "higher afterwards than the earlier trend and season suggest."
        )
    else:
        text = _(
            "%(programme)s started in all %(where)s at once; disturbances did not clearly change "
            "from the earlier trend and season."
        )
    caveat = _(
        "With no comparison group, other changes at the same time (a new officer, an operation, "
        "a change in reporting) cannot be separated from the programme."
    )
    return (text % values) + " " + caveat


def outputs_in_words(out: dict[str, Any] | None) -> str:
    """Activities and participation in one sentence."""
    if not out or not (out["activities"] or out["invited"]):
        return _("No activity of this programme is recorded in the last 12 months.")
    text = ngettext(
        "In the last 12 months: %(n)s activity, reaching %(people)s people.",
        "In the last 12 months: %(n)s activities, reaching %(people)s people.",
        out["activities"],
    ) % {"n": say_number(out["activities"]), "people": say_number(out["people_reached"])}
    if out["attendance_pct"] is not None:
        text += " " + _(
            "%(attended)s of those invited came; %(late)s of them late; %(sent)s sent someone "
            "in their place."
        ) % {
            "attended": say_percent(out["attendance_pct"]),
            "late": say_percent(out["late_pct"] or 0),
            "sent": say_percent(out["represented_pct"] or 0),
        }
    return text


def _adoptions(unit: Unit, month: datetime.date) -> dict[int, dict[str, Any]]:
    """Per programme id, the unit's adopting villages and the months they adopted it in, up to
    the end of `month`."""
    month_end = add_months(month, 1) - datetime.timedelta(days=1)
    adoptions: dict[int, dict[str, Any]] = {}
    for programme_id, village_id, day in unscoped(
        ProgrammeAdoption.objects.filter(
            village__in=Territory.objects.filter(unit.village_q()), adopted_on__lte=month_end
        ),
        UNIT_CHECKED,
    ).values_list("programme_id", "village_id", "adopted_on"):
        entry = adoptions.setdefault(programme_id, {"villages": set(), "months": set()})
        entry["villages"].add(village_id)
        entry["months"].add(day.replace(day=1))
    return adoptions


def build(unit: Unit, month: datetime.date) -> dict[str, Any]:
    """Every programme of the unit with its evaluation, outputs and plain sentences."""
    check_month(unit, month)
    adoptions = _adoptions(unit, month)
    out = outputs(unit, month)
    programmes = Programme.objects.filter(Q(pk__in=adoptions) | Q(code__in=out)).order_by("code")
    rows = []
    for programme in programmes:
        adopted = adoptions.get(programme.pk, {"villages": set(), "months": set()})
        n_villages = len(adopted["villages"])  # each village once
        row: dict[str, Any] = {
            "code": programme.code,
            "name": programme.name,
            "villages": n_villages,
            "first_adopted": min(adopted["months"]).isoformat()[:7] if adopted["months"] else None,
            "adoption_months": len(adopted["months"]),
            "method": "none",
            "evaluation": None,
            "its": None,
            "note": "",
            "outputs": out.get(programme.code),
            "activities_url": (
                activities_url(unit, programme.code, out[programme.code])
                if programme.code in out
                else None
            ),
        }
        row["outputs_sentence"] = outputs_in_words(row["outputs"])
        if not adopted["months"]:
            row["sentence"] = _(
                "%(programme)s has activities but no village is recorded as having adopted it, "
                "so its effect on disturbances cannot be estimated; only its activities are shown."
            ) % {"programme": programme.name}
            rows.append(row)
            continue
        single = len(adopted["months"]) == 1
        if not single:
            try:
                result = evaluate(programme.code, unit, end=month)
                row["method"] = "did"
                row["evaluation"] = result
                row["sentence"] = plain.effect_in_words(result, programme.name)
            except DomainError as exc:
                if exc.code != "no_comparison":
                    row["sentence"] = _(
                        "The effect of %(programme)s cannot be estimated: %(reason)s"
                    ) % {"programme": programme.name, "reason": exc.message}
                    rows.append(row)
                    continue
                single = True
        if single:
            started = min(adopted["months"])
            try:
                row["its"] = single_start(unit, started, month)
                row["method"] = "its"
                row["sentence"] = its_in_words(programme.name, row["its"], n_villages)
            except DomainError as exc:
                row["sentence"] = _(
                    "%(programme)s started in every adopting village at the same time, and its "
                    "effect cannot be estimated: %(reason)s"
                ) % {"programme": programme.name, "reason": exc.message}
        rows.append(row)
    # What can be said of an effect first: village comparisons, then before-and-after, then the
    # programmes with activities only (each group by code).
    order = {"did": 0, "its": 1, "none": 2}
    rows.sort(key=lambda r: (order[r["method"]], r["code"]))
    return {
        "territory": unit.key,
        "name": unit.name,
        "month": month.isoformat()[:7],
        "programmes": rows,
    }


def scorecard(unit: Unit, month: datetime.date) -> dict[str, Any]:
    """`build` through the cache for ten minutes, keyed by the unit, the month, the language and
    the unit's roll-up totals (incidents, programme figures, adoptions), so new data shows at
    once. Bad input is checked before the cache so its message is always fresh."""
    from django.core.cache import cache

    check_month(unit, month)
    incidents = counts_of(unit).filter(month__lte=month).aggregate(n=Sum("count"), r=Count("*"))
    metrics = MonthlyMetric.objects.filter(
        unit.rollup_q(),
        month__gte=add_months(month, -(OUTPUT_MONTHS - 1)),
        month__lte=month,
        metric__in=ACTIVITY_METRICS + ATTENDANCE_METRICS,
    ).aggregate(n=Sum("value"), r=Count("id"))
    adopted = unscoped(
        ProgrammeAdoption.objects.filter(village__in=Territory.objects.filter(unit.village_q())),
        UNIT_CHECKED,
    ).aggregate(r=Count("id"))
    version = f"{incidents['n']}.{incidents['r']}.{metrics['n']}.{metrics['r']}.{adopted['r']}"
    key = f"jaga:scorecard:2:{unit.key}:{month.isoformat()}:{get_language()}:{version}"
    found = cache.get(key)
    if found is None:
        found = build(unit, month)
        cache.set(key, found, CACHE_SECONDS)
    return dict(found)
