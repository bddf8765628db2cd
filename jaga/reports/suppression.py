"""Small-count suppression for every figure the public sees (portal pages, downloads, API).

The rule (docs/portal.md says the same for readers):

* Every count below the threshold T (3) is withheld (primary suppression), and so are as few
  other cells as needed (complementary suppression) so that the published figures of a table
  cannot be used to show that a withheld cell is small.
* Every withheld cell is published with the same mark, "x": a reader cannot tell a withheld
  small count from a withheld large one, so the mark itself says nothing about the value.
* Guarantee: for every withheld cell whose true count is below T, there is a whole-number,
  non-negative filling of all withheld cells that agrees with *every* published figure (all
  totals and margins of the table) and puts that cell at T or more. The attacker's integer
  program therefore finds a feasible interval whose maximum is at least T: the cell is neither
  recoverable exactly nor known to be small. Knowledge that only gives lower bounds (e.g. Open311
  requests that may have become incidents) cannot lower a maximum, so it cannot break this.

How: for each small cell that no certificate covers yet, an integer program (HiGHS through
`scipy.optimize.milp`) looks for a filling with that cell at T or more that changes the fewest
published figures; the figures it had to change are withheld too, and the filling is kept as
the cell's certificate (checked in exact integer arithmetic, not trusted from the solver).
Withholding more only enlarges the set of fillings, so every certificate stays valid as the
table shrinks. Any numerical trouble (a solver failure, a certificate that does not check, the
time budget spent) withholds the whole table: when in doubt, nothing is published.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

THRESHOLD = 3
WITHHELD = "x"  # the mark of every withheld cell
BELOW = "<"  # the mark of a band below a threshold: "<10" (survey respondents)

SHOWN = "shown"
PRIMARY = "primary"
COMPLEMENTARY = "complementary"

TIME_BUDGET = 60.0  # seconds for one table; then everything is withheld
SOLVE_LIMIT = 10.0  # seconds for one integer program
KEEP_WEIGHT = 10_000.0  # the cost of touching a figure that is already public
_CAP = 10**7

Constraint = tuple[Hashable, Sequence[Hashable]]


class SuppressionError(Exception):
    """The solver could not settle a table: the caller withholds all of it."""


def public_value(value: int, status: str, threshold: int = THRESHOLD) -> int | str:
    """What the public may see of a cell: the number, or "x" (withheld, whatever its size)."""
    return value if status == SHOWN else WITHHELD


def is_public_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def below(threshold: int) -> str:
    """The band published for a number under `threshold` instead of the number ("<10")."""
    return f"{BELOW}{threshold}"


def is_suppressed(value: Any) -> bool:
    """Whether a published cell is a mark instead of a figure: withheld (None before it is
    marked, or "x") or a band below a threshold ("<10"). Pages style these cells apart."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    return value == WITHHELD or (value.startswith(BELOW) and value[len(BELOW) :].isdigit())


def marked(value: Any) -> Any:
    """A cell as the public sees it: a withheld cell held as None gets the withheld mark."""
    return WITHHELD if value is None else value


class _System:
    """The table as sparse equations A·x = 0 over all cells (each constraint: parts − total)."""

    def __init__(self, values: Mapping[Hashable, int], constraints: Sequence[Constraint]):
        self.keys = list(values)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.values = np.array([int(values[k]) for k in self.keys], dtype=np.int64)
        rows, cols, data = [], [], []
        for r, (total, parts) in enumerate(constraints):
            entries: dict[int, int] = {}
            for cell, coef in [(total, -1), *((p, 1) for p in parts)]:
                i = self.index[cell]
                entries[i] = entries.get(i, 0) + coef
            for i, c in entries.items():
                if c:
                    rows.append(r)
                    cols.append(i)
                    data.append(c)
        self.matrix = sparse.csr_matrix(
            (data, (rows, cols)), shape=(len(constraints), len(self.keys)), dtype=np.int64
        )
        if np.any(self.matrix @ self.values):
            raise SuppressionError("the values do not satisfy their own totals")

    def check(self, x: np.ndarray, shown: np.ndarray) -> bool:
        """A filling is a certificate: whole, non-negative, every total holds, shown cells kept."""
        return bool(
            np.all(x >= 0)
            and not np.any(self.matrix @ x)
            and np.array_equal(x[shown], self.values[shown])
        )


