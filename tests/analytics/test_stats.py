"""Statistics against known answers: hand computations, statsmodels/scipy, planted effects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jaga.analytics.stats import compstat, did, hotspots, its, trend


class TestCompstat:
    def test_pct_change_by_hand(self):
        assert compstat.pct_change(15, 10) == 50.0
        assert compstat.pct_change(5, 10) == -50.0
        assert compstat.pct_change(3, 0) is None

    @pytest.mark.parametrize(
        ("a", "b", "r"), [(12, 4, 1.0), (30, 28, 1.0), (9, 20, 31 / 30), (0, 0, 1.0)]
    )
    def test_poisson_test_matches_statsmodels(self, a, b, r):
        from statsmodels.stats.rates import test_poisson_2indep

        mine = compstat.poisson_change_p(a, b, exposure_ratio=r)
        if a + b == 0:
            assert mine == 1.0
            return
        ref = test_poisson_2indep(a, r, b, 1.0, method="exact-cond").pvalue
        assert mine == pytest.approx(ref, rel=1e-9)

    @pytest.mark.parametrize(
        ("a", "b", "r"),
        [(5_100, 5_000, 1.0), (41_000, 40_000, 31 / 30), (280_000, 281_500, 30 / 31),
         (2_500_000, 2_496_000, 1.0)],
    )  # fmt: skip
    def test_national_counts_give_the_whole_pmf_rule_quickly(self, a, b, r):
        """A country's counts (millions) take the tail search: the p of the whole pmf, and of
        statsmodels, in milliseconds instead of seconds."""
        import time

        import numpy as np
        from scipy import stats
        from statsmodels.stats.rates import test_poisson_2indep

        n, p = a + b, r / (1 + r)
        started = time.perf_counter()
        mine = compstat.poisson_change_p(a, b, exposure_ratio=r)
        took = time.perf_counter() - started
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        whole = pmf[pmf <= pmf[a] * (1 + 1e-7)].sum()
        assert mine == pytest.approx(whole, rel=1e-9, abs=1e-300)
        ref = test_poisson_2indep(a, r, b, 1.0, method="exact-cond").pvalue
        assert mine == pytest.approx(ref, rel=1e-9, abs=1e-300)
        assert took < 0.25

    def test_a_doubling_from_two_is_noise_and_from_fifty_is_not(self):
        assert compstat.significance_band(compstat.poisson_change_p(4, 2)) == "noise"
        assert compstat.significance_band(compstat.poisson_change_p(100, 50)) == "signal"

    def test_rate_per_10k(self):
        assert compstat.rate_per_10k(5, 20_000) == 2.5
        assert compstat.rate_per_10k(5, None) is None


class TestMannKendall:
    def test_strictly_increasing_by_hand(self):
        mk = trend.mann_kendall([1, 2, 3, 4, 5])
        assert mk.s == 10
        assert mk.var_s == pytest.approx(5 * 4 * 15 / 18)
        assert mk.z == pytest.approx(9 / math.sqrt(50 / 3))
        assert mk.p == pytest.approx(0.02749, abs=1e-4)
        assert mk.slope == 1.0
        assert mk.trend == "increasing"

    def test_ties_correction_by_hand(self):
        mk = trend.mann_kendall([1, 1, 2])
        assert mk.s == 2
        assert mk.var_s == pytest.approx((3 * 2 * 11 - 2 * 1 * 9) / 18)
        assert mk.z == pytest.approx(1 / math.sqrt(48 / 18))

    def test_s_agrees_with_scipy_kendall_tau(self):
        rng = np.random.default_rng(3)
        x = rng.normal(size=40).cumsum()
        tau, _ = stats.kendalltau(np.arange(40), x)
        assert trend.mann_kendall(x).s == round(tau * 40 * 39 / 2)

    def test_flat_noise_has_no_trend(self):
        assert trend.mann_kendall([3, 5, 4, 3, 5, 4, 3, 5, 4, 4]).trend == "no trend"


def planted_series(rr_per_year: float, months: int = 48, base: float = 6.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    mu = base * season * rr_per_year ** (t / 12)
    return rng.poisson(mu)


class TestGlmTrend:
    def test_it_finds_a_planted_fall(self):
        y = planted_series(0.7)
        fit = trend.glm_trend(y, first_month=1, population=20_000)
        assert fit is not None
        assert fit.direction == "falling"
        assert fit.ci_low < 0.7 < fit.ci_high
        assert fit.mann_kendall.trend == "decreasing"

    def test_it_matches_a_statsmodels_formula_fit(self):
        import pandas as pd
        import statsmodels.formula.api as smf

        y = planted_series(1.2, seed=5)
        fit = trend.glm_trend(y, first_month=1, population=10_000)
        frame = pd.DataFrame({"y": y, "t": np.arange(48) / 12, "m": (np.arange(48) % 12) + 1})
        ref = smf.glm(
            "y ~ t + C(m)",
            data=frame,
            family=__import__("statsmodels.api").api.families.Poisson(),
            offset=np.full(48, math.log(10_000)),
        ).fit()
        assert fit.family == "poisson"
        assert fit.rate_ratio_per_year == pytest.approx(math.exp(ref.params["t"]), rel=1e-6)

    def test_overdispersed_counts_use_negative_binomial(self):
        rng = np.random.default_rng(11)
        mu = rng.gamma(shape=1.0, scale=8.0, size=60)
        fit = trend.glm_trend(rng.poisson(mu), population=None)
        assert fit is not None and fit.family == "negative_binomial"
        assert fit.direction == "flat"

    def test_too_short_or_empty_says_nothing(self):
        assert trend.glm_trend([1, 2, 3]) is None
        assert trend.glm_trend([0] * 30) is None


def staggered_panel(effect: float, n: int = 60, periods: int = 48, seed: int = 7):
    """Poisson village-months with unit and time effects; cohorts at 18, 24, 30; 20 never."""
    rng = np.random.default_rng(seed)
    unit = rng.gamma(4.0, 1.0, size=n)
    time = 1 + 0.2 * np.sin(2 * np.pi * np.arange(periods) / 12)
    cohort = np.full(n, -1)
    cohort[:40] = np.repeat([18, 24, 30, 36], 10)
    mu = unit[:, None] * time[None, :]
    treated = (cohort[:, None] >= 0) & (np.arange(periods)[None, :] >= cohort[:, None])
    mu = np.where(treated, np.maximum(mu + effect, 0.05), mu)
    return rng.poisson(mu).astype(float), cohort


class TestCallawaySantAnna:
    def test_one_cohort_two_periods_is_the_hand_2x2(self):
        y = np.array([[1.0, 4.0], [2.0, 7.0], [3.0, 3.0], [5.0, 6.0]])
        cohort = np.array([1, 1, -1, -1])
        r = did.callaway_santanna(y, cohort)
        hand = ((4 - 1) + (7 - 2)) / 2 - ((3 - 3) + (6 - 5)) / 2
        assert r.att == pytest.approx(hand)
        assert r.n_treated == 2 and r.n_control == 2

    def test_non_staggered_equals_twfe_ols(self):
        """One adoption date, one pre-period: CS simple ATT equals the TWFE coefficient."""
        import pandas as pd
        import statsmodels.formula.api as smf

        rng = np.random.default_rng(2)
        n, periods = 30, 6
        cohort = np.where(np.arange(n) < 12, 1, -1)
        y = rng.poisson(3.0, size=(n, periods)).astype(float)
        y[cohort == 1, 1:] += 2.0
        r = did.callaway_santanna(y, cohort)
        frame = pd.DataFrame(
            [
                {"y": y[i, t], "i": i, "t": t, "d": float(cohort[i] == 1 and t >= 1)}
                for i in range(n)
                for t in range(periods)
            ]
        )
        ols = smf.ols("y ~ d + C(i) + C(t)", data=frame).fit()
        assert r.att == pytest.approx(ols.params["d"], rel=1e-9)

    def test_planted_effect_is_covered_and_pre_trend_is_clean(self):
        y, cohort = staggered_panel(effect=-1.5)
        r = did.callaway_santanna(y, cohort)
        assert r.ci_low < -1.5 < r.ci_high
        assert r.ci_high < 0
        assert r.pre_trend_p is not None and r.pre_trend_p > 0.01
        post = [p for p in r.event_study if p.e >= 0]
        assert post and all(p.ci_low < 0 for p in post)
        assert r.att_pct is not None and -60 < r.att_pct < -20

    def test_no_effect_interval_covers_zero(self):
        y, cohort = staggered_panel(effect=0.0, seed=8)
        r = did.callaway_santanna(y, cohort)
        assert r.ci_low < 0 < r.ci_high

    def test_standard_error_matches_a_monte_carlo_spread(self):
        estimates, ses = [], []
        for seed in range(40):
            y, cohort = staggered_panel(effect=-1.0, seed=100 + seed)
            r = did.callaway_santanna(y, cohort, max_e=6)
            estimates.append(r.att)
            ses.append(r.se)
        assert np.std(estimates) == pytest.approx(np.mean(ses), rel=0.35)
        assert abs(np.mean(estimates) + 1.0) < 3 * np.std(estimates) / math.sqrt(40) + 0.05

    def test_a_planted_pre_trend_is_detected(self):
        y, cohort = staggered_panel(effect=0.0, seed=9)
        periods = y.shape[1]
        drift = np.clip(np.arange(periods) - 6, 0, None) * 0.25
        y[cohort > 0] += drift
        r = did.callaway_santanna(y, cohort)
        assert r.pre_slope_p is not None and r.pre_slope_p < 0.001
        assert did.pre_trend_rejects(r.pre_trend_p, r.pre_slope_p)


class TestIts:
    def test_planted_level_drop(self):
        rng = np.random.default_rng(4)
        n = 48
        share = np.clip((np.arange(n) - 20) / 8, 0, 1)
        mu = 40 * (1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / 12)) * np.exp(np.log(0.7) * share)
        r = its.interrupted_time_series(rng.poisson(mu), share, first_month=1)
        assert r is not None and r.ci_low < 0.7 < r.ci_high and r.ci_high < 1

    def test_without_an_interruption_there_is_nothing_to_estimate(self):
        assert its.interrupted_time_series([3] * 30, [0] * 30) is None


class TestGiStar:
    def test_gi_star_by_hand(self):
        z = hotspots.gi_star(
            np.array([0.0, 0.0, 0.0, 4.0]),
            [np.array([0, 1]), np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([2, 3])],
        )
        assert z[3] == pytest.approx(1.0)
        assert z[0] == pytest.approx(-1.0)

    def test_a_cluster_of_points_is_a_hot_cell(self):
        import h3

        centre = (-8.05, 111.71)  # Trenggalek town
        points = [centre] * 30 + [(-8.2, 111.5), (-8.3, 111.6), (-8.1, 111.9)]
        counts = hotspots.cells_of(points, 8)
        cells = hotspots.hotspots(dict(counts), k=1, pad=2)
        assert cells[0].cell == h3.latlng_to_cell(*centre, 8)
        assert cells[0].kind == "hot"
        assert not any(c.kind == "hot" for c in cells if c.count == 1)


class TestParticipationAssociation:
    def test_a_planted_attendance_effect_is_recovered(self):
        from jaga.analytics.participation import association

        rng = np.random.default_rng(12)
        n = 150
        attendance = rng.uniform(20, 95, size=n)
        exposure = rng.integers(2_000, 12_000, size=n) * 12.0
        rate = 4e-4 * 0.85 ** (attendance / 10)
        incidents = rng.poisson(exposure * rate).astype(float)
        a = association(incidents, exposure, attendance)
        assert a is not None
        assert a["ci_low"] < 0.85 < a["ci_high"] and a["ci_high"] < 1
        assert a["spearman_rho"] < 0

    def test_no_association_without_spread(self):
        from jaga.analytics.participation import association

        assert association(np.ones(10), np.ones(10) * 100, np.full(10, 50.0)) is None


def test_a_few_scattered_counts_give_no_trend_instead_of_an_overflow():
    from jaga.analytics.stats.trend import glm_trend

    # One old month and a handful of recent ones: some month dummies see only zeros and the
    # fit diverges; it used to raise OverflowError ("math range error") on the dashboard.
    y = [0] * 25 + [2, 0, 0, 0, 0, 2, 1, 1, 0, 0, 0]
    assert glm_trend(y, first_month=3, population=20_000.0) is None
    # A real series still gets its fit.
    assert glm_trend([3, 4, 2, 5, 3, 4] * 6, first_month=1) is not None


class TestPreTrendPower:
    """Issue 11: the straight-line pre-trend test catches a steady drift the joint test misses."""

    def test_a_one_percent_monthly_drift_is_caught(self):
        from bench.calibration_evaluation import panel

        rng = np.random.default_rng(11)
        caught = 0
        for _ in range(5):
            y, cohort, _, _ = panel(rng, trend=0.01)
            r = did.callaway_santanna(y, cohort, min_e=-12, max_e=24)
            assert r.pre_slope is not None and r.pre_slope_se is not None
            caught += did.pre_trend_rejects(r.pre_trend_p, r.pre_slope_p)
        assert caught >= 4

    def test_the_slope_is_the_least_squares_line_through_the_levels(self):
        # One cohort adopting in month 6 of 8, a drift of exactly 0.5 a month in its levels and
        # none in the comparison: the line through the pre-adoption levels has slope 0.5.
        n, periods = 40, 8
        rng = np.random.default_rng(3)
        y = np.tile(rng.normal(5, 1, size=(n, 1)), (1, periods))
        cohort = np.full(n, -1)
        cohort[:20] = 6
        y[:20] += 0.5 * np.arange(periods)
        y += rng.normal(0, 1e-6, size=y.shape)
        r = did.callaway_santanna(y, cohort)
        assert r.pre_slope == pytest.approx(0.5, abs=1e-4)
        assert r.pre_slope_p is not None and r.pre_slope_p < 1e-6

    def test_a_drift_is_caught_in_a_small_regency_whose_register_starts_late(self):
        # 157 villages (a real regency's size) and six months fewer history: the line through the
        # event-study points caught about 58% of these; every month before adoption catches ~95%.
        from bench.calibration_evaluation import panel

        rng = np.random.default_rng(21)
        caught = 0
        for _ in range(20):
            y, cohort, _, _ = panel(rng, trend=0.01, n_villages=157)
            y, cohort = y[:, 6:], np.where(cohort > 0, cohort - 6, cohort)
            r = did.callaway_santanna(y, cohort, min_e=-12, max_e=24)
            caught += did.pre_trend_rejects(r.pre_trend_p, r.pre_slope_p)
        assert caught >= 17

    def test_without_a_drift_the_slope_test_rejects_at_its_level(self):
        from bench.calibration_evaluation import panel

        rng = np.random.default_rng(22)
        rejected = 0
        for _ in range(60):
            y, cohort, _, _ = panel(rng, n_villages=157)
            _, _, p = did._linear_pre_trend(y, cohort)
            assert p is not None
            rejected += p < 0.025
        assert rejected <= 5  # 2.5% of 60 is 1.5; 5 or more would be a size over 7%

    def test_the_slope_is_the_fixed_effects_regression_on_untreated_months(self):
        import statsmodels.api as sm

        rng = np.random.default_rng(5)
        n, periods = 30, 10
        y = rng.poisson(3.0, size=(n, periods)).astype(float)
        cohort = np.full(n, -1)
        cohort[:8], cohort[8:16] = 4, 7
        slope, se, p = did._linear_pre_trend(y, cohort)
        rows = [(i, t) for i in range(n) for t in range(periods) if cohort[i] < 0 or t < cohort[i]]
        units = np.array([i for i, _ in rows])
        months = np.array([t for _, t in rows])
        design = np.column_stack(
            [np.where(cohort[units] > 0, months, 0)]
            + [(units == i).astype(float) for i in range(n)]
            + [(months == t).astype(float) for t in range(1, periods)]
        )
        fit = sm.OLS(y[units, months], design).fit(
            cov_type="cluster", cov_kwds={"groups": units, "use_correction": False}
        )
        assert slope == pytest.approx(fit.params[0], abs=1e-8)
        assert se == pytest.approx(fit.bse[0] * math.sqrt(n / (n - 1)), rel=1e-6)
        assert p is not None and 0 < p < 1

    def test_without_villages_that_never_adopt_there_is_no_slope_test(self):
        y = np.random.default_rng(1).poisson(3.0, size=(20, 12)).astype(float)
        cohort = np.array([4] * 10 + [8] * 10)
        assert did._linear_pre_trend(y, cohort) == (None, None, None)

    def test_the_rule_never_passes_when_either_test_rejects(self):
        assert did.pre_trend_rejects(0.01, 0.9)
        assert did.pre_trend_rejects(0.9, 0.01)
        assert not did.pre_trend_rejects(0.04, 0.04)  # each at 2.5% (Bonferroni)
        assert not did.pre_trend_rejects(None, None)

    def test_breakdown_is_the_bound_over_the_drift_it_would_take(self):
        y, cohort = staggered_panel(effect=-1.5)
        r = did.callaway_santanna(y, cohort)
        assert r.breakdown is not None and r.max_pre_drift and r.post_months_weight
        # At the breakdown drift, the bias d * k moves the nearer bound (the upper) to zero.
        d = r.breakdown * r.max_pre_drift
        assert r.ci_high + d * r.post_months_weight == pytest.approx(0, abs=1e-9)
        y, cohort = staggered_panel(effect=0.0, seed=8)
        assert did.callaway_santanna(y, cohort).breakdown is None
