"""Programme evaluation from the roll-ups: Callaway-Sant'Anna and an interrupted time series."""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.db.models import Count, Max, Min, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jaga.analytics.coverage import Period, gap_months, period_for
from jaga.analytics.models import MonthlyIncidentCount
from jaga.analytics.queries import category_ids_with_children, counts_of
from jaga.analytics.stats.did import DidResult, callaway_santanna, pre_trend_rejects
from jaga.analytics.stats.its import interrupted_time_series
from jaga.analytics.units import Unit, last_complete_month
from jaga.core.errors import DomainError
from jaga.core.months import add_months, months_between
from jaga.core.numbers import say_number
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.territory.models import Territory

PRE_MONTHS = 24  # months of history before the first adoption
# Adoption cohorts smaller than this make the analytic interval unreliable.
SMALL_COHORT = 5
EVENT_MIN, EVENT_MAX = -12, 24


def evaluate(
    programme_code: str,
    unit: Unit,
    category_code: str | None = None,
    end: datetime.date | None = None,
) -> dict[str, Any]:
    """The programme's effect on monthly incidents per village, two ways, with what it can claim."""
    programme = _programme(programme_code)
    category_ids = _category_ids(category_code)
    end = end or last_complete_month()
    villages = list(Territory.objects.filter(unit.village_q()).values_list("id", "code"))
    ids = [v for v, _ in villages]
    adoptions = dict(
        ProgrammeAdoption.objects.filter(programme=programme, village_id__in=ids).values_list(
            "village_id", "adopted_on"
        )
    )
    period, start, end = _covered_period(unit, _first_adoption(adoptions, end), end)
    # A month without a single record in some regency is a hole in the register: left out for
    # every village (the estimators compare the months that remain), never read as zero.
    period.left_out = gap_months(unit, start, end)
    months = [m for m in months_between(start, end) if m not in set(period.left_out)]
    index = {m: i for i, m in enumerate(months)}
    row_of = {v: i for i, v in enumerate(ids)}
    y = _monthly_counts(ids, start, end, category_ids, index, row_of)
    cohort = _cohorts(adoptions, start, end, months, row_of)
    did = _did(y, cohort)
    treated = cohort > 0
    share = np.array([(cohort[treated] <= t).mean() for t in range(len(months))])
    its = interrupted_time_series(
        y[treated].sum(axis=0),
        share,
        first_month=start.month,
        offsets=[(m.year - start.year) * 12 + m.month - start.month for m in months],
    )
    result = did.as_dict()
    evaluated = [int(c) for c in cohort if c > 0]
    sizes = [evaluated.count(c) for c in set(evaluated)]
    result["min_cohort_size"] = min(sizes) if sizes else 0
    result.update(
        programme=programme.code,
        programme_name=programme.name,
        territory=unit.key,
        category=category_code or "",
        start=start.isoformat()[:7],
        end=end.isoformat()[:7],
        n_always_treated=int((cohort == 0).sum()),
        # The pre-trend rule's verdict (either test rejects), as the statement words it.
        pre_trend_rejected=pre_trend_rejected(result),
        its=its.as_dict() if its else None,
        period=period.as_dict(),
        statement=statement(
            {**did.as_dict(), "min_cohort_size": result["min_cohort_size"]},
            its.as_dict() if its else None,
        )
        | {"period": period.reason()},
    )
    return result


# An evaluation read again within this many seconds, with the unit's data unchanged, comes from
# the cache: a country's takes 15-20 s to compute (BENCHMARKS.md, Pages at national data).
CACHE_SECONDS = 600


def evaluate_cached(
    programme_code: str,
    unit: Unit,
    category_code: str | None = None,
    end: datetime.date | None = None,
) -> dict[str, Any]:
    """`evaluate` through the cache for CACHE_SECONDS, keyed by the programme, the unit, the
    category, the last month, the language and what the unit's data is: its incident roll-up
    rows up to that month (their total and number) and the programme's adoptions in its villages
    (their number, first and last dates, highest key). New incidents or adoptions show at once;
    an adoption's date changed to one inside that range shows within CACHE_SECONDS. Unknown
    codes are checked before the cache, so their message is always fresh."""
    from django.core.cache import cache

    from jaga.accounts.access import unscoped

    programme = _programme(programme_code)
    _category_ids(category_code)
    end = end or last_complete_month()
    incidents = counts_of(unit).filter(month__lte=end).aggregate(n=Sum("count"), r=Count("*"))
    adoptions = unscoped(
        ProgrammeAdoption.objects.filter(
            programme=programme, village__in=Territory.objects.filter(unit.village_q())
        ),
        "the unit's villages: the caller resolved the unit for the user",
    ).aggregate(r=Count("id"), k=Max("id"), first=Min("adopted_on"), last=Max("adopted_on"))
    version = ".".join(str(v) for v in (*incidents.values(), *adoptions.values()))
    key = (
        f"jaga:evaluation:1:{programme.code}:{unit.key}:{category_code or ''}:"
        f"{end.isoformat()}:{get_language()}:{version}"
    )
    found = cache.get(key)
    if found is None:
        found = evaluate(programme.code, unit, category_code, end)
        cache.set(key, found, CACHE_SECONDS)
    return dict(found)


