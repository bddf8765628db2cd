"""Confidence intervals from the sums kept in the roll-ups (n, Σx, Σx²)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Estimate:
    n: int
    value: float
    low: float
    high: float


def mean_ci(n: int, total: float, total_sq: float, level: float = 0.95) -> Estimate | None:
    """Mean with a Student-t interval, from n, Σx and Σx² (None when n < 2)."""
    if n < 2:
        return None
    mean = total / n
    variance = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * math.sqrt(variance / n)
    return Estimate(n, mean, mean - half, mean + half)


def proportion_ci(n: int, successes: int, level: float = 0.95) -> Estimate | None:
    """Share with a Wilson score interval (good for small n and shares near 0 or 1)."""
    if n < 1:
        return None
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(n, p, max(0.0, centre - half), min(1.0, centre + half))
