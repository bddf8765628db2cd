"""Hotspots of the incidents that carry a point, on an H3 grid, and the raid places they suggest.

Points are not in the monthly roll-up (a village is too coarse for a map), so this reads the
incidents of one area for a few weeks: bounded by the area's index and the date range.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from jaga.accounts.access import unscoped
from jaga.analytics.stats.hotspots import Cell, hotspots
from jaga.analytics.units import Unit
from jaga.incidents.models import Incident
from jaga.territory.models import Level, Territory

RESOLUTION = 8  # ~0.74 km² hexagons: a few streets or a hamlet
WEEKS = 12


def points_q(unit: Unit) -> Q:
    """The unit's incidents, as the index of incidents with a point can find them (migration
    incidents 0007, `(regency_code, occurred_at) WHERE latitude IS NOT NULL`): a province is the
    list of its regencies (a subquery on the territory), looked up one by one in that index,
    where `regency_code LIKE '35.%'` could only filter what a walk over every incident of the
    weeks found. The same rows: every incident's regency code is that of a regency row of the
    territory (its village's ancestor). The country reads the index whole; a regency or smaller
    keeps `incident_q`."""
    provinces = [c for c in unit.codes if "." not in c]
    if unit.level == "country" or not provinces or len(provinces) < len(unit.codes):
        return unit.incident_q(key="regency_code")
    regencies = Territory.objects.filter(level=Level.REGENCY, province_code__in=provinces)
    return Q(regency_code__in=regencies.values("code"))


def incident_points(
    unit: Unit, since: datetime.datetime, until: datetime.datetime
) -> list[tuple[float | None, float | None, int]]:
    return list(
        unscoped(
            Incident.objects.filter(
                points_q(unit),
                occurred_at__gte=since,
                occurred_at__lt=until,
                latitude__isnull=False,
                longitude__isnull=False,
            ),
            "the unit's incidents: resolve_unit checked the unit",
        )
        .order_by()
        .values_list("latitude", "longitude", "village_id")
    )


def hot_cells(
    unit: Unit,
    weeks: int = WEEKS,
    resolution: int = RESOLUTION,
    until: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Gi* per cell over the last `weeks` weeks, with each cell's main village."""
    import h3

    until = until or timezone.now()
    since = until - datetime.timedelta(weeks=weeks)
    points = incident_points(unit, since, until)
    counts: Counter[str] = Counter()
    villages_of: dict[str, Counter[int]] = defaultdict(Counter)
    for lat, lon, village_id in points:
        if lat is None or lon is None:
            continue
        cell = h3.latlng_to_cell(lat, lon, resolution)
        counts[cell] += 1
        villages_of[cell][village_id] += 1
    cells = hotspots(dict(counts), k=1, pad=1)
    main_village = {cell: v.most_common(1)[0][0] for cell, v in villages_of.items()}
    names = {
        t.pk: t
        for t in Territory.objects.filter(pk__in=set(main_village.values())).only(
            "id", "code", "name", "kind", "level"
        )
    }
    village_of = {c: names[v] for c, v in main_village.items() if v in names}
    _name_by_nearest_centre(unit, cells, village_of)
    return {
        "since": since,
        "until": until,
        "resolution": resolution,
        "points": len(points),
        "cells": cells,
        "village_of": village_of,
    }


def _name_by_nearest_centre(unit: Unit, cells: list[Cell], village_of: dict[str, Any]) -> None:
    """A hot or cold cell without incidents of its own is named by the nearest village centre
    of the unit (centres: `jaga territory import-points`), so no cell is shown as a bare id."""
    unnamed = [c for c in cells if c.cell not in village_of and c.kind in ("hot", "cold")]
    if not unnamed:
        return
    centres = list(
        Territory.objects.filter(
            unit.village_q(), latitude__isnull=False, longitude__isnull=False
        ).only("id", "code", "name", "kind", "level", "latitude", "longitude")
    )
    if not centres:
        return
    for c in unnamed:
        village_of[c.cell] = min(
            centres,
            key=lambda t: (t.latitude - c.lat) ** 2 + (t.longitude - c.lon) ** 2,  # type: ignore[operator]
        )


def place_of(cell: Cell, village: Territory | None) -> dict[str, Any]:
    return {
        "cell": cell.cell,
        "lat": round(cell.lat, 5),
        "lon": round(cell.lon, 5),
        "count": cell.count,
        "z": round(cell.z, 2),
        "village_code": village.code if village else "",
        "village_name": village.display_name if village else "",
    }


def choose_places(found: dict[str, Any], previous: set[str], n: int) -> list[dict[str, Any]]:
    """The `n` hottest cells with incidents, leaving out last week's places (rotation).

    Significant hot cells come first, by Gi*; when there are fewer than `n`, the other cells with
    incidents fill the list by count (an isolated busy cell among quiet ones is not a Gi* hot
    spot, but it is still where the incidents are).
    """
    ranked = [c for c in found["cells"] if c.count > 0 and c.cell not in previous]
    ranked.sort(key=lambda c: (c.kind != "hot", -c.z if c.kind == "hot" else -c.count, c.cell))
    return [place_of(c, found["village_of"].get(c.cell)) for c in ranked[:n]]


def svg_map(found: dict[str, Any], width: int = 640, height: int = 420) -> str:
    """Hexagons of the study area as inline SVG: red hot, blue cold, grey others (no JS)."""
    import h3

    cells: list[Cell] = found["cells"]
    if not cells:
        return ""
    polys = {c.cell: h3.cell_to_boundary(c.cell) for c in cells}
    lats = [lat for poly in polys.values() for lat, _ in poly]
    lons = [lon for poly in polys.values() for _, lon in poly]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    span = max(lat1 - lat0, lon1 - lon0, 1e-6)
    scale = min((width - 20) / (lon1 - lon0 or span), (height - 20) / (lat1 - lat0 or span))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    top = max((c.z for c in cells), default=1) or 1
    for c in cells:
        pts = " ".join(
            f"{10 + (lon - lon0) * scale:.1f},{height - 10 - (lat - lat0) * scale:.1f}"
            for lat, lon in polys[c.cell]
        )
        if c.kind == "hot":
            fill = f"rgba(161,29,29,{0.35 + 0.65 * min(c.z / top, 1):.2f})"
        elif c.kind == "cold":
            fill = "rgba(29,79,140,0.55)"
        else:
            fill = "rgba(120,130,140,0.15)" if c.count == 0 else "rgba(154,91,0,0.35)"
        parts.append(
            f'<polygon points="{pts}" fill="{fill}" stroke="#fff" stroke-width="0.5">'
            f"<title>{c.cell}: {c.count} (z={c.z:.2f})</title></polygon>"
        )
    parts.append("</svg>")
    return "".join(parts)
