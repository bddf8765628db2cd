"""The IKM arithmetic of PermenPANRB 14/2017 and the Krejcie–Morgan sample sizes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jaga.surveys import ikm

CODES = [f"u{i}" for i in range(1, 10)]


def test_a_worked_example_of_ten_respondents():
    # Ten questionnaires; the element sums give NRR 3.2, 3.1, 3.0, 3.5, 3.3, 3.4, 3.6, 2.9, 3.1.
    sums = dict(zip(CODES, [32, 31, 30, 35, 33, 34, 36, 29, 31], strict=True))
    result = ikm.compute(10, sums)
    assert result.nrr["u4"] == Decimal("3.5000")
    assert result.nrr["u8"] == Decimal("2.9000")
    # IKM = Σ NRR / 9 = 29.1 / 9 = 3.2333…; × 25 = 80.8333… → 80.83, grade B (76.61–88.30).
    assert result.ikm == Decimal("3.2333")
    assert result.converted == Decimal("80.83")
    assert result.grade == "B"


def test_rows_give_the_same_result_as_sums():
    rows = [dict.fromkeys(CODES, 4), dict.fromkeys(CODES, 3), dict.fromkeys(CODES, 2)]
    result = ikm.compute_from_rows(rows)
    assert result.respondents == 3
    assert result.converted == Decimal("75.00")  # mean 3 → 75: grade C
    assert result.grade == "C"


def test_other_weights_that_sum_to_one_are_allowed():
    weights = {c: Decimal("0.1") for c in CODES[:8]} | {"u9": Decimal("0.2")}
    sums = dict.fromkeys(CODES, 30) | {"u9": 40}
    result = ikm.compute(10, sums, weights)
    # 0.8 × 3 + 0.2 × 4 = 3.2 → 80.00
    assert result.converted == Decimal("80.00")


def test_weights_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError):
        ikm.compute(1, dict.fromkeys(CODES, 3), dict.fromkeys(CODES, Decimal("0.2")))


@pytest.mark.parametrize(
    ("converted", "grade"),
    [
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("88.305", "A"),  # published with two decimals: 88.31
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ],
)
def test_the_bands_at_their_edges(converted, grade):
    assert ikm.grade_of(Decimal(converted)) == grade


def test_extreme_answers_give_the_ends_of_the_scale():
    assert ikm.compute(5, dict.fromkeys(CODES, 20)).converted == Decimal("100.00")
    assert ikm.compute(5, dict.fromkeys(CODES, 5)).grade == "D"
    assert ikm.compute(0, dict.fromkeys(CODES, 0)) is None


@pytest.mark.parametrize(
    ("population", "sample"),
    [
        (10, 10),
        (50, 44),
        (100, 80),
        (200, 132),
        (500, 217),
        (1000, 278),
        (5000, 357),
        (10000, 370),
        (75000, 382),
        (1000000, 384),
        (0, 0),
    ],
)
def test_sample_sizes_follow_the_krejcie_morgan_table(population, sample):
    assert ikm.krejcie_morgan(population) == sample
