"""Issue 11 item 4, small form of the end-to-end calibration (`bench/calibration_pipeline.py`
runs the full one and writes BENCHMARKS.md).

A planted register goes through the documented CSV files and commands (`jaga incidents import`,
`jaga programmes import-adoptions`, `jaga analytics evaluate --json`, `jaga analytics alarms
--json --with-period`), exactly as in the full form. What can fail:
- the estimate and interval the evaluation prints must be the direct estimator's on the same
  planted panel over the months it says it used: the import, the roll-ups and the evaluation's
  reading of them lose or add nothing;
- a register ending before the month asked for (and beginning after the panel's first month) is
  read over its own months only, and the period printed says so: counting the months after the
  last record as zeros changes the estimate (checked here: it is not the printed one) and hides
  every surge from the alarms.
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from bench.calibration_evaluation import EFFECT
from bench.calibration_pipeline import (
    EARLY_END,
    LATE_START,
    N_MONTHS,
    alarm_register,
    category_codes,
    close,
    direct,
    ensure_regency,
    evaluate_register,
    last_complete_month,
    register,
    village_codes,
    window,
)
from jaga.core.months import add_months

pytestmark = pytest.mark.django_db


def test_the_evaluation_command_prints_the_estimator_on_the_imported_register(frozen, tmp_path):
    ensure_regency()
    villages, categories = village_codes(), category_codes(3)
    rng, crng = np.random.default_rng(31), np.random.default_rng(32)
    reg = register(rng, "full", len(villages), effect=EFFECT)
    r = evaluate_register(reg, villages, categories, crng, tmp_path)
    assert r["period"]["end"] == f"{last_complete_month():%Y-%m}" == r["end"]
    a, b = window(reg, r)
    assert b == N_MONTHS - 1
    assert close(r, direct(reg, reg.y, a, b)), (r["att"], direct(reg, reg.y, a, b).att)
    assert r["n_treated"] == int((reg.cohort > 0).sum())


def test_a_register_ending_early_is_read_over_its_own_months(frozen, tmp_path):
    ensure_regency()
    villages, categories = village_codes(), category_codes(3)
    rng, crng = np.random.default_rng(41), np.random.default_rng(42)
    reg = register(rng, "early", len(villages), effect=EFFECT)
    asked = last_complete_month()
    assert asked == datetime.date(2026, 10, 1)  # the frozen clock: 16 months after the register
    r = evaluate_register(reg, villages, categories, crng, tmp_path)
    p = r["period"]
    assert (p["end"], p["asked_end"]) == ("2025-06", "2026-10")
    assert p["start"] == f"{reg.months[LATE_START]:%Y-%m}"  # the months before it: left out
    assert "2025-06" in p["reason"] and "2025-06" in r["statement"]["period"]
    assert (r["start"], r["end"]) == (p["start"], p["end"])  # the months read are the period's
    a, b = window(reg, r)
    assert (a, b) == (LATE_START, N_MONTHS - 1)
    printed = direct(reg, reg.y, a, b)
    assert close(r, printed), (r["att"], printed.att)
    # What the register's missing months read as zeros would have given (to the month asked):
    # another estimate, so the comparison above can tell the two apart.
    extra = len(range(N_MONTHS, N_MONTHS + 16))
    zeros = np.hstack([reg.y, np.zeros((len(villages), extra))])
    padded = direct(reg, zeros, a, b + extra)
    assert abs(padded.att - printed.att) > 0.05, (padded.att, printed.att)


def test_alarms_through_the_import_when_the_register_ends_early(frozen, tmp_path):
    ensure_regency()
    rng, crng = np.random.default_rng(51), np.random.default_rng(52)
    tally, report = alarm_register(rng, crng, "early", tmp_path, surges=((3.0, 2),))
    assert report["period"]["end"] == "2025-06" == f"{EARLY_END:%Y-%m}"
    assert report["period"]["asked_end"] == "2026-10"
    assert all(a["end_month"] <= "2025-06-01" for a in report["alarms"])
    assert all(a["month"] >= f"{add_months(EARLY_END, -5):%Y-%m-%d}" for a in report["alarms"]), (
        "an alarm outside the register's last six months"
    )
    planted = tally.planted[(2.5, 3.0, 2)]
    caught = tally.caught.get((2.5, 3.0, 2), 0)
    # About half are caught (BENCHMARKS.md); read as zeros after 2025-06, none would be.
    assert caught / planted >= 0.3, (caught, planted)
    # False alarms: 0.2% per series; two or more among ~80 series would be a 1-in-85 event.
    assert tally.false_alarms <= 1, tally.false_alarms
