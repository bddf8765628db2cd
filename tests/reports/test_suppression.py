"""Small-count suppression: "<3" for small counts, and no "<3" recovered by subtraction."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from jaga.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SHOWN,
    attack,
    determined_by_subtraction,
    exposed,
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


def exact_range(values, status, constraints, key, threshold=3):
    """The true attacker: integer programming over every published figure (MILP, HiGHS)."""
    hidden = [k for k in values if status[k] != SHOWN]
    index = {k: i for i, k in enumerate(hidden)}
    lo = [0 if status[k] == PRIMARY else threshold for k in hidden]
    hi = [threshold - 1 if status[k] == PRIMARY else 10**6 for k in hidden]
    rows, rhs = [], []
    for total, parts in constraints:
        row = np.zeros(len(hidden))
        known = 0
        for cell, coef in [(total, -1)] + [(p, 1) for p in parts]:
            if cell in index:
                row[index[cell]] += coef
            else:
                known += coef * values[cell]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    c = np.zeros(len(hidden))
    c[index[key]] = 1
    bounds = Bounds(lo, hi)
    cons = LinearConstraint(np.array(rows), rhs, rhs) if rows else ()
    ints = np.ones(len(hidden))
    low = milp(c, constraints=cons, bounds=bounds, integrality=ints)
    high = milp(-c, constraints=cons, bounds=bounds, integrality=ints)
    return round(low.fun), round(-high.fun)


def test_small_counts_are_shown_as_less_than_three():
    assert public_value(2, PRIMARY) == "<3"
    assert public_value(0, PRIMARY) == "<3"
    assert public_value(3, SHOWN) == 3
    assert public_value(7, COMPLEMENTARY) == "x"


def test_a_lone_small_cell_cannot_be_recovered_from_the_total():
    # Row: 5 + 1 + 7 = 13. Publishing 13, 5 and 7 would give the 1 away.
    values = {"a": 5, "b": 1, "c": 7, "t": 13}
    constraints = [("t", ["a", "b", "c"])]
    shown = publish(values, constraints)
    assert shown["b"] == "<3"
    assert shown["a"] == "x"  # the smallest other cell is withheld with it
    assert shown["c"] == 7 and shown["t"] == 13
    # the attacker's subtraction: 13 - 7 = 6 = a + b, which fits b = 0, 1 or 2.
    status = protect(values, constraints)
    assert exposed(values, status, constraints) == []


def test_withholding_a_three_beside_a_zero_is_not_enough():
    # t = 3 + 0 + 9 = 12: hiding (3, 0) leaves a + b = 3 with a ≥ 3, so b = 0: exposed.
    values = {"a": 3, "b": 0, "c": 9, "t": 12}
    constraints = [("t", ["a", "b", "c"])]
    status = protect(values, constraints)
    assert status["c"] != SHOWN or status["t"] != SHOWN
    assert exposed(values, status, constraints) == []
    low, high = exact_range(values, status, constraints, "b")
    assert low < high


def test_two_small_cells_summing_to_zero_are_both_recoverable_unless_protected():
    values = {"a": 0, "b": 0, "c": 9, "t": 9}
    constraints = [("t", ["a", "b", "c"])]
    status = protect(values, constraints)
    for key in ("a", "b"):
        low, high = exact_range(values, status, constraints, key)
        assert low < high


def test_a_hierarchy_with_a_single_small_village_is_protected():
    counts = [[[5, 4], [1, 6], [8, 3]], [[9, 9], [7, 4]]]
    values, constraints = hierarchy(counts)
    status = protect(values, constraints)
    assert status[("0.1", 0)] == PRIMARY
    low, high = exact_range(values, status, constraints, ("0.1", 0))
    assert low < high


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_no_small_count_can_be_recovered_by_any_combination_of_totals(counts):
    values, constraints = hierarchy(counts)
    status = protect(values, constraints)
    # Even with every figure withheld, "<3" and "x" (so at least 3) can pin a cell when all of a
    # table is tiny (three groups of "<3" adding up to 6); no publication can help that case.
    everything_hidden = {k: (PRIMARY if v < 3 else COMPLEMENTARY) for k, v in values.items()}
    linear = determined_by_subtraction(status, constraints)
    bounds = attack(values, status, constraints)
    for key, state in status.items():
        if values[key] < 3:
            assert state == PRIMARY
        if state == PRIMARY:
            # No combination of published figures (subtraction across totals) gives it.
            assert key not in linear
            # Nor does combining them with the ranges "<3" and "x" say, as far as bound
            # propagation reaches (unless every figure withheld would pin it too).
            low, high = bounds[key]
            if low == high:
                assert exact_range(values, everything_hidden, constraints, key) == (low, high)
