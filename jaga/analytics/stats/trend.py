"""Is a monthly series falling or rising? A count regression with seasonality and Mann-Kendall.

`glm_trend` fits log E[y_t] = a + b * t/12 + month-of-year + log(population_t) (Poisson; negative
binomial when the Pearson dispersion shows over-dispersion) and reports exp(b), the rate ratio per
year. `mann_kendall` is the non-parametric check (Kendall's S with the tie correction, Sen's slope).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

DISPERSION_LIMIT = 1.5


@dataclass
class MannKendall:
    s: int
    var_s: float
    z: float
    p: float
    tau: float
    slope: float  # Sen's slope, per step
    trend: str  # "increasing" | "decreasing" | "no trend"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.lru_cache(maxsize=16)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs i < j of a series of `n` (the same for every series of a page)."""
    i, j = np.triu_indices(n, k=1)
    i.setflags(write=False)
    j.setflags(write=False)
    return i, j


@functools.lru_cache(maxsize=16)
def _steps(n: int) -> np.ndarray:
    i, j = _pairs(n)
    steps: np.ndarray = (j - i).astype(float)
    steps.setflags(write=False)
    return steps


def mann_kendall(series: np.ndarray | list[float], alpha: float = 0.05) -> MannKendall:
    """The original Mann-Kendall test (Mann 1945, Kendall 1975), as pymannkendall.original_test."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    if n < 3:
        return MannKendall(0, 0.0, 0.0, 1.0, 0.0, 0.0, "no trend")
    diff = x[None, :] - x[:, None]  # diff[i, j] = x_j - x_i
    upper = _pairs(n)
    s = int(np.sign(diff[upper]).sum())
    _, counts = np.unique(x, return_counts=True)
    ties = counts[counts > 1]
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18.0
    if s > 0:
        z = (s - 1) / math.sqrt(var_s)
    elif s < 0:
        z = (s + 1) / math.sqrt(var_s)
    else:
        z = 0.0
    # 2 x the normal tail beyond |z| (scipy's norm.sf is the same erfc, with ~0.2 ms of
    # argument checking per call: a country's dashboard tests 514 sparklines).
    p = math.erfc(abs(z) / math.sqrt(2))
    tau = s / (0.5 * n * (n - 1))
    steps = _steps(n)
    slope = float(np.median(diff[upper] / steps))
    trend = "no trend"
    if p < alpha:
        trend = "increasing" if z > 0 else "decreasing"
    return MannKendall(s, var_s, float(z), p, float(tau), slope, trend)


def mann_kendall_of(series: tuple[float, ...]) -> MannKendall:
    """`mann_kendall(series)`, remembered by the series (a copy each time): after one new
    incident a province's or the country's dashboard tests again only the lines that moved."""
    return dataclasses.replace(_mann_kendall_of(series))


@functools.lru_cache(maxsize=4096)
def _mann_kendall_of(series: tuple[float, ...]) -> MannKendall:
    return mann_kendall(np.asarray(series, dtype=float))


@dataclass
class TrendFit:
    family: str  # "poisson" | "negative_binomial"
    rate_ratio_per_year: float
    ci_low: float
    ci_high: float
    p: float
    dispersion: float
    months: int
    direction: str  # "falling" | "rising" | "flat"
    mann_kendall: MannKendall
    fitted: list[float]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mann_kendall"] = self.mann_kendall.as_dict()
        return data


def design(
    months_of_year: np.ndarray, n: int, seasonal: bool, at: np.ndarray | None = None
) -> np.ndarray:
    """Intercept, the trend in years (centred over the n months) and month-of-year dummies;
    `at`: the months present when some are missing (the rows are those months only)."""
    t = np.arange(n, dtype=float) / 12.0
    centre = t.mean()
    if at is not None:
        t = np.asarray(at, dtype=float) / 12.0
    columns = [np.ones(len(t)), t - centre]
    if seasonal:
        for m in range(2, 13):
            columns.append((months_of_year == m).astype(float))
    return np.column_stack(columns)


# Past this log rate ratio per year (e^30) the interval carries no information.
MAX_LOG_RATIO = 30.0


def glm_trend(
    counts: np.ndarray | list[int],
    first_month: int = 1,
    population: np.ndarray | list[float] | float | None = None,
    alpha: float = 0.05,
    offsets: list[int] | np.ndarray | None = None,
) -> TrendFit | None:
    """Fit the trend; None when the series is too short or empty to say anything. `offsets`:
    each count's month counted from the first, when months are missing from the series."""
    import statsmodels.api as sm

    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n < 6 or y.sum() == 0:
        return None
    at = np.arange(n) if offsets is None else np.asarray(offsets, dtype=int)
    months_of_year = (at + first_month - 1) % 12 + 1
    # Month dummies need at least two full years to be told apart from the trend.
    X = design(months_of_year, int(at[-1]) + 1, seasonal=n >= 24, at=at)
    if population is None:
        offset = np.zeros(n)
    else:
        offset = np.log(np.broadcast_to(np.asarray(population, dtype=float), (n,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        dispersion = float(poisson.pearson_chi2 / max(poisson.df_resid, 1))
        fit, family = poisson, "poisson"
        if dispersion > DISPERSION_LIMIT:
            # NB2 with alpha estimated by maximum likelihood, then the GLM at that alpha.
            nb = sm.NegativeBinomial(y, X, offset=offset).fit(disp=0, maxiter=200)
            nb_alpha = float(np.clip(nb.params[-1], 1e-6, 50))
            fit = sm.GLM(
                y, X, family=sm.families.NegativeBinomial(alpha=nb_alpha), offset=offset
            ).fit()
            family = "negative_binomial"
    b = float(fit.params[1])
    se = float(fit.bse[1])
    zcrit = float(stats.norm.ppf(1 - alpha / 2))
    if not (math.isfinite(b) and math.isfinite(se)) or abs(b) + zcrit * se > MAX_LOG_RATIO:
        # A few scattered counts (e.g. one old month and a handful of recent ones) leave some
        # month dummies with nothing but zeros: the fit runs off to infinity and says nothing.
        return None
    p = float(fit.pvalues[1])
    direction = "flat"
    if p < alpha:
        direction = "falling" if b < 0 else "rising"
    rates = y / np.exp(offset)
    return TrendFit(
        family=family,
        rate_ratio_per_year=math.exp(b),
        ci_low=math.exp(b - zcrit * se),
        ci_high=math.exp(b + zcrit * se),
        p=p,
        dispersion=dispersion,
        months=n,
        direction=direction,
        mann_kendall=mann_kendall(rates, alpha=alpha),
        fitted=[float(v) for v in fit.fittedvalues],
    )
