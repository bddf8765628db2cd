"""GeoJSON for the map component (docs/maps.md): features, collections and the response.

Properties the component understands: `name` (tooltip), `label` (always-shown label), `kind`
(the CSS class `jm-<kind>`: colour), `count` (circle size), `title`/`lines`/`items`/`url`
(the popup). A collection may carry `legend` ([{kind, text}]) and `empty_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.http import JsonResponse


def point(lat: float, lon: float, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": properties,
    }


def polygon(ring: Sequence[tuple[float, float]], **properties: Any) -> dict[str, Any]:
    """A polygon from (lat, lon) pairs (as h3 gives them), closed as GeoJSON wants."""
    coords = [[round(lon, 6), round(lat, 6)] for lat, lon in ring]
    if coords and coords[0] != coords[-1]:
        coords.append(coords[0])
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [coords]},
        "properties": properties,
    }


def collection(features: Iterable[dict[str, Any]], **members: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **members}


def response(data: dict[str, Any], *, public: bool = False, max_age: int = 0) -> JsonResponse:
    out = JsonResponse(data, content_type="application/geo+json")
    if public and max_age:
        out["Cache-Control"] = f"public, max-age={max_age}"
    else:
        out["Cache-Control"] = "private, no-store"
    return out
