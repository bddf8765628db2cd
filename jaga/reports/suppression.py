"""Small-count suppression for everything the public sees (portal pages, downloads, API).

Primary suppression: a count below the threshold (3) is published as "<3".
Complementary suppression: published totals must not give a "<3" back by subtraction. A table
is described as cells (any hashable key → true count) and additive constraints
(`total = sum(parts)`: a village's groups add up to its total, a district's villages add up to
the district, ...). We then play the attacker: every hidden cell gets the interval it is known
to lie in (a "<3" is 0–2; a withheld cell is at least 3), the published cells are exact, and the
intervals are tightened through every constraint until nothing changes. When a "<3" cell is
pinned to one value, one more cell of a constraint that pins it is withheld (the smallest
published one, so as little as possible is lost), and the attack is replayed.

Withheld cells are published as "x". Every public figure goes through `protect` and `public_value`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.linalg import null_space
from threadpoolctl import threadpool_limits

THRESHOLD = 3
SUPPRESSED = "<3"
WITHHELD = "x"

SHOWN = "shown"
PRIMARY = "primary"
COMPLEMENTARY = "complementary"

_UNBOUNDED = 10**12

Constraint = tuple[Hashable, Sequence[Hashable]]


def primary_text(threshold: int) -> str:
    return f"<{threshold}"


def public_value(value: int, status: str, threshold: int = THRESHOLD) -> int | str:
    """What the public may see of a cell: the number, "<3" or "x"."""
    if status == SHOWN:
        return value
    if status == PRIMARY:
        return primary_text(threshold)
    return WITHHELD


def _bounds(
    values: Mapping[Hashable, int], status: Mapping[Hashable, str], threshold: int
) -> dict[Hashable, list[int]]:
    out: dict[Hashable, list[int]] = {}
    for key, value in values.items():
        state = status[key]
        if state == SHOWN:
            out[key] = [value, value]
        elif state == PRIMARY:
            out[key] = [0, threshold - 1]
        else:
            out[key] = [threshold, _UNBOUNDED]
    return out


def attack(
    values: Mapping[Hashable, int],
    status: Mapping[Hashable, str],
    constraints: Sequence[Constraint],
    threshold: int = THRESHOLD,
    max_rounds: int = 200,
) -> dict[Hashable, list[int]]:
    """What an attacker can infer: the tightest interval of every cell by bound propagation."""
    bounds = _bounds(values, status, threshold)
    # Each constraint as Σ coefficient·cell = 0 (parts +1, total −1); only the hidden ones move.
    rows = [[(total, -1)] + [(p, 1) for p in parts] for total, parts in constraints]
    watched = [r for r in rows if any(status[k] != SHOWN for k, _ in r)]
    for _round in range(max_rounds):
        changed = False
        for row in watched:
            lo_sum = sum(c * (bounds[k][0] if c > 0 else bounds[k][1]) for k, c in row)
            hi_sum = sum(c * (bounds[k][1] if c > 0 else bounds[k][0]) for k, c in row)
            for key, coef in row:
                if status[key] == SHOWN:
                    continue
                lo, hi = bounds[key]
                own_lo = coef * (lo if coef > 0 else hi)
                own_hi = coef * (hi if coef > 0 else lo)
                rest_lo, rest_hi = lo_sum - own_lo, hi_sum - own_hi
                # coef·x = −rest  ⇒  x within [−rest_hi, −rest_lo] / coef
                if coef > 0:
                    new_lo, new_hi = -rest_hi, -rest_lo
                else:
                    new_lo, new_hi = rest_lo, rest_hi
                new_lo, new_hi = max(lo, new_lo), min(hi, new_hi)
                if (new_lo, new_hi) != (lo, hi) and new_lo <= new_hi:
                    bounds[key] = [new_lo, new_hi]
                    lo_sum += coef * ((new_lo - lo) if coef > 0 else (new_hi - hi))
                    hi_sum += coef * ((new_hi - hi) if coef > 0 else (new_lo - lo))
                    changed = True
        if not changed:
            break
    return bounds


def determined_by_subtraction(
    status: Mapping[Hashable, str],
    constraints: Sequence[Constraint],
    memo: dict[Any, Any] | None = None,
) -> set[Hashable]:
    """Hidden cells that some combination of published figures gives exactly (no bounds used).

    A hidden cell is determined when every vector of the null space of the constraints
    (restricted to the hidden cells) is zero there. Cells that appear in one remaining
    constraint only are peeled off first (they absorb any value of the others), so the dense
    null space is computed for a small core; the peeled cells' null-space rows follow by back
    substitution.
    """
    hidden = [k for k, s in status.items() if s != SHOWN]
    if not hidden:
        return set()
    index = {k: i for i, k in enumerate(hidden)}
    rows: list[dict[int, int]] = []
    for total, parts in constraints:
        row: dict[int, int] = defaultdict(int)
        for cell, coef in [(total, -1)] + [(p, 1) for p in parts]:
            if cell in index:
                row[index[cell]] += coef
        row = {i: c for i, c in row.items() if c}
        if row:
            rows.append(row)
    var_rows: dict[int, set[int]] = defaultdict(set)
    for r, row in enumerate(rows):
        for i in row:
            var_rows[i].add(r)
    active = set(range(len(rows)))
    peeled: list[tuple[int, dict[int, int]]] = []  # (cell, its row), in peeling order
    gone: set[int] = set()
    queue = [i for i in range(len(hidden)) if len(var_rows[i]) == 1]
    while queue:
        i = queue.pop()
        if i in gone or len(var_rows[i]) != 1:
            continue
        (r,) = var_rows[i]
        active.discard(r)
        gone.add(i)
        peeled.append((i, rows[r]))
        for j in rows[r]:
            var_rows[j].discard(r)
            if j not in gone and len(var_rows[j]) == 1:
                queue.append(j)
    core = [i for i in range(len(hidden)) if i not in gone and var_rows[i]]
    free = [i for i in range(len(hidden)) if i not in gone and not var_rows[i]]
    # Null-space rows: core cells from a dense null space per connected group, free cells
    # one new direction each, peeled cells by back substitution.
    parent = {i: i for i in core}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in active:
        members = list(rows[r])
        for j in members[1:]:
            parent[find(j)] = find(members[0])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in core:
        groups[find(i)].append(i)
    group_rows: dict[int, list[int]] = defaultdict(list)
    for r in active:
        group_rows[find(next(iter(rows[r])))].append(r)
    bases = []
    memo = {} if memo is None else memo
    with threadpool_limits(limits=1):
        for root, members in groups.items():
            members.sort(key=lambda i: repr(hidden[i]))
            # Rounds of `protect` change a few groups only: the others' null spaces are reused.
            key = frozenset(
                tuple(sorted((repr(hidden[i]), c) for i, c in rows[r].items()))
                for r in group_rows[root]
            )
            basis = memo.get(key)
            if basis is None:
                matrix = np.zeros((len(group_rows[root]), len(members)))
                local = {i: j for j, i in enumerate(members)}
                for n, r in enumerate(group_rows[root]):
                    for i, coef in rows[r].items():
                        matrix[n, local[i]] = coef
                basis = memo[key] = null_space(matrix)
            bases.append((members, basis))
    width = sum(b.shape[1] for _, b in bases) + len(free)
    vectors = np.zeros((len(hidden), width))
    column = 0
    for members, basis in bases:
        vectors[members, column : column + basis.shape[1]] = basis
        column += basis.shape[1]
    for i in free:
        vectors[i, column] = 1.0
        column += 1
    for i, row in reversed(peeled):
        own = row[i]
        for j, coef in row.items():
            if j != i:
                vectors[i] -= coef / own * vectors[j]
    if width == 0:
        return set(hidden)
    pinned = np.all(np.abs(vectors) < 1e-9, axis=1)
    return {hidden[i] for i in np.flatnonzero(pinned)}


def exposed(
    values: Mapping[Hashable, int],
    status: Mapping[Hashable, str],
    constraints: Sequence[Constraint],
    threshold: int = THRESHOLD,
    memo: dict[Any, Any] | None = None,
) -> list[Hashable]:
    """The "<3" cells whose exact value the published figures give away, by subtraction or by
    combining the totals with what "<3" and "x" say about a cell's range."""
    bounds = attack(values, status, constraints, threshold)
    pinned = {k for k, s in status.items() if s == PRIMARY and bounds[k][0] == bounds[k][1]}
    linear = {k for k in determined_by_subtraction(status, constraints) if status[k] == PRIMARY}
    return sorted(pinned | linear, key=str)