def _solve(c: np.ndarray, constraints: list[LinearConstraint], lo, hi, integrality, limit):  # type: ignore[no-untyped-def]
    result = milp(
        c,
        constraints=constraints,
        bounds=Bounds(lo, hi),
        integrality=integrality,
        options={"time_limit": limit, "presolve": True},
    )
    if result.x is None:
        raise SuppressionError(f"no solution ({result.message})")
    return result.x


def _raise_cell(
    system: _System,
    shown: np.ndarray,
    target: int,
    threshold: int,
    weights: np.ndarray,
    limit: float,
) -> np.ndarray:
    """A filling with cell `target` ≥ threshold that changes the fewest (weighted) published
    cells: x = v + up − down on the published cells, x free (≥ 0) on the withheld ones."""
    n = len(system.keys)
    s_idx = np.flatnonzero(shown)
    m = len(s_idx)
    # variables: x (n, integer), up (m), down (m)
    c = np.concatenate([np.zeros(n), weights[s_idx], weights[s_idx]])
    a_eq = sparse.hstack(
        [system.matrix.astype(float), sparse.csr_matrix((system.matrix.shape[0], 2 * m))]
    )
    pick = sparse.csr_matrix((np.ones(m), (np.arange(m), s_idx)), shape=(m, n))
    eye = sparse.identity(m, format="csr")
    a_shown = sparse.hstack([pick, -eye, eye])
    lo = np.zeros(n + 2 * m)
    lo[target] = threshold
    hi = np.full(n + 2 * m, np.inf)
    integrality = np.concatenate([np.ones(n), np.zeros(2 * m)])
    cons = [LinearConstraint(a_shown, system.values[s_idx], system.values[s_idx])]
    if a_eq.shape[0]:
        cons.append(LinearConstraint(a_eq, 0, 0))
    x = _solve(c, cons, lo, hi, integrality, limit)
    solution: np.ndarray = np.rint(x[:n]).astype(np.int64)
    return solution


def _certify_many(
    system: _System, shown: np.ndarray, pending: list[int], threshold: int, limit: float
) -> np.ndarray | None:
    """One filling that lifts as many pending cells to the threshold as it can (published
    cells fixed): max Σ y, y ≤ x, y ≤ T."""
    n, p = len(system.keys), len(pending)
    c = np.concatenate([np.zeros(n), -np.ones(p)])
    lift = sparse.hstack(
        [
            sparse.csr_matrix((np.ones(p), (np.arange(p), pending)), shape=(p, n)),
            -sparse.identity(p, format="csr"),
        ]
    )
    cons = [LinearConstraint(lift, 0, np.inf)]
    if system.matrix.shape[0]:
        cons.append(
            LinearConstraint(
                sparse.hstack(
                    [system.matrix.astype(float), sparse.csr_matrix((system.matrix.shape[0], p))]
                ),
                0,
                0,
            )
        )
    lo = np.zeros(n + p)
    hi = np.concatenate([np.full(n, np.inf), np.full(p, float(threshold))])
    lo[:n][shown] = system.values[shown]
    hi[:n][shown] = system.values[shown]
    integrality = np.concatenate([np.ones(n), np.zeros(p)])
    try:
        x = _solve(c, cons, lo, hi, integrality, limit)
    except SuppressionError:
        return None
    solution: np.ndarray = np.rint(x[:n]).astype(np.int64)
    return solution


