"""Small-count suppression: one mark for every withheld cell, and no small count that an
integer program over the published figures can show to be small, let alone recover."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.reports import suppression
from jaga.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SHOWN,
    exposed,
    feasible_range,
    protect,
    public_value,
    publish,
)


def hierarchy(counts: list[list[list[int]]]):
    """A regency of districts of villages, each with per-group counts, plus every total."""
    values: dict = {}
    constraints: list = []
    groups = len(counts[0][0])
    for d, district in enumerate(counts):
        for v, village in enumerate(district):
            for g, n in enumerate(village):
                values[(f"{d}.{v}", g)] = n
    for d, district in enumerate(counts):
        for g in range(groups):
            values[(f"{d}", g)] = sum(village[g] for village in district)
    for g in range(groups):
        values[("R", g)] = sum(values[(f"{d}", g)] for d in range(len(counts)))
    nodes = {k[0] for k in values}
    for node in nodes:
        values[(node, "all")] = sum(values[(node, g)] for g in range(groups))
        constraints.append(((node, "all"), [(node, g) for g in range(groups)]))
    for column in [*range(groups), "all"]:
        for d, district in enumerate(counts):
            constraints.append(
                ((f"{d}", column), [(f"{d}.{v}", column) for v in range(len(district))])
            )
        constraints.append((("R", column), [(f"{d}", column) for d in range(len(counts))]))
    return values, constraints


def max_of(values, status, constraints, key):
    published = {k: (v if status[k] == SHOWN else None) for k, v in values.items()}
    return feasible_range(published, constraints, [key])[key]


def test_every_withheld_cell_carries_the_same_mark():
    assert public_value(2, PRIMARY) == "x"
    assert public_value(0, PRIMARY) == "x"
    assert public_value(7, COMPLEMENTARY) == "x"
    assert public_value(3, SHOWN) == 3


def test_a_lone_small_cell_cannot_be_recovered_from_the_total():
    # Row: 5 + 1 + 7 = 13. Publishing 13, 5 and 7 would give the 1 away.
    values = {"a": 5, "b": 1, "c": 7, "t": 13}
    constraints = [("t", ["a", "b", "c"])]
    shown = publish(values, constraints)
    assert shown["b"] == "x"
    assert list(shown.values()).count("x") == 2  # one more cell withheld with it
    low, high = max_of(values, protect(values, constraints), constraints, "b")
    assert low < 1 < 3 <= high


def test_withholding_a_three_beside_a_zero_is_enough_when_the_mark_says_nothing():
    # t = 3 + 0 + 9 = 12: withholding (3, 0) leaves a + b = 3: b may be 0…3.
    values = {"a": 3, "b": 0, "c": 9, "t": 12}
    constraints = [("t", ["a", "b", "c"])]
    status = protect(values, constraints)
    assert exposed(values, status, constraints) == []
    assert max_of(values, status, constraints, "b")[1] >= 3


def test_two_small_cells_summing_to_zero_are_protected():
    values = {"a": 0, "b": 0, "c": 9, "t": 9}
    constraints = [("t", ["a", "b", "c"])]
    status = protect(values, constraints)
    for key in ("a", "b"):
        low, high = max_of(values, status, constraints, key)
        assert low == 0 and high >= 3


def test_a_hierarchy_with_a_single_small_village_is_protected():
    counts = [[[5, 4], [1, 6], [8, 3]], [[9, 9], [7, 4]]]
    values, constraints = hierarchy(counts)
    status = protect(values, constraints)
    assert status[("0.1", 0)] == PRIMARY
    assert exposed(values, status, constraints) == []
    # and most of the table is still published
    assert sum(s == SHOWN for s in status.values()) > len(values) / 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_no_small_count_is_shown_to_be_small_by_any_integer_program(counts):
    values, constraints = hierarchy(counts)
    status = protect(values, constraints)
    for key, state in status.items():
        if values[key] < 3:
            assert state == PRIMARY
    assert exposed(values, status, constraints) == []


def test_numerical_trouble_withholds_the_whole_table():
    values = {"a": 5, "b": 1, "c": 7, "t": 13}
    constraints = [("t", ["a", "b", "c"])]
    with mock.patch.object(suppression, "milp", side_effect=np.linalg.LinAlgError("SVD")):
        status = protect(values, constraints)
    assert all(s != SHOWN for s in status.values())
    # a spent time budget too
    assert all(s != SHOWN for s in protect(values, constraints, budget=0).values())


def test_a_certificate_from_the_solver_is_checked_not_trusted():
    values = {"a": 5, "b": 1, "c": 7, "t": 13}
    constraints = [("t", ["a", "b", "c"])]

    class Lying:
        x = np.array([5.0, 3.0, 7.0, 13.0, 0, 0, 0, 0, 0, 0])  # 5 + 3 + 7 ≠ 13
        message = "ok"

    with mock.patch.object(suppression, "milp", return_value=Lying()):
        status = protect(values, constraints)
    assert all(s != SHOWN for s in status.values())


def test_inconsistent_totals_withhold_everything():
    values = {"a": 5, "b": 1, "t": 9}
    assert all(s != SHOWN for s in protect(values, [("t", ["a", "b"])]).values())