def _victim(
    values: Mapping[Hashable, int],
    status: Mapping[Hashable, str],
    total: Hashable,
    parts: Sequence[Hashable],
) -> Hashable | None:
    """The cell of a constraint to withhold: the smallest published part (it costs the reader
    the least, and totals such as a district's or the regency's stay readable), else the total."""
    shown = [c for c in parts if status[c] == SHOWN]
    if shown:
        return min(shown, key=lambda c: (values[c], str(c)))
    return total if status[total] == SHOWN else None


def _hide_lonely(
    values: Mapping[Hashable, int],
    status: dict[Hashable, str],
    constraints: Sequence[Constraint],
) -> None:
    """No constraint may hold exactly one hidden cell: it would be its total minus the rest."""
    changed = True
    while changed:
        changed = False
        for total, parts in constraints:
            cells = (total, *parts)
            hidden = [c for c in cells if status[c] != SHOWN]
            if len(hidden) != 1:
                continue
            victim = _victim(values, status, total, parts)
            if victim is None:
                continue
            status[victim] = COMPLEMENTARY
            changed = True


def protect(
    values: Mapping[Hashable, int],
    constraints: Iterable[Constraint],
    threshold: int = THRESHOLD,
) -> dict[Hashable, str]:
    """The status of every cell (shown, primary or complementary) so that no "<3" is exposed."""
    constraints = [(t, list(p)) for t, p in constraints]
    status = {k: (PRIMARY if v < threshold else SHOWN) for k, v in values.items()}
    containing: dict[Hashable, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(constraints):
        containing[total].append(index)
        for part in parts:
            containing[part].append(index)
    memo: dict[Any, Any] = {}
    for _round in range(len(values) + 1):
        _hide_lonely(values, status, constraints)
        bounds = attack(values, status, constraints, threshold)
        linear = determined_by_subtraction(status, constraints, memo)
        pinned = linear | {
            k for k, s in status.items() if s != SHOWN and bounds[k][0] == bounds[k][1]
        }
        leaks = sorted((k for k in pinned if status[k] == PRIMARY), key=str)
        if not leaks:
            return status
        added = False
        handled: set[Hashable] = set()
        for key in leaks:
            if key in handled:
                continue
            # The region of cells pinned together with this one: withhold the smallest
            # published part of any constraint around it (one cell per region and round).
            region = {key}
            stack = [key]
            candidates: list[Hashable] = []
            while stack:
                cell = stack.pop()
                for index in containing[cell]:
                    total, parts = constraints[index]
                    victim = _victim(values, status, total, parts)
                    if victim is not None:
                        candidates.append(victim)
                    for other in (total, *parts):
                        if other in pinned and other not in region:
                            region.add(other)
                            stack.append(other)
            handled |= region
            if candidates:
                status[min(candidates, key=lambda c: (values[c], str(c)))] = COMPLEMENTARY
                added = True
        if not added:
            # Pinned only through unpinned hidden cells: withhold the nearest published cells.
            for key in leaks:
                seen = {key}
                frontier = [key]
                while frontier and not added:
                    for cell in frontier:
                        for index in containing[cell]:
                            total, parts = constraints[index]
                            victim = _victim(values, status, total, parts)
                            if victim is not None:
                                status[victim] = COMPLEMENTARY
                                added = True
                    following = []
                    for cell in frontier:
                        for index in containing[cell]:
                            total, parts = constraints[index]
                            for c in (total, *parts):
                                if c not in seen:
                                    seen.add(c)
                                    following.append(c)
                    frontier = following
                if added:
                    break
        if not added:
            break
    return status


def publish(
    values: Mapping[Hashable, int],
    constraints: Iterable[Constraint],
    threshold: int = THRESHOLD,
) -> dict[Hashable, int | str]:
    """`protect` and then the public value of every cell."""
    status = protect(values, constraints, threshold)
    return {k: public_value(v, status[k], threshold) for k, v in values.items()}


def is_public_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
