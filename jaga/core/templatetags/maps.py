"""The map component's template tags (docs/maps.md).

{% load maps %}
{% block head %}{% map_assets %}{% endblock %}
{% jaga_map geojson=url villages=url label=_("...") %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def map_assets() -> SafeString:
    """Leaflet (vendored, jaga/vendor/leaflet) and the component's own CSS and JavaScript."""
    return format_html(
        '<link rel="stylesheet" href="{}"><link rel="stylesheet" href="{}">'
        '<script src="{}" defer></script><script src="{}" defer></script>',
        static("jaga/vendor/leaflet/leaflet.css"),
        static("jaga/map.css"),
        static("jaga/vendor/leaflet/leaflet.js"),
        static("jaga/map.js"),
    )


@register.inclusion_tag("core/_map.html")
def jaga_map(
    *,
    label: str,
    geojson: str = "",
    data: str = "",
    villages: str = "",
    centre: Any = None,
    zoom: int = 13,
    size: str = "",
    picker_lat: str = "",
    picker_lon: str = "",
    picker_village: str = "",
    map_id: str = "",
) -> dict[str, Any]:
    """A map of GeoJSON layers (`geojson`: a URL; `data`: the id of a `json_script` element),
    over the village centres of `villages` (a URL of maps:villages) as named context.
    With `picker_lat`/`picker_lon` (the ids of the form's inputs) a tap sets the point."""
    if centre and isinstance(centre, (tuple, list)):
        centre = f"{centre[0]},{centre[1]}"
    return {
        "label": label,
        "geojson": geojson,
        "data": data,
        "villages": villages,
        "centre": centre or "",
        "zoom": zoom,
        "size": size,
        "picker": bool(picker_lat and picker_lon),
        "picker_lat": picker_lat,
        "picker_lon": picker_lon,
        "picker_village": picker_village,
        "map_id": map_id,
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }
