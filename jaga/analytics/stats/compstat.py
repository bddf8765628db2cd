"""CompStat comparisons: % change and an exact Poisson test that says when a change is noise."""

from __future__ import annotations

import functools
import math
from typing import Any

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

    Remembered by its counts and ratio (`_poisson_change_p`): after one new incident a province's
    or the country's CompStat tests again only the rows whose counts moved (of 63 tests, at
    0.2-0.7 ms each, 3 to 6).

    Given n = current + base, `current` ~ Binomial(n, r / (1 + r)) under the null, where r is the
    ratio of exposures (e.g. days, or population x months). It is statsmodels'
    `test_poisson_2indep(method="exact-cond")`; 1.0 when both counts are zero.
    """
    return _poisson_change_p(int(current), int(base), float(exposure_ratio))


@functools.lru_cache(maxsize=8192)
def _poisson_change_p(current: int, base: int, exposure_ratio: float) -> float:
    n = current + base
    if n == 0:
        return 1.0
    p = exposure_ratio / (1.0 + exposure_ratio)
    if n > WHOLE_PMF_LIMIT:
        # A province's or the country's counts (millions a year): the pmf of every outcome would
        # take seconds; binomtest finds the same tails by a binary search (same rule, same p to
        # about 1e-12), here without scipy's per-call overhead.
        return binomtest_two_sided(int(current), n, p)
    # scipy's binomtest two-sided rule (outcomes no more likely than the observed one), on the
    # whole pmf at once: a dashboard runs dozens of these per page, and for a regency's counts
    # this is faster than binomtest's search.
    pmf = stats.binom.pmf(np.arange(n + 1), n, p)
    observed = pmf[int(current)]
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


def binomtest_two_sided(k: int, n: int, p: float) -> float:
    """`scipy.stats.binomtest(k, n, p).pvalue` (two-sided), the same steps on the same functions:
    the binomial pmf, cdf and sf of scipy's `binom` (Boost, `scipy.special._ufuncs`) called
    directly, without the argument checks of `binom.pmf`, which cost some 0.2 ms a call. The
    binary search calls the pmf about 20 times a test and the country's CompStat runs some 60
    tests: 0.2 s of a national dashboard. Bit for bit the same p (tests/analytics/
    test_compstat.py compares them); anything outside 0 < p < 1 goes to binomtest itself."""
    if not (0 < p < 1) or not (0 <= k <= n) or n < 1:
        return float(stats.binomtest(k, n, p).pvalue)
    from scipy.special import _ufuncs as scu

    def pmf(x: float) -> float:
        return float(scu._binom_pmf(x, n, p)) if 0 <= x <= n and x == math.floor(x) else 0.0

    def cdf(x: float) -> float:
        x = math.floor(x)
        if x < 0:
            return 0.0
        return 1.0 if x >= n else float(scu._binom_cdf(x, n, p))

    def sf(x: float) -> float:
        x = math.floor(x)
        if x < 0:
            return 1.0
        return 0.0 if x >= n else float(scu._binom_sf(x, n, p))

    def search(a: Any, d: float, lo: float, hi: float) -> float:
        # scipy.stats._binomtest._binary_search_for_binom_tst
        while lo < hi:
            mid = lo + (hi - lo) // 2
            midval = a(mid)
            if midval < d:
                lo = mid + 1
            elif midval > d:
                hi = mid - 1
            else:
                return mid
        return lo if a(lo) <= d else lo - 1

    d = pmf(k)
    rerr = 1 + 1e-7
    if k == p * n:
        pval = 1.0
    elif k < p * n:
        ix = search(lambda x1: -pmf(x1), -d * rerr, float(np.ceil(p * n)), n)
        y = n - ix + int(d * rerr == pmf(ix))
        pval = cdf(k) + sf(n - y)
    else:
        ix = search(pmf, d * rerr, 0, float(np.floor(p * n)))
        y = ix + 1
        pval = cdf(y - 1) + sf(k - 1)
    return float(min(1.0, pval))


def rate_per_10k(count: float, population: int | None, months: int = 1) -> float | None:
    """Incidents per 10,000 residents per month (None when the population is unknown)."""
    if not population:
        return None
    return count / population / months * 10_000


def significance_band(p: float, alpha: float = 0.05) -> str:
    """'signal' when the change is unlikely to be chance at `alpha`, else 'noise'."""
    return "signal" if p < alpha and not math.isnan(p) else "noise"