def protect(
    values: Mapping[Hashable, int],
    constraints: Iterable[Constraint],
    threshold: int = THRESHOLD,
    weights: Mapping[Hashable, float] | None = None,
    budget: float = TIME_BUDGET,
    withheld: Collection[Hashable] = (),
    keep: Collection[Hashable] = (),
) -> dict[Hashable, str]:
    """The status of every cell (shown, primary or complementary) under the rule above.

    `weights`: the cost of withholding a published cell (totals cost more, so the reader keeps
    them where possible); 1 by default. Never raises: on any trouble every cell is withheld.

    `withheld` and `keep` protect a new table together with figures published before: the
    earlier withheld cells start withheld (their small ones need certificates in the joint
    program too), the earlier published ones (`keep`) are costly to touch. A `keep` cell that
    would have to be withheld cannot be taken back: the caller then withholds all new cells.
    """
    constraints = [(t, list(p)) for t, p in constraints]
    status: dict[Hashable, str] = {}
    started = time.monotonic()
    held = set(withheld)
    kept = set(keep)
    cost = dict(weights or {})
    for k in kept:
        cost[k] = KEEP_WEIGHT
    for cells, rows in _components(values, constraints):
        part = {k: values[k] for k in cells}
        try:
            remaining = budget - (time.monotonic() - started)
            status.update(
                _protect(part, rows, threshold, cost, remaining, {k for k in cells if k in held})
            )
        except Exception:  # noqa: BLE001 — numerical trouble of any kind: withhold it all
            status.update(withhold_all(part, threshold))
    return status


def _components(
    values: Mapping[Hashable, int], constraints: list[Constraint]
) -> list[tuple[list[Hashable], list[Constraint]]]:
    """Cells tied together by constraints, with their constraints: protected one by one."""
    parent = {k: k for k in values}

    def find(k: Hashable) -> Hashable:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for total, parts in constraints:
        root = find(total)
        for p in parts:
            other = find(p)
            if other != root:
                parent[other] = root
    cells: dict[Hashable, list[Hashable]] = {}
    for k in values:
        cells.setdefault(find(k), []).append(k)
    rows: dict[Hashable, list[Constraint]] = {}
    for total, parts in constraints:
        rows.setdefault(find(total), []).append((total, parts))
    return [(members, rows.get(root, [])) for root, members in cells.items()]


def withhold_all(values: Mapping[Hashable, int], threshold: int = THRESHOLD) -> dict[Hashable, str]:
    return {k: (PRIMARY if v < threshold else COMPLEMENTARY) for k, v in values.items()}


def _protect(
    values: Mapping[Hashable, int],
    constraints: list[Constraint],
    threshold: int,
    weights: Mapping[Hashable, float],
    budget: float,
    withheld: Collection[Hashable] = (),
) -> dict[Hashable, str]:
    started = time.monotonic()
    system = _System(values, constraints)
    small = system.values < threshold
    shown = ~small
    for k in withheld:
        shown[system.index[k]] = False
    w = np.array([float(weights.get(k, 1.0)) for k in system.keys])
    pending = [int(i) for i in np.flatnonzero(small)]
    certified = np.zeros(len(system.keys), dtype=bool)

    def left() -> float:
        remaining = budget - (time.monotonic() - started)
        if remaining <= 0:
            raise SuppressionError("time budget spent")
        return min(SOLVE_LIMIT, remaining)

    def take(x: np.ndarray | None) -> None:
        if x is not None and system.check(x, shown):
            certified[(x >= threshold) & small] = True

    bulk = True
    while True:
        pending = [int(i) for i in np.flatnonzero(small & ~certified)]
        if not pending:
            break
        if bulk and len(pending) > 1:
            # one filling lifts as many cells as the published totals leave room for
            before = int(certified.sum())
            take(_certify_many(system, shown, pending, threshold, left()))
            if certified.sum() > before:
                continue
        target = int(pending[0])
        x = _raise_cell(system, shown, target, threshold, w, left())
        changed = shown & (x != system.values)
        shown &= ~changed
        if not system.check(x, shown) or x[target] < threshold:
            raise SuppressionError("the solver's filling does not check")
        certified[(x >= threshold) & small] = True
        bulk = bool(changed.any())  # newly withheld cells may give room to many at once
    return {
        k: (SHOWN if shown[i] else PRIMARY if small[i] else COMPLEMENTARY)
        for i, k in enumerate(system.keys)
    }


