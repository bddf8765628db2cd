"""Getis-Ord Gi* on an H3 grid (h3 4.x): hot and cold cells of incident counts.

Cells are the hexagons holding at least one incident plus their rings of neighbours (zeros are
part of the landscape); weights are binary over the cell itself and its `k`-ring (Gi* includes
the cell), as esda.G_Local(..., star=True, transform="B"). z is the standardised Gi* of
Getis & Ord (1992) / Ord & Getis (1995).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import h3
import numpy as np
from scipy import stats


@dataclass
class Cell:
    cell: str
    count: int
    z: float
    p: float
    lat: float
    lon: float
    kind: str  # "hot" | "cold" | ""


def cells_of(points: list[tuple[float, float]], resolution: int) -> Counter[str]:
    return Counter(h3.latlng_to_cell(lat, lon, resolution) for lat, lon in points)


def gi_star(values: np.ndarray, neighbours: list[np.ndarray]) -> np.ndarray:
    """Gi* z-scores for values x_i with binary weights w_ij = 1 for j in neighbours[i] (incl. i)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = x.mean()
    s = math.sqrt(max((x**2).mean() - mean**2, 0.0))
    z = np.zeros(n)
    if n < 2 or s == 0:
        return z
    for i, nb in enumerate(neighbours):
        w_sum = float(len(nb))
        local = float(x[nb].sum())
        denom = s * math.sqrt((n * w_sum - w_sum**2) / (n - 1))
        z[i] = (local - mean * w_sum) / denom if denom > 0 else 0.0
    return z


def hotspots(counts: dict[str, int], k: int = 1, alpha: float = 0.05, pad: int = 1) -> list[Cell]:
    """Gi* for every cell with incidents and its `pad`-ring neighbours, hottest first."""
    if not counts:
        return []
    area: set[str] = set()
    for cell in counts:
        area.update(h3.grid_disk(cell, pad))
    order = sorted(area)
    position = {c: i for i, c in enumerate(order)}
    x = np.array([counts.get(c, 0) for c in order], dtype=float)
    neighbours = [
        np.array([position[c] for c in h3.grid_disk(cell, k) if c in position]) for cell in order
    ]
    z = gi_star(x, neighbours)
    p = 2 * stats.norm.sf(np.abs(z))
    cells = []
    for i, cell in enumerate(order):
        lat, lon = h3.cell_to_latlng(cell)
        kind = ""
        if p[i] < alpha:
            kind = "hot" if z[i] > 0 else "cold"
        cells.append(Cell(cell, int(x[i]), float(z[i]), float(p[i]), lat, lon, kind))
    cells.sort(key=lambda c: (-c.z, c.cell))
    return cells
