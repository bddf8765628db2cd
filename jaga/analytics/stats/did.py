"""Staggered difference-in-differences: Callaway & Sant'Anna (2021), written with numpy.

Input: a balanced panel y (units x periods) and each unit's cohort, the index of the first period
in which it is treated (-1 for never treated). Group-time effects ATT(g, t) compare the change of
cohort g from its base period with the same change among units not yet treated by period t
(never-treated included), without covariates:

    ATT(g, t) = mean_{G=g}(y_t - y_b) - mean_{G>t or never, G!=g}(y_t - y_b)

with b = g - 1 after adoption and b = t - 1 before it (the "varying" base of the paper's pre-tests).
Standard errors come from the influence functions of those means, clustered by unit; the
aggregations (simple: weighted by cohort size over post cells; event study: by months since
adoption) carry their influence functions along, so every interval is analytic. The weights are
treated as known (the paper also propagates their estimation error: a small difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats


@dataclass
class GroupTime:
    cohort: int
    period: int
    att: float
    se: float
    n_treated: int
    n_control: int
    treated_mean: float  # mean outcome of the cohort in period t (observed)


@dataclass
class EventPoint:
    e: int
    att: float
    se: float
    ci_low: float
    ci_high: float


@dataclass
class DidResult:
    att: float
    se: float
    ci_low: float
    ci_high: float
    att_pct: float | None
    counterfactual_mean: float
    n_treated: int
    n_control: int
    pre_trend_chi2: float
    pre_trend_df: int
    pre_trend_p: float | None
    group_time: list[GroupTime] = field(default_factory=list)
    event_study: list[EventPoint] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": "callaway_santanna",
            "att": self.att,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "att_pct": self.att_pct,
            "counterfactual_mean": self.counterfactual_mean,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "pre_trend_chi2": self.pre_trend_chi2,
            "pre_trend_df": self.pre_trend_df,
            "pre_trend_p": self.pre_trend_p,
            "event_study": [vars(p) for p in self.event_study],
            "group_time": [vars(g) for g in self.group_time],
        }


def _att_gt(
    y: np.ndarray, cohort: np.ndarray, g: int, t: int
) -> tuple[float, np.ndarray, int, int, float] | None:
    """ATT(g, t) with its per-unit influence function (length n), or None without controls."""
    n = y.shape[0]
    base = g - 1 if t >= g else t - 1
    if base < 0:
        return None
    treated = cohort == g
    control = ((cohort > max(t, base)) | (cohort < 0)) & ~treated
    n_t, n_c = int(treated.sum()), int(control.sum())
    if n_t == 0 or n_c == 0:
        return None
    dy = y[:, t] - y[:, base]
    mean_t = float(dy[treated].mean())
    mean_c = float(dy[control].mean())
    psi = np.zeros(n)
    psi[treated] = n / n_t * (dy[treated] - mean_t)
    psi[control] = -n / n_c * (dy[control] - mean_c)
    return mean_t - mean_c, psi, n_t, n_c, float(y[treated, t].mean())


def _se(psi: np.ndarray) -> float:
    n = psi.shape[0]
    return float(math.sqrt((psi**2).sum()) / n)


def callaway_santanna(
    y: np.ndarray,
    cohort: np.ndarray,
    alpha: float = 0.05,
    max_e: int | None = None,
    min_e: int | None = None,
    pre_window: int = 12,
) -> DidResult:
    """Group-time effects and their simple and event-study aggregations.

    `cohort` holds period indices (0-based) of first treatment, -1 for never treated. Cohorts
    treated in period 0 have no pre-period and are left out (as in the paper).
    """
    y = np.asarray(y, dtype=float)
    cohort = np.asarray(cohort, dtype=int)
    n, n_periods = y.shape
    zcrit = float(stats.norm.ppf(1 - alpha / 2))
    cells: list[tuple[GroupTime, np.ndarray]] = []
    for g in sorted({int(c) for c in cohort if 0 < c < n_periods}):
        for t in range(1, n_periods):
            found = _att_gt(y, cohort, g, t)
            if found is None:
                continue
            att, psi, n_t, n_c, treated_mean = found
            cells.append((GroupTime(g, t, att, _se(psi), n_t, n_c, treated_mean), psi))
    sizes = {g: int((cohort == g).sum()) for g in {c.cohort for c, _ in cells}}

    post = [(c, psi) for c, psi in cells if c.period >= c.cohort]
    if not post:
        raise ValueError("no post-adoption period has a comparison group")
    w = np.array([sizes[c.cohort] for c, _ in post], dtype=float)
    w /= w.sum()
    att = float(sum(wi * c.att for wi, (c, _) in zip(w, post, strict=True)))
    psi_att = sum(wi * psi for wi, (_, psi) in zip(w, post, strict=True))
    se = _se(np.asarray(psi_att))
    observed = float(sum(wi * c.treated_mean for wi, (c, _) in zip(w, post, strict=True)))
    counterfactual = observed - att
    att_pct = att / counterfactual * 100 if counterfactual > 0 else None

    events: list[EventPoint] = []
    event_psi: dict[int, np.ndarray] = {}
    by_e: dict[int, list[tuple[GroupTime, np.ndarray]]] = {}
    for c, psi in cells:
        by_e.setdefault(c.period - c.cohort, []).append((c, psi))
    for e in sorted(by_e):
        if (max_e is not None and e > max_e) or (min_e is not None and e < min_e):
            continue
        items = by_e[e]
        we = np.array([sizes[c.cohort] for c, _ in items], dtype=float)
        we /= we.sum()
        value = float(sum(wi * c.att for wi, (c, _) in zip(we, items, strict=True)))
        psi_e = np.asarray(sum(wi * psi for wi, (_, psi) in zip(we, items, strict=True)))
        s = _se(psi_e)
        event_psi[e] = psi_e
        events.append(EventPoint(e, value, s, value - zcrit * s, value + zcrit * s))

    # Pre-trend: joint Wald test that the event-study points of the last `pre_window` months
    # before adoption are all zero (their covariance from the influence functions). Testing every
    # pre-period ATT(g, t) separately would ask more of the covariance than the units can give.
    pre_es = [p for p in events if -pre_window <= p.e < 0]
    chi2, df, p = 0.0, 0, None
    if pre_es:
        b = np.array([pt.att for pt in pre_es])
        psi_pre = np.column_stack([event_psi[pt.e] for pt in pre_es])
        cov = psi_pre.T @ psi_pre / n**2
        pinv = np.linalg.pinv(cov, rcond=1e-10, hermitian=True)
        df = int(np.linalg.matrix_rank(cov, tol=1e-10 * max(1.0, float(np.abs(cov).max()))))
        chi2 = float(b @ pinv @ b)
        p = float(stats.chi2.sf(chi2, df)) if df > 0 else None

    # Controls: every unit that served as a comparison in some post-adoption cell.
    used_as_control = np.zeros(n, dtype=bool)
    for c, _psi in post:
        base = c.cohort - 1
        used_as_control |= ((cohort > max(c.period, base)) | (cohort < 0)) & (cohort != c.cohort)
    return DidResult(
        att=att,
        se=se,
        ci_low=att - zcrit * se,
        ci_high=att + zcrit * se,
        att_pct=att_pct,
        counterfactual_mean=counterfactual,
        n_treated=int(np.isin(cohort, list(sizes)).sum()),
        n_control=int(used_as_control.sum()),
        pre_trend_chi2=chi2,
        pre_trend_df=df,
        pre_trend_p=p,
        group_time=[c for c, _ in cells],
        event_study=events,
    )
