"""Issue 11, small form of the evaluation's calibration (`bench/calibration_evaluation.py` runs
the full one and writes BENCHMARKS.md). A fixed seed keeps it deterministic; the bounds are the
targets widened by about two Monte Carlo standard errors at this size."""

from __future__ import annotations

from bench.calibration_evaluation import calibrate, report


def test_the_evaluation_is_calibrated_on_planted_registers():
    c = calibrate(reps=12, seed=7)
    assert abs(c["bias"]) < 3 * c["bias_mcse"] + 0.02
    assert c["coverage"].value >= 9 / 12
    # At the 7% target, 12 replications give 3 or fewer rejections 99% of the time (binomial).
    assert c["placebo"].value <= 3 / 12
    assert c["pretrend_size"].value <= 3 / 12
    assert c["pretrend_power"].value >= 10 / 12
    lines = report(c, 1.0)
    assert lines[0] == "## Calibration: programme evaluation"
    assert any("Coverage" in line for line in lines)
