"""Benchmark of small-count suppression on a regency-sized table (no database needed).

`python -m bench.portal_suppression`: 157 villages in 14 districts, 4 groups plus totals, counts
drawn from a Poisson distribution at three levels; prints the time `protect` takes, how many
cells are published or withheld (small or to protect a small one), and checks with the
integer-programming attacker that no withheld small count is shown to be small.
"""

from __future__ import annotations

import random
import time

import numpy as np

from jaga.reports import suppression

DISTRICTS, VILLAGES_PER_DISTRICT, GROUPS = 14, 11, 4


def table(mean: float, seed: int = 1) -> tuple[dict, list]:
    rng = np.random.default_rng(seed)
    values: dict = {}
    constraints: list = []
    for d in range(DISTRICTS):
        for v in range(VILLAGES_PER_DISTRICT):
            for g in range(GROUPS):
                values[(f"{d}.{v}", g)] = int(rng.poisson(mean))
    for d in range(DISTRICTS):
        for g in range(GROUPS):
            values[(f"{d}", g)] = sum(values[(f"{d}.{v}", g)] for v in range(VILLAGES_PER_DISTRICT))
    for g in range(GROUPS):
        values[("R", g)] = sum(values[(f"{d}", g)] for d in range(DISTRICTS))
    for node in {k[0] for k in values}:
        values[(node, "t")] = sum(values[(node, g)] for g in range(GROUPS))
        constraints.append(((node, "t"), [(node, g) for g in range(GROUPS)]))
    for col in [*range(GROUPS), "t"]:
        for d in range(DISTRICTS):
            constraints.append(
                ((f"{d}", col), [(f"{d}.{v}", col) for v in range(VILLAGES_PER_DISTRICT)])
            )
        constraints.append((("R", col), [(f"{d}", col) for d in range(DISTRICTS)]))
    return values, constraints


def main() -> None:
    random.seed(1)
    print(f"{'mean':>6} {'cells':>6} {'shown':>6} {'small':>6} {'extra':>6} {'seconds':>8} exposed")
    for mean in (0.3, 1.0, 3.0):
        values, constraints = table(mean)
        start = time.perf_counter()
        status = suppression.protect(values, constraints)
        took = time.perf_counter() - start
        counts = {
            s: sum(1 for v in status.values() if v == s)
            for s in ("shown", "primary", "complementary")
        }
        leaks = suppression.exposed(values, status, constraints)
        print(
            f"{mean:>6} {len(values):>6} {counts['shown']:>6} {counts['primary']:>6} "
            f"{counts['complementary']:>6} {took:>8.2f} {len(leaks)}"
        )


if __name__ == "__main__":
    main()