def _programme(code: str) -> Programme:
    try:
        return Programme.objects.get(code=code)
    except Programme.DoesNotExist:
        raise DomainError(
            "unknown_programme",
            _("There is no programme with the code %(code)s.") % {"code": code},
        ) from None


def _category_ids(category_code: str | None) -> list[int] | None:
    """The category and its descendants, or None for every category."""
    if not category_code:
        return None
    category_ids = category_ids_with_children(category_code)
    if not category_ids:
        raise DomainError(
            "unknown_category",
            _("There is no incident category with the code %(code)s.") % {"code": category_code},
        )
    return category_ids


def _first_adoption(adoptions: dict[int, datetime.date], end: datetime.date) -> datetime.date:
    """The month of the first adoption up to `end`; an error when no village adopted by then."""
    adopted_in_window = [d for d in adoptions.values() if d.replace(day=1) <= end]
    if not adopted_in_window:
        raise DomainError(
            "no_adoption",
            _(
                "No village in this area has adopted the programme yet: there is nothing to evaluate."
            ),
        )
    return min(adopted_in_window).replace(day=1)


def _covered_period(
    unit: Unit, first_adoption: datetime.date, end: datetime.date
) -> tuple[Period, datetime.date, datetime.date]:
    """The months the evaluation may read (the period, its first and last month): PRE_MONTHS
    before the first adoption to `end`, cut to the register's coverage; an error when the
    coverage ends before the first adoption."""
    # Months outside the register's coverage are unknown, not zero: a register that ends before
    # `end` would otherwise read its missing months as a fall (and halve the effect), one that
    # starts late as a rise.
    period = period_for(unit, add_months(first_adoption, -PRE_MONTHS), end)
    if period.empty or period.end is None or period.start is None or period.end < first_adoption:
        raise DomainError(
            "no_coverage",
            _(
                "The register of this area has no records after the programme began, so there is "
                "nothing to evaluate. %(reason)s"
            )
            % {"reason": period.reason()},
        )
    return period, period.start, period.end


def _monthly_counts(
    ids: list[int],
    start: datetime.date,
    end: datetime.date,
    category_ids: list[int] | None,
    index: dict[datetime.date, int],
    row_of: dict[int, int],
) -> np.ndarray:
    """Incidents per village (row) and month (column) from the roll-ups, zero where none; months
    not in `index` (left out) are not read."""
    y = np.zeros((len(ids), len(index)))
    qs = MonthlyIncidentCount.objects.filter(village_id__in=ids, month__gte=start, month__lte=end)
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    for village_id, month, n in (
        qs.values("village_id", "month")
        .annotate(n=Sum("count"))
        .values_list("village_id", "month", "n")
    ):
        if month in index:
            y[row_of[village_id], index[month]] = n
    return y


def _cohorts(
    adoptions: dict[int, datetime.date],
    start: datetime.date,
    end: datetime.date,
    months: list[datetime.date],
    row_of: dict[int, int],
) -> np.ndarray:
    """Each village's adoption as a column index, the first month used from its adoption month
    on (a month left out moves it to the next one): -1 never (by `end` or the last month used),
    0 before `start`."""
    cohort = np.full(len(row_of), -1)
    for village_id, adopted in adoptions.items():
        m = adopted.replace(day=1)
        if m <= end:
            column = bisect.bisect_left(months, m) if m >= start else 0
            cohort[row_of[village_id]] = column if column < len(months) else -1
    return cohort


def _did(y: np.ndarray, cohort: np.ndarray) -> DidResult:
    try:
        return callaway_santanna(y, cohort, min_e=EVENT_MIN, max_e=EVENT_MAX)
    except ValueError:
        raise DomainError(
            "no_comparison",
            _(
                "Every village adopted the programme at the same time as the others could serve "
                "as comparison: there is no comparison group in this area."
            ),
        ) from None


def fmt(value: float, places: int) -> str:
    """A number in the user's language (0,25 in Indonesian, 0.25 in English)."""
    return say_number(value, places)


