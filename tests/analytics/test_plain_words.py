"""The statistics said in words: one plain sentence first, the figures one click away."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from jaga.analytics import plain
from jaga.analytics.stats.trend import MannKendall, TrendFit
from jaga.core.months import add_months

TECHNICAL = ("ATT", "Callaway", "Mann-Kendall", "Gi*", "p =", "p=", "CUSUM", "rasio laju")


def _fit(direction: str, rr: float) -> TrendFit:
    mk = MannKendall(0, 1.0, 0.0, 0.004, 0.0, 0.0, "decreasing")
    return TrendFit("poisson", rr, rr - 0.05, rr + 0.05, 0.001, 1.0, 36, direction, mk, [])


def _effect(att: float, lo: float, hi: float, pct: float | None, treated: int = 12) -> dict:
    return {
        "att": att,
        "ci_low": lo,
        "ci_high": hi,
        "att_pct": pct,
        "n_treated": treated,
        "n_control": 30,
    }


def test_an_effect_reads_as_a_rounded_percentage_of_villages() -> None:
    with translation.override("id"):
        text = plain.effect_in_words(_effect(-0.31, -0.5, -0.1, -21.9), "KTS")
    assert text.startswith("Desa dengan program KTS mengalami sekitar 22% lebih sedikit gangguan")
    assert "12 desa dengan program" in text and "30 desa tidak pernah ikut" in text
    assert not any(t in text for t in TECHNICAL)


def test_an_effect_within_chance_says_so_and_counts_one_village_as_one() -> None:
    with translation.override("en"):
        text = plain.effect_in_words(_effect(0.1, -0.2, 0.4, 5.0, treated=1), "KTS")
    assert "cannot yet tell" in text and "1 village with the programme" in text
    assert "1 villages" not in text


def test_more_disturbances_without_a_percentage_are_per_village() -> None:
    with translation.override("en"):
        text = plain.effect_in_words(_effect(0.456, 0.2, 0.7, None), "Jumat Curhat")
    assert "about 0.46 more disturbances per village each month" in text


@pytest.mark.parametrize(
    ("direction", "rr", "expected"),
    [
        ("falling", 0.781, "menurun: sekitar 22% lebih sedikit setiap tahun"),
        ("rising", 1.25, "meningkat: sekitar 25% lebih banyak setiap tahun"),
        ("flat", 1.02, "tidak jelas naik atau turun"),
    ],
)
def test_a_trend_in_words(direction: str, rr: float, expected: str) -> None:
    with translation.override("id"):
        text = plain.trend_in_words(_fit(direction, rr), "Kecamatan Trenggalek")
    assert text.startswith("Gangguan di Kecamatan Trenggalek")
    assert expected in text
    assert not any(t in text for t in TECHNICAL)


def test_hotspots_and_alarms_in_words() -> None:
    hot = [
        {"village_name": "Tamanan", "count": 9, "z": 3.1},
        {"village_name": "Ngares", "count": 12, "z": 4.2},
    ]
    with translation.override("id"):
        assert "yang paling menonjol Ngares, dengan 12 kejadian" in plain.hotspots_in_words(hot, 8)
        assert "Tidak ada tempat" in plain.hotspots_in_words([], 8)
        alarms = [
            {"village_code": "1", "ongoing": True},
            {"village_code": "1", "ongoing": True},
            {"village_code": "2", "ongoing": False},
        ]
        assert plain.alarms_in_words(alarms).startswith("Di 1 desa")
        assert "semua desa" in plain.alarms_in_words(alarms[2:])


def test_the_dashboard_leads_with_words_and_folds_the_statistics(
    frozen: Any, village_a: Any, leader_client: Client
) -> None:
    from tests.analytics.conftest import LAST_MONTH, put_count

    for i in range(36):  # three years of steadily falling thefts
        put_count(village_a, add_months(LAST_MONTH, -i), "pencurian", 2 + i // 3)
    html = leader_client.get("/analitik/?territory=35.03&month=2026-10").content.decode()
    trend = html[html.index("Gangguan di Kabupaten Trenggalek menurun") :]
    assert trend.index("Rincian statistik") < trend.index("Mann-Kendall:")
    assert "Mann-Kendall</th>" not in html  # the column is named "Arah" (direction)


def test_hotspots_count_all_hot_places_not_only_the_listed_ones() -> None:
    hot = [{"village_name": "Tamanan", "count": 9, "z": 3.1}]
    with translation.override("en"):
        assert plain.hotspots_in_words(hot, 8, total=23).startswith("23 places")


def test_a_rejected_pre_trend_is_never_called_support():
    from jaga.analytics.evaluation import statement

    did = {"att": -1.0, "ci_low": -1.5, "ci_high": -0.5, "min_cohort_size": 10,
           "pre_trend_p": 0.6, "pre_slope_p": 0.001, "breakdown": 0.4}  # fmt: skip
    with translation.override("en"):
        s = statement(did, None)
        assert "doubtful" in s["pre_trend"] and "supports" not in s["pre_trend"]
        assert "fragile" in s["sensitivity"]
        lead = plain.effect_in_words({**did, "att_pct": -20.0, "n_treated": 5, "n_control": 9,
                                "n_never": 4}, "KTS")  # fmt: skip
        assert "doubtful" in lead and "4 villages never took part" in lead
        ok = statement({**did, "pre_slope_p": 0.5, "breakdown": 2.26}, None)
        assert "supports" in ok["pre_trend"] and "2.3 times" in ok["sensitivity"]
