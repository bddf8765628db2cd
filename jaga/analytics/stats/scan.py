"""Early warning: a Poisson likelihood-ratio scan over 1-3 month windows, every series at once.

Expected counts. A series' expected count in month t is

    mu_it = level_i * season_g(moy_t) * exp(b_g * t)

with `season_g` (month-of-year factors) and `b_g` (log-linear trend per month) pooled over every
series of the same group (category) in the area, fitted on the baseline months only, and
`level_i` the series' own Poisson maximum-likelihood level given those pooled factors:
Σ_baseline y_it / Σ_baseline season*trend (closed form). Pooled factors are estimated from
thousands of series, so their own error is negligible; a group with fewer than `MIN_POOLED`
baseline incidents gets no season and no trend (a handful of incidents cannot tell them from
chance). No model is fitted per village: it is sums over the (series x months) matrix.

The scan. For every window of 1, 2 or 3 consecutive months inside the monitoring window, with
observed Y and expected E, the log likelihood ratio of "the rate is raised in that window"
against "it is as expected" is Y ln(Y/E) - (Y - E) when Y > E (0 otherwise). A series'
statistic is the largest over its windows; the window attaining it is the alarm's window (its
first month is "the month it started"). One statistic per series: overlapping windows of the
same surge give one alarm.

The limit. The statistic's null distribution depends on the expected count and on the error of
the level estimated from the series' own history, so the limit is calibrated by simulation per
level of the *estimated* mean (true means drawn log-uniformly, each estimated from a simulated
baseline as Jaga does, then in-control months scanned with the estimate), such that a series in
control alarms somewhere in the monitoring window with probability `alpha`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

MU_FLOOR = 0.02  # a series with no history still has a small chance of a first incident
MIN_POOLED = 200.0  # baseline incidents a group needs before its season and trend are used
LENGTHS = (1, 2, 3)  # window lengths scanned (months)
GRID = np.exp(np.linspace(np.log(MU_FLOOR), np.log(200.0), 56))
SIMS = 1_200_000


@dataclass
class ScanResult:
    expected: np.ndarray  # (series, window) expected counts in the monitoring window
    observed: np.ndarray  # (series, window)
    statistic: np.ndarray  # (series,) largest log likelihood ratio over the windows
    limit: np.ndarray  # (series,) decision limit
    alarm: np.ndarray  # (series,) bool
    start: np.ndarray  # (series,) index in the window of the best window's first month
    length: np.ndarray  # (series,) months in the best window
    window_observed: np.ndarray  # (series,) observed count in the best window
    window_expected: np.ndarray  # (series,) expected count in the best window
    trend: np.ndarray  # (groups,) pooled log-linear trend per month
    season: np.ndarray  # (groups, 12) pooled month-of-year factors
    baseline: np.ndarray  # (series,) the baseline length (months) each limit is calibrated for


def group_totals(base: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(groups x months) sums of the series of each group: a sparse (groups x series) indicator
    times the matrix, summed in float64 in the series' order (the same sums, bit for bit, as a
    `bincount` per month, in a fifth of the time on a million series)."""
    from scipy import sparse

    n = base.shape[0]
    indicator = sparse.csr_array((np.ones(n), (groups, np.arange(n))), shape=(n_groups, n))
    totals: np.ndarray = np.asarray(indicator @ base, dtype=float)
    return totals