def statement(did: dict[str, Any], its: dict[str, Any] | None) -> dict[str, str]:
    """What the estimate can and cannot claim, in plain words (translated)."""
    att, lo, hi = did["att"], did["ci_low"], did["ci_high"]
    if hi < 0:
        finding = _(
            "In the adopting villages, monthly incidents were %(att)s per village lower than "
            "the comparison villages suggest they would have been (95%% interval %(lo)s to "
            "%(hi)s)."
        ) % {"att": fmt(abs(att), 2), "lo": fmt(lo, 2), "hi": fmt(hi, 2)}
    elif lo > 0:
        finding = _(
            "In the adopting villages, monthly incidents were %(att)s per village higher than "
            "the comparison villages suggest (95%% interval %(lo)s to %(hi)s)."
        ) % {"att": fmt(att, 2), "lo": fmt(lo, 2), "hi": fmt(hi, 2)}
    else:
        finding = _(
            "The data cannot tell the programme's effect from no effect: the 95%% interval "
            "%(lo)s to %(hi)s per village per month includes zero."
        ) % {"lo": fmt(lo, 2), "hi": fmt(hi, 2)}
    smallest = did.get("min_cohort_size") or 0
    if 0 < smallest < SMALL_COHORT:
        # The interval comes from the spread between villages of a cohort: a cohort of one or two
        # villages has almost none, so the interval is too narrow and tests too eager.
        finding += " " + _(
            "Caution: some villages adopted in a month of their own or with one other village "
            "(the smallest group has %(n)s), so the interval is likely too narrow."
        ) % {"n": smallest}
    pre = pre_trend_in_words(did)
    sensitivity = sensitivity_in_words(did)
    caveat = _(
        "This is an association under the assumption that, without the programme, adopting "
        "villages would have followed the comparison villages. It cannot rule out other changes "
        "that came with adoption (a new officer, a raid, a change in reporting), and more "
        "reports after adoption may mean more trust rather than more crime."
    )
    second = ""
    # One adopting village (or a series too short) leaves the ITS interval undefined (nan).
    if its and np.isfinite([its["change_pct"], its["ci_low"], its["ci_high"]]).all():
        second = _(
            "Second view (interrupted time series of the adopting villages alone, no comparison "
            "group): incidents changed by %(pct)s%% once all had adopted (95%% interval "
            "%(lo)s to %(hi)s as a rate ratio)."
        ) % {
            "pct": fmt(its["change_pct"], 0),
            "lo": fmt(its["ci_low"], 2),
            "hi": fmt(its["ci_high"], 2),
        }
    return {
        "finding": finding,
        "pre_trend": pre,
        "sensitivity": sensitivity,
        "caveat": caveat,
        "its": second,
    }


def pre_trend_rejected(did: Mapping[str, Any]) -> bool:
    """Either pre-trend test (the joint one or the straight-line drift) rejects
    (`stats.did.pre_trend_rejects`: each at 2.5%, together at most 5%)."""
    return pre_trend_rejects(did.get("pre_trend_p"), did.get("pre_slope_p"))


def pre_trend_in_words(did: dict[str, Any]) -> str:
    """The two pre-adoption checks in one sentence; never "supports" when either rejects."""
    p, p_slope = did.get("pre_trend_p"), did.get("pre_slope_p")
    if p is None and p_slope is None:
        return _("There is too little history before adoption to check the trends before it.")
    values = {
        "p": "—" if p is None else fmt(p, 3),
        "p_slope": "—" if p_slope is None else fmt(p_slope, 3),
    }
    if pre_trend_rejected(did):
        return (
            _(
                "Warning: before adoption, adopting villages already moved differently from the "
                "others (month-by-month test p = %(p)s, steady-drift test p = %(p_slope)s); the "
                "estimate is doubtful."
            )
            % values
        )
    return (
        _(
            "Before adoption, adopting and comparison villages moved alike (month-by-month test "
            "p = %(p)s, steady-drift test p = %(p_slope)s), which supports the comparison but "
            "does not prove it."
        )
        % values
    )


def sensitivity_in_words(did: dict[str, Any]) -> str:
    """How large a departure from parallel trends would overturn the conclusion (Rambachan and
    Roth 2023, relative magnitudes): empty when there is no conclusion to overturn."""
    m = did.get("breakdown")
    if m is None:
        return ""
    if m < 1:
        return _(
            "The conclusion is fragile: after adoption, a difference in trend smaller than the "
            "largest month-to-month difference already seen before adoption (%(m)s times it) "
            "would be enough to overturn it."
        ) % {"m": fmt(m, 1)}
    return _(
        "The conclusion holds unless, after adoption, the villages drifted apart each month by "
        "more than %(m)s times the largest month-to-month difference seen before adoption."
    ) % {"m": fmt(m, 1)}
