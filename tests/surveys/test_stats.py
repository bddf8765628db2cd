from __future__ import annotations

import math

import numpy as np
from scipy import stats

from jaga.surveys.stats import mean_ci, proportion_ci


def test_the_mean_interval_matches_scipy_on_the_same_answers():
    answers = np.array([4, 5, 3, 4, 2, 5, 4, 4, 3, 5])
    est = mean_ci(len(answers), answers.sum(), (answers**2).sum())
    low, high = stats.t.interval(0.95, len(answers) - 1, answers.mean(), stats.sem(answers))
    assert math.isclose(est.value, 3.9)
    assert math.isclose(est.low, low) and math.isclose(est.high, high)


def test_the_wilson_interval_of_a_published_example():
    # Wilson (1927) / Newcombe (1998) example: 81 of 263 → 0.2553 to 0.3662.
    est = proportion_ci(263, 81)
    assert round(est.low, 4) == 0.2553 and round(est.high, 4) == 0.3662


def test_too_few_answers_give_no_interval():
    assert mean_ci(1, 4, 16) is None
    assert proportion_ci(0, 0) is None
