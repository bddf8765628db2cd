"""Drill-down: the incidents behind a figure, chosen by the same terms the figure was counted by.

A figure links to `/analitik/catatan/` with its territory and whichever of these it used, so the
list holds exactly the records the figure counts:

- `category`: a category code (with its children);
- `month`, or `from` and `to` (months, `YYYY-MM`): the months counted;
- `own=1`: a village's own code only (a village's dashboard reads its predecessors too,
  `pemekaran.lineage_codes`; a row per village in an area's table counts only its own code);
- `cell`, `since`, `until`: an H3 cell and the moments of a hotspot count (ISO date-times).

The records page checks the viewer's scope as any other page does (`resolve_unit`, `for_user`).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from jaga.analytics.units import Unit, parse_month
from jaga.core.months import add_months
from jaga.territory.models import Level

QS = TypeVar("QS", bound=QuerySet[Any])

# The parameters the records page reads; its page links carry them on.
PARAMS = ("territory", "category", "month", "from", "to", "own", "cell", "since", "until")


def records_url(territory: str, **params: Any) -> str:
    """The records page for `territory` with the given terms (None and "" left out)."""
    query = {"territory": territory}
    for name, value in params.items():
        if value is None or value == "" or value is False:
            continue
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        elif isinstance(value, datetime.date):
            value = value.isoformat()[:7]
        query[name.rstrip("_")] = "1" if value is True else str(value)
    return f"{reverse('analytics:records')}?{urlencode(query)}"


def moment(value: str | None) -> datetime.datetime | None:
    """An ISO date-time (naive: local time), or None when absent or unreadable."""
    if not value:
        return None
    try:
        # A "+07:00" typed into an address without encoding arrives as " 07:00".
        parsed = datetime.datetime.fromisoformat(re.sub(r" (\d\d:\d\d)$", r"+\1", value.strip()))
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def own_only(unit: Unit, params: QueryDict) -> Unit:
    """With `own=1`, a village unit of its own code only (without its predecessors)."""
    if params.get("own") and unit.level == Level.VILLAGE:
        return dataclasses.replace(unit, codes=[unit.key])
    return unit


def in_months(qs: QS, params: QueryDict) -> tuple[QS, dict[str, Any]]:
    """Incidents of `month`, or of `from` to `to` (whole months, local time)."""
    month = parse_month(params.get("month"))
    first = parse_month(params.get("from")) or month
    last = parse_month(params.get("to")) or month
    tz = timezone.get_current_timezone()
    if first:
        qs = qs.filter(
            occurred_at__gte=datetime.datetime.combine(first, datetime.time(), tzinfo=tz)
        )
    if last:
        upper = datetime.datetime.combine(add_months(last, 1), datetime.time(), tzinfo=tz)
        qs = qs.filter(occurred_at__lt=upper)
    return qs, {"month": month, "first": first, "last": last}


def in_cell(qs: QS, params: QueryDict) -> tuple[QS, dict[str, Any]]:
    """Incidents between `since` and `until` (a hotspot count's moments) and in the H3 `cell`."""
    import h3

    since, until = moment(params.get("since")), moment(params.get("until"))
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    cell = (params.get("cell") or "").strip()
    if not cell:
        return qs, {"since": since, "until": until, "cell": ""}
    if not h3.is_valid_cell(cell):
        return qs.none(), {"since": since, "until": until, "cell": cell}
    boundary = h3.cell_to_boundary(cell)
    lats, lons = [p[0] for p in boundary], [p[1] for p in boundary]
    margin = 1e-4  # the hexagon's edges bulge a little beyond the straight lines between corners
    near = qs.filter(
        latitude__gte=min(lats) - margin,
        latitude__lte=max(lats) + margin,
        longitude__gte=min(lons) - margin,
        longitude__lte=max(lons) + margin,
    )
    resolution = h3.get_resolution(cell)
    inside = [
        pk
        for pk, lat, lon in near.values_list("pk", "latitude", "longitude")
        if h3.latlng_to_cell(lat, lon, resolution) == cell
    ]
    return qs.filter(pk__in=inside), {"since": since, "until": until, "cell": cell}


def carried(params: QueryDict) -> str:
    """The query of the current list without its page number, for the page links."""
    return urlencode([(k, v) for k in PARAMS for v in params.getlist(k) if v])
