"""Early warning: a Poisson CUSUM for every series (village x category) at once.

Each series' expected monthly count comes from its own history (a baseline window before the
monitoring window), scaled by a month-of-year index pooled over all series of the same category.
The CUSUM is Lucas's (1985) count CUSUM for a shift from mu0 to `shift` x mu0:
    k = (mu1 - mu0) / (ln mu1 - ln mu0),   S_t = max(0, S_{t-1} + y_t - k_t),   alarm if S_t >= h.
The decision limit h is calibrated by simulation, per level of the estimated mu0 (the estimate's
own error included), so that a series in control alarms somewhere in the monitoring window with
probability `alpha` (the nominal rate). Everything
is numpy over the whole (series x months) matrix: no model fit per village.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MU_FLOOR = 0.02  # a village with no history still has a small chance of a first incident


@dataclass
class CusumResult:
    expected: np.ndarray  # (series, window) expected counts
    observed: np.ndarray  # (series, window)
    statistic: np.ndarray  # (series, window) CUSUM S_t
    limit: np.ndarray  # (series,) decision limit h
    alarm: np.ndarray  # (series,) bool: alarmed somewhere in the window
    first_alarm: np.ndarray  # (series,) index in the window of the first alarm, -1 if none


def seasonal_index(
    baseline: np.ndarray, baseline_moy: np.ndarray, groups: np.ndarray, min_total: float = 200
) -> np.ndarray:
    """Month-of-year factors per group (category): mean count in month m over overall mean.

    Returns an array (n_groups, 12); groups with fewer than `min_total` baseline counts get 1.0,
    since a handful of incidents cannot tell a season from chance.
    """
    n_groups = int(groups.max()) + 1 if groups.size else 0
    index = np.ones((n_groups, 12))
    for g in range(n_groups):
        rows = baseline[groups == g]
        if rows.sum() < min_total:
            continue
        per_month = np.array(
            [
                rows[:, baseline_moy == m].mean() if (baseline_moy == m).any() else np.nan
                for m in range(1, 13)
            ]
        )
        overall = rows.mean()
        factors = np.where(np.isnan(per_month), 1.0, per_month / overall)
        index[g] = factors / factors.mean()
    return index


def lucas_k(mu0: np.ndarray, shift: float) -> np.ndarray:
    mu1 = mu0 * shift
    return (mu1 - mu0) / (np.log(mu1) - np.log(mu0))


def run_cusum(y: np.ndarray, mu: np.ndarray, shift: float) -> np.ndarray:
    """S over the window for every series at once: y and mu are (series, window)."""
    k = lucas_k(mu, shift)
    s = np.zeros(y.shape[0])
    out = np.empty_like(y, dtype=float)
    for t in range(y.shape[1]):  # a loop over months, vectorised over every series
        s = np.maximum(0.0, s + y[:, t] - k[:, t])
        out[:, t] = s
    return out


GRID = np.exp(np.linspace(np.log(MU_FLOOR), np.log(1000.0), 72))


def _limit(peak: np.ndarray, alpha: float) -> float:
    """The smallest attained h with P(max S >= h) <= alpha (S moves in discrete steps)."""
    q = float(np.quantile(peak, 1 - alpha, method="higher"))
    above = peak[peak > q]
    return float(above.min()) if above.size else q + 1e-9


@lru_cache(maxsize=32)
def grid_limits(
    window: int, baseline: int, shift: float, alpha: float, sims: int = 400_000
) -> np.ndarray:
    """Decision limits per level of the *estimated* mean, computed once per process.

    A village's expected count is estimated from its own `baseline` months, and a mean that
    came out low by chance makes the CUSUM alarm too easily: a limit calibrated on the true mean
    would let such series alarm well above the nominal rate. So the simulation does what the
    monitoring does: draw true means (log-uniform over the grid's range), estimate each from a
    simulated baseline, run the CUSUM on fresh in-control months with the estimate, and take
    the limit per bin of the estimate. The false-alarm rate is then nominal given what Jaga
    actually sees.
    """
    rng = np.random.default_rng(20221)
    mu = np.exp(rng.uniform(np.log(MU_FLOOR), np.log(GRID[-1]), size=sims))
    estimate = np.maximum(np.maximum(rng.poisson(mu * baseline), 0.5) / baseline, MU_FLOOR)
    y = rng.poisson(mu[:, None], size=(sims, window)).astype(float)
    peak = run_cusum(y, np.repeat(estimate[:, None], window, axis=1), shift).max(axis=1)
    bins = np.clip(np.searchsorted(GRID, estimate, side="left"), 0, len(GRID) - 1)
    limits = np.full(len(GRID), np.nan)
    for b in range(len(GRID)):
        in_bin = peak[bins == b]
        if in_bin.size >= max(200, int(5 / alpha)):
            limits[b] = _limit(in_bin, alpha)
    # Bins the simulation left thin take the nearest calibrated neighbour's limit.
    known = np.flatnonzero(~np.isnan(limits))
    for empty in np.flatnonzero(np.isnan(limits)):
        limits[empty] = limits[known[np.argmin(np.abs(known - empty))]]
    return limits


def limits_for(
    mu0: np.ndarray, window: int, shift: float, alpha: float, baseline: int = 36
) -> np.ndarray:
    """h per series from the bin of its estimated mean and the bin below (the higher of two).

    Taking the higher neighbour keeps the false-alarm rate at or under the nominal one.
    """
    limits = grid_limits(window, baseline, shift, alpha)
    pos = np.clip(np.searchsorted(GRID, mu0, side="left"), 0, len(GRID) - 1)
    below = np.clip(pos - 1, 0, len(GRID) - 1)
    return np.maximum(limits[pos], limits[below])


def poisson_cusum(
    history: np.ndarray,
    window: int,
    groups: np.ndarray | None = None,
    months_of_year: np.ndarray | None = None,
    shift: float = 2.0,
    alpha: float = 0.01,
    baseline_months: int = 36,
) -> CusumResult:
    """Monitor the last `window` months of each row of `history` (series x months).

    The expected count is the row's mean over up to `baseline_months` months before the window,
    times the seasonal index of the row's group; `alpha` is the nominal probability that a series
    in control alarms in the window.
    """
    y = np.asarray(history, dtype=float)
    n_series, n_months = y.shape
    if n_months <= window:
        raise ValueError("history must be longer than the monitoring window")
    start = max(0, n_months - window - baseline_months)
    # Months before the data begins are unknown, not zero: the baseline starts at the first
    # month in which any series has a count.
    with_data = np.flatnonzero(y[:, : n_months - window].sum(axis=0) > 0)
    if with_data.size:
        start = min(max(start, int(with_data[0])), n_months - window - 1)
    base = y[:, start : n_months - window]
    obs = y[:, n_months - window :]
    if groups is None:
        groups = np.zeros(n_series, dtype=int)
    if months_of_year is None:
        months_of_year = (np.arange(n_months) % 12) + 1
    index = seasonal_index(base, months_of_year[start : n_months - window], groups)
    base_index = index[groups][:, months_of_year[start : n_months - window] - 1]
    # Deseasonalised mean per series; a series with no count in its baseline gets half an
    # incident over it, so that its expected count is small but not zero.
    level = np.maximum(base.sum(axis=1), 0.5) / base_index.sum(axis=1)
    window_index = index[groups][:, months_of_year[n_months - window :] - 1]
    mu = np.maximum(level[:, None] * window_index, MU_FLOOR)
    mu0 = mu.mean(axis=1)
    limit = limits_for(mu0, window, shift, alpha, baseline=base.shape[1])
    stat = run_cusum(obs, mu, shift)
    hit = stat >= limit[:, None]
    alarm = np.asarray(hit.any(axis=1))
    first = np.where(alarm, hit.argmax(axis=1), -1)
    return CusumResult(mu, obs, stat, limit, alarm, first)