def pooled_season(totals: np.ndarray, moy: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """Month-of-year factors per group (mean 1): the group's detrended count per month of the
    year over its overall mean. Groups under MIN_POOLED incidents, or a baseline not covering
    every month of the year, get 1.0."""
    n_groups, n_months = totals.shape
    detrended = totals * np.exp(-trend[:, None] * np.arange(n_months)[None, :])
    by_moy = np.zeros((12, n_groups))
    months = np.zeros(12)
    np.add.at(by_moy, moy - 1, detrended.T)
    np.add.at(months, moy - 1, 1)
    index = np.ones((n_groups, 12))
    enough = totals.sum(axis=1) >= MIN_POOLED
    if (months > 0).all() and enough.any():
        per_month = by_moy.T[enough] / months
        factors = np.maximum(per_month / per_month.mean(axis=1, keepdims=True), 0.05)
        index[enough] = factors / factors.mean(axis=1, keepdims=True)
    return index


def pooled_trend(totals: np.ndarray, season_t: np.ndarray) -> np.ndarray:
    """Log-linear trend per month per group: a Poisson GLM of the group's monthly totals on
    time with the season as offset (Newton's method on two parameters, all groups at once).
    Groups under MIN_POOLED incidents, or with under 24 baseline months, get 0."""
    n_groups, n_months = totals.shape
    slope = np.zeros(n_groups)
    fit = totals.sum(axis=1) >= MIN_POOLED
    if n_months < 24 or not fit.any():
        return slope
    y = totals[fit]
    offset = np.log(season_t[fit])
    t = (np.arange(n_months) - (n_months - 1) / 2) / 12.0  # years, centred
    a = np.log(y.sum(axis=1) / np.exp(offset).sum(axis=1))
    b = np.zeros(y.shape[0])
    for _ in range(25):
        mu = np.exp(a[:, None] + b[:, None] * t + offset)
        g_a = (y - mu).sum(axis=1)
        g_b = ((y - mu) * t).sum(axis=1)
        h_aa = mu.sum(axis=1)
        h_ab = (mu * t).sum(axis=1)
        h_bb = (mu * t * t).sum(axis=1)
        det = h_aa * h_bb - h_ab**2
        a = a + (h_bb * g_a - h_ab * g_b) / det
        b = np.clip(b + (h_aa * g_b - h_ab * g_a) / det, -1.0, 1.0)
    slope[fit] = b / 12.0
    return slope


def pooled_shape(totals: np.ndarray, moy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Season and trend per group, estimated jointly (alternating: the season of the detrended
    totals, then the trend given the season; a few rounds converge)."""
    trend = np.zeros(totals.shape[0])
    season = np.ones((totals.shape[0], 12))
    for _ in range(4):
        season = pooled_season(totals, moy, trend)
        trend = pooled_trend(totals, season[:, moy - 1])
    return season, trend


def llr(y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Poisson log likelihood ratio of a raised rate, one-sided: Y ln(Y/E) - (Y - E) if Y > E.

    Computed only where Y > E (most village months have few incidents)."""
    value = np.zeros(y.shape)
    up = y > e
    yy, ee = y[up], e[up]
    value[up] = yy * np.log(yy / ee) - (yy - ee)
    return value


def scan(obs: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, ...]:
    """Largest LLR over every 1-3 month window of each row, with its window's start, length,
    observed and expected counts."""
    n, w = obs.shape
    zero = np.zeros((n, 1))
    cy = np.concatenate([zero, np.cumsum(obs, axis=1)], axis=1)
    cm = np.concatenate([zero, np.cumsum(mu, axis=1)], axis=1)
    best = np.full(n, -1.0)
    start = np.zeros(n, dtype=np.int64)
    length = np.ones(n, dtype=np.int64)
    y_best = np.zeros(n)
    e_best = np.zeros(n)
    rows = np.arange(n)
    for size in LENGTHS:
        if size > w:
            break
        y = cy[:, size:] - cy[:, :-size]
        e = cm[:, size:] - cm[:, :-size]
        value = llr(y, e)
        at = value.argmax(axis=1)
        top = value[rows, at]
        better = top > best
        best = np.where(better, top, best)
        start = np.where(better, at, start)
        length = np.where(better, size, length)
        y_best = np.where(better, y[rows, at], y_best)
        e_best = np.where(better, e[rows, at], e_best)
    return best, start, length, y_best, e_best


def scan_active(obs: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, ...]:
    """`scan`, computed only for the series with an incident in the window: a series without
    one has a zero likelihood ratio in every window, so its best is the first one-month window
    (statistic 0, start 0, length 1, observed 0, expected that month's), as `scan` finds."""
    n = obs.shape[0]
    active = obs.max(axis=1, initial=0) > 0
    statistic, y_best = np.zeros(n), np.zeros(n)
    first, length = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
    e_best = mu[:, 0].astype(float)
    if active.any():
        found = scan(obs[active], mu[active])
        for out, value in zip((statistic, first, length, y_best, e_best), found, strict=True):
            out[active] = value
    return statistic, first, length, y_best, e_best


def _limit(peak: np.ndarray, alpha: float) -> float:
    """The smallest attained value h with P(peak >= h) <= alpha (the statistic is discrete)."""
    q = float(np.quantile(peak, 1 - alpha, method="higher"))
    above = peak[peak > q]
    return float(above.min()) if above.size else q + 1e-9


# An optional shared store for the simulated limits (the web app keeps them in Django's cache,
# so a new process does not simulate again): get(key) -> list | None, set(key, list).
LimitStore = tuple[Callable[[str], Any], Callable[[str, Any], None]]
limit_store: LimitStore | None = None


@lru_cache(maxsize=16)
def grid_limits(window: int, baseline: int, alpha: float, sims: int = SIMS) -> np.ndarray:
    """Decision limits per bin of the estimated mean: from the store, or simulated."""
    key = f"jaga:scan-limits:1:{window}:{baseline}:{alpha}:{sims}:{len(GRID)}"
    if limit_store is not None:
        found = limit_store[0](key)
        if found is not None and len(found) == len(GRID):
            return np.asarray(found, dtype=float)
    limits = simulate_limits(window, baseline, alpha, sims)
    if limit_store is not None:
        limit_store[1](key, limits.tolist())
    return limits


def simulate_limits(window: int, baseline: int, alpha: float, sims: int) -> np.ndarray:
    """Decision limits per bin of the estimated mean, by simulation (seeded: reproducible)."""
    rng = np.random.default_rng(20261201)
    chunks = 6
    estimates, peaks = [], []
    for _ in range(chunks):
        n = sims // chunks
        mu = np.exp(rng.uniform(np.log(MU_FLOOR / 2), np.log(GRID[-1] * 1.2), size=n))
        estimate = np.maximum(np.maximum(rng.poisson(mu * baseline), 0.5) / baseline, MU_FLOOR)
        y = rng.poisson(mu[:, None], size=(n, window)).astype(float)
        peaks.append(scan(y, np.repeat(estimate[:, None], window, axis=1))[0])
        estimates.append(estimate)
    estimate = np.concatenate(estimates)
    peak = np.concatenate(peaks)
    bins = np.clip(np.searchsorted(GRID, estimate, side="left"), 0, len(GRID) - 1)
    limits = np.full(len(GRID), np.nan)
    for b in range(len(GRID)):
        in_bin = peak[bins == b]
        if in_bin.size >= max(500, int(20 / alpha)):
            limits[b] = _limit(in_bin, alpha)
    known = np.flatnonzero(~np.isnan(limits))
    for empty in np.flatnonzero(np.isnan(limits)):
        limits[empty] = limits[known[np.argmin(np.abs(known - empty))]]
    return limits


def limits_for(mu0: np.ndarray, window: int, alpha: float, baseline: int) -> np.ndarray:
    """The limit of each series' bin and of the bins either side, whichever is highest: the
    simulation's noise between neighbouring bins never lowers a limit."""
    limits = grid_limits(window, baseline, alpha)
    pos = np.clip(np.searchsorted(GRID, mu0, side="left"), 0, len(GRID) - 1)
    below = np.clip(pos - 1, 0, len(GRID) - 1)
    above = np.clip(pos + 1, 0, len(GRID) - 1)
    highest: np.ndarray = np.maximum(np.maximum(limits[pos], limits[below]), limits[above])
    return highest


def poisson_scan(
    history: np.ndarray,
    window: int,
    groups: np.ndarray | None = None,
    months_of_year: np.ndarray | None = None,
    alpha: float = 0.002,
    baseline_months: int = 36,
) -> ScanResult:
    """Monitor the last `window` months of each row of `history` (series x months)."""
    y = np.asarray(history)  # float32 from the roll-up: no float64 copy of the whole matrix
    n_series, n_months = y.shape
    if n_months <= window:
        raise ValueError("history must be longer than the monitoring window")
    start = max(0, n_months - window - baseline_months)
    # Months before the data begins are unknown, not zero.
    with_data = np.flatnonzero(y[:, : n_months - window].sum(axis=0) > 0)
    if with_data.size:
        start = min(max(start, int(with_data[0])), n_months - window - 1)
    split = n_months - window
    base = y[:, start:split]
    obs = y[:, split:].astype(float)
    if groups is None:
        groups = np.zeros(n_series, dtype=np.int64)
    if months_of_year is None:
        months_of_year = (np.arange(n_months) % 12) + 1
    n_groups = int(groups.max()) + 1 if groups.size else 1
    moy = np.asarray(months_of_year)
    season, slope = pooled_shape(group_totals(base, groups, n_groups), moy[start:split])
    t = np.arange(start, n_months) - (split - 1)  # months from the baseline's last month
    shape = season[:, moy[start:] - 1] * np.exp(slope[:, None] * t[None, :])  # (groups, months)
    base_shape_sum = shape[:, : split - start].sum(axis=1)[groups]  # (series,)
    level = np.maximum(base.sum(axis=1, dtype=float), 0.5) / base_shape_sum
    mu = np.maximum(level[:, None] * shape[:, split - start :][groups], MU_FLOOR)
    statistic, first, length, y_best, e_best = scan_active(obs, mu)
    # The level's error is that of its baseline count: express the baseline in months of the
    # window's mean (fewer than its length when the trend rises), rounded down to 6 months
    # (conservative: a shorter baseline means a higher limit), and calibrate for that.
    mu0 = mu.mean(axis=1)
    equivalent = base_shape_sum / (mu0 / level)
    rounded = np.maximum(6, (equivalent // 6).astype(np.int64) * 6)
    limit = np.zeros(n_series)
    for months in np.flatnonzero(np.bincount(rounded)):  # the lengths met (np.unique sorts)
        rows = np.flatnonzero(rounded == months)
        limit[rows] = limits_for(mu0[rows], window, alpha, baseline=int(months))
    alarm = statistic >= limit
    return ScanResult(
        expected=mu,
        observed=obs,
        statistic=statistic,
        limit=limit,
        alarm=alarm,
        start=first,
        length=length,
        window_observed=y_best,
        window_expected=e_best,
        trend=slope,
        season=season,
        baseline=rounded,
    )


def alarms_without(result: ScanResult, row: int, parts: np.ndarray, alpha: float) -> bool:
    """Whether series `row` still alarms once the series `parts` are taken out of it (parts of
    it, such as the categories of a village's total that alarmed on their own): the rest's
    observed and expected counts in the window are scanned as a series of their own, against
    the limit for the rest's expected level and the row's baseline length."""
    window = result.observed.shape[1]
    obs = result.observed[row] - result.observed[parts].sum(axis=0)
    mu = np.maximum(result.expected[row] - result.expected[parts].sum(axis=0), MU_FLOOR)
    statistic = scan(obs[None, :], mu[None, :])[0]
    limit = limits_for(np.array([mu.mean()]), window, alpha, baseline=int(result.baseline[row]))
    return bool(statistic[0] >= limit[0])