def publish(
    values: Mapping[Hashable, int],
    constraints: Iterable[Constraint],
    threshold: int = THRESHOLD,
) -> dict[Hashable, int | str]:
    """`protect` and then the public value of every cell."""
    status = protect(values, constraints, threshold)
    return {k: public_value(v, status[k], threshold) for k, v in values.items()}


# ---- the attacker ------------------------------------------------------------------------------


def feasible_range(
    published: Mapping[Hashable, int | None],
    constraints: Sequence[Constraint],
    cells: Iterable[Hashable],
    known: Sequence[tuple[Mapping[Hashable, int], int]] = (),
    limit: float = 30.0,
    maximum_only: bool = False,
) -> dict[Hashable, tuple[float, float]]:
    """What an attacker can prove about withheld cells: their least and greatest whole,
    non-negative value given every published figure (`None` = withheld), every additive
    constraint, and extra linear facts `known` ({cell: coefficient}, value); a withheld cell
    is taken to be at most 10⁷ (a maximum of 10⁷ means "unbounded"). Used by the attacker tests; raises if the solver fails (an audit must not guess).
    """
    keys = list(published)
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    rows: list[dict[int, int]] = []
    rhs: list[int] = []
    for total, parts in constraints:
        row: dict[int, int] = {}
        for cell, coef in [(total, -1), *((p, 1) for p in parts)]:
            row[index[cell]] = row.get(index[cell], 0) + coef
        rows.append(row)
        rhs.append(0)
    for combo, value in known:
        rows.append({index[k]: c for k, c in combo.items()})
        rhs.append(value)
    lo = np.zeros(n)
    hi = np.full(n, float(_CAP))  # a cap far above any count keeps every program bounded
    for k, v in published.items():
        if v is not None:
            lo[index[k]] = hi[index[k]] = v
    matrix = sparse.csr_matrix(
        (
            [c for r in rows for c in r.values()],
            ([i for i, r in enumerate(rows) for _ in r], [j for r in rows for j in r]),
        ),
        shape=(len(rows), n),
    )
    cons = [LinearConstraint(matrix, rhs, rhs)] if rows else []
    out: dict[Hashable, tuple[float, float]] = {}
    for cell in cells:
        c = np.zeros(n)
        c[index[cell]] = 1.0
        ends = [] if not maximum_only else [0.0]
        for sign in (1.0, -1.0) if not maximum_only else (-1.0,):
            result = milp(
                sign * c,
                constraints=cons,
                bounds=Bounds(lo, hi),
                integrality=np.ones(n),
                options={"time_limit": limit},
            )
            if result.status == 0:
                ends.append(sign * result.fun)
            else:
                raise RuntimeError(f"attack solver: {result.message}")
        out[cell] = (ends[0], ends[1])
    return out


def exposed(
    values: Mapping[Hashable, int],
    status: Mapping[Hashable, str],
    constraints: Sequence[Constraint],
    threshold: int = THRESHOLD,
) -> list[Hashable]:
    """The withheld small cells the published figures show to be small (greatest feasible
    value below the threshold): an empty list is the guarantee."""
    published = {k: (v if status[k] == SHOWN else None) for k, v in values.items()}
    small = [k for k, v in values.items() if status[k] != SHOWN and v < threshold]
    ranges = feasible_range(published, constraints, small, maximum_only=True)
    return sorted((k for k in small if ranges[k][1] < threshold), key=str)
