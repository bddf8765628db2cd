"""Interrupted time series: the second view of a programme's effect, without a control group.

The monthly total of the adopting villages is modelled as
    log E[y_t] = a + b * t + month-of-year + d * share_t,
where share_t is the fraction of those villages that had adopted by month t (0 before the first
adoption, 1 after the last: a single adoption date is the classic level-change ITS). exp(d) is the
rate ratio once every village has adopted. Quasi-Poisson (Pearson scale) with HAC standard errors
for the autocorrelation of monthly counts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from jaga.analytics.stats.trend import design


@dataclass
class ItsResult:
    rate_ratio: float
    ci_low: float
    ci_high: float
    p: float
    change_pct: float
    pre_trend_per_year: float
    months: int

    def as_dict(self) -> dict[str, Any]:
        return {"method": "interrupted_time_series", **asdict(self)}


def interrupted_time_series(
    y: np.ndarray | list[float],
    share: np.ndarray | list[float],
    first_month: int = 1,
    alpha: float = 0.05,
    maxlags: int = 3,
    offsets: list[int] | np.ndarray | None = None,
) -> ItsResult | None:
    """`offsets`: each value's month counted from the first (0, 1, 2, ... by default); months
    left out of the series (holes in the register) are simply missing from it."""
    import statsmodels.api as sm

    y_arr = np.asarray(y, dtype=float)
    share_arr = np.asarray(share, dtype=float)
    n = len(y_arr)
    if n < 12 or y_arr.sum() == 0 or share_arr.min() == share_arr.max():
        return None
    at = np.arange(n) if offsets is None else np.asarray(offsets, dtype=int)
    span = int(at[-1]) + 1
    months_of_year = (at + first_month - 1) % 12 + 1
    X = np.column_stack([design(months_of_year, span, seasonal=n >= 24, at=at), share_arr])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y_arr, X, family=sm.families.Poisson()).fit(
            scale="X2", cov_type="HAC", cov_kwds={"maxlags": maxlags}
        )
    d = float(fit.params[-1])
    se = float(fit.bse[-1])
    z = float(stats.norm.ppf(1 - alpha / 2))
    return ItsResult(
        rate_ratio=math.exp(d),
        ci_low=math.exp(d - z * se),
        ci_high=math.exp(d + z * se),
        p=float(2 * stats.norm.sf(abs(d / se))) if se > 0 else 1.0,
        change_pct=(math.exp(d) - 1) * 100,
        pre_trend_per_year=math.exp(float(fit.params[1])),
        months=n,
    )
