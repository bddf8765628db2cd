"""Calibration of the programme evaluation (issue 11): bias, coverage, interval width, placebo rate
and the pre-trend check's size and power, each with its Monte Carlo standard error.

Planted panels like a regency's register (271 villages, 48 months, about 2.5 incidents a village a
month with a season and overdispersion between villages, half the villages adopting in staggered
months 24–41) go through the estimator the evaluation uses (`stats.did.callaway_santanna` and the
pre-trend rule `pre_trend_rejects`). `tests/analytics/test_calibration.py` runs a small form in
`make test`; `make bench` runs the full form (BENCH_CALIBRATION_REPS, default 400), and
`python -m bench.calibration_evaluation [REPS]` runs it alone and rewrites only its section of
BENCHMARKS.md.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jaga.analytics.stats.did import callaway_santanna, pre_trend_rejects

N_VILLAGES, N_MONTHS, BASE = 271, 48, 2.5
EFFECT = -0.25  # the programme lowers the adopters' rate by a quarter
TREND = 0.01  # adopters' rate falling 1% a month, before and after adoption


@dataclass
class Rate:
    hits: int
    reps: int

    @property
    def value(self) -> float:
        return self.hits / self.reps

    @property
    def mcse(self) -> float:
        p = self.value
        return math.sqrt(max(p * (1 - p), 1e-12) / self.reps)

    def __str__(self) -> str:
        return f"{self.value * 100:.1f}% (MC s.e. {self.mcse * 100:.1f})"


def panel(
    rng: np.random.Generator,
    effect: float = 0.0,
    trend: float = 0.0,
    n_villages: int = N_VILLAGES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts, cohorts (month index of adoption, -1 never) and the expected counts with and
    without the programme. `bench/calibration_pipeline.py` plants the same panels (with the
    number of villages of a real regency) through the imports."""
    cohort = np.full(n_villages, -1)
    adopters = n_villages // 2
    cohort[:adopters] = rng.integers(24, 42, size=adopters)
    t = np.arange(N_MONTHS)
    season = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    lam0 = np.tile(BASE * season, (n_villages, 1)) * rng.gamma(5, 1 / 5, size=(n_villages, 1))
    lam0[cohort > 0] *= np.exp(np.log(1 - trend) * t)
    post = (t[None, :] >= cohort[:, None]) & (cohort[:, None] > 0)
    lam1 = np.where(post, lam0 * (1 + effect), lam0)
    return rng.poisson(lam1).astype(float), cohort, lam0, lam1


def calibrate(reps: int, seed: int = 2026) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    errors, widths, covered = [], [], 0
    placebo = size = power = 0
    for _ in range(reps):
        y, cohort, lam0, lam1 = panel(rng, effect=EFFECT)
        r = callaway_santanna(y, cohort, min_e=-12, max_e=24)
        truth = (
            callaway_santanna(lam1, cohort, min_e=-12, max_e=24).att
            - callaway_santanna(lam0, cohort, min_e=-12, max_e=24).att
        )
        errors.append(r.att - truth)
        widths.append(r.ci_high - r.ci_low)
        covered += r.ci_low <= truth <= r.ci_high
        y, cohort, _, _ = panel(rng)
        r = callaway_santanna(y, cohort, min_e=-12, max_e=24)
        placebo += not (r.ci_low <= 0 <= r.ci_high)
        size += pre_trend_rejects(r.pre_trend_p, r.pre_slope_p)
        y, cohort, _, _ = panel(rng, trend=TREND)
        r = callaway_santanna(y, cohort, min_e=-12, max_e=24)
        power += pre_trend_rejects(r.pre_trend_p, r.pre_slope_p)
    err = np.array(errors)
    return {
        "reps": reps,
        "bias": float(err.mean()),
        "bias_mcse": float(err.std(ddof=1) / math.sqrt(reps)),
        "rmse": float(math.sqrt((err**2).mean())),
        "width": float(np.mean(widths)),
        "coverage": Rate(covered, reps),
        "placebo": Rate(placebo, reps),
        "pretrend_size": Rate(size, reps),
        "pretrend_power": Rate(power, reps),
    }


def report(c: dict[str, object], seconds: float) -> list[str]:
    return [
        "## Calibration: programme evaluation",
        "",
        f"{c['reps']} replications of a planted register ({N_VILLAGES} villages, {N_MONTHS} months, "
        f"about {BASE} incidents a village a month with a season and overdispersion; half the "
        "villages adopting in staggered months) through `callaway_santanna` and the pre-trend "
        f"rule; {seconds:.0f} s. `python -m bench.calibration_evaluation REPS` redoes it.",
        "",
        "| Figure | Target | Measured |",
        "|---|---|---|",
        f"| Bias of the effect (−25% planted), incidents per village-month | ≈ 0 | "
        f"{c['bias']:+.4f} (MC s.e. {c['bias_mcse']:.4f}); RMSE {c['rmse']:.4f} |",
        f"| Coverage of the 95% interval | 93–97% | {c['coverage']} |",
        f"| Mean interval width | | {c['width']:.3f} |",
        f"| Placebo programme flagged (no effect planted) | ≤ 7% | {c['placebo']} |",
        f"| Pre-trend check fails without a pre-trend (size) | ≤ 7% | {c['pretrend_size']} |",
        f"| Pre-trend check catches a 1%-a-month drift (power) | ≥ 80% | {c['pretrend_power']} |",
        "",
    ]


def write_section(lines: list[str], path: Path) -> None:
    """Replace (or append) this section of BENCHMARKS.md, leaving the others alone."""
    title = lines[0]
    text = path.read_text() if path.exists() else "# Jaga benchmarks\n"
    out, skipping = [], False
    for line in text.splitlines():
        if line == title:
            skipping = True
            continue
        if skipping and line.startswith("## "):
            skipping = False
        if not skipping:
            out.append(line)
    path.write_text("\n".join(out).rstrip("\n") + "\n\n" + "\n".join(lines))


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    started = time.monotonic()
    c = calibrate(reps)
    lines = report(c, time.monotonic() - started)
    print("\n".join(lines))
    write_section(lines, Path(__file__).resolve().parent.parent / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
