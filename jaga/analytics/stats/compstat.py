"""CompStat comparisons: % change and an exact Poisson test that says when a change is noise."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def pct_change(current: float, base: float) -> float | None:
    """(current - base) / base x 100; None when the base is zero (no meaningful percentage)."""
    if base == 0:
        return None
    return (current - base) / base * 100.0


# Above this many events in the two counts together the test searches the tails instead of
# summing the whole pmf.
WHOLE_PMF_LIMIT = 10_000


def poisson_change_p(current: int, base: int, exposure_ratio: float = 1.0) -> float:
    """Two-sided exact conditional test that two Poisson counts share one rate.

    Given n = current + base, `current` ~ Binomial(n, r / (1 + r)) under the null, where r is the
    ratio of exposures (e.g. days, or population x months). It is statsmodels'
    `test_poisson_2indep(method="exact-cond")`; 1.0 when both counts are zero.
    """
    n = int(current) + int(base)
    if n == 0:
        return 1.0
    p = exposure_ratio / (1.0 + exposure_ratio)
    if n > WHOLE_PMF_LIMIT:
        # A province's or the country's counts (millions a year): the pmf of every outcome would
        # take seconds; binomtest finds the same tails by a binary search (same rule, same p to
        # about 1e-12).
        return float(stats.binomtest(int(current), n, p).pvalue)
    # scipy's binomtest two-sided rule (outcomes no more likely than the observed one), on the
    # whole pmf at once: a dashboard runs dozens of these per page, and for a regency's counts
    # this is faster than binomtest's search.
    pmf = stats.binom.pmf(np.arange(n + 1), n, p)
    observed = pmf[int(current)]
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


def rate_per_10k(count: float, population: int | None, months: int = 1) -> float | None:
    """Incidents per 10,000 residents per month (None when the population is unknown)."""
    if not population:
        return None
    return count / population / months * 10_000


def significance_band(p: float, alpha: float = 0.05) -> str:
    """'signal' when the change is unlikely to be chance at `alpha`, else 'noise'."""
    return "signal" if p < alpha and not math.isnan(p) else "noise"
