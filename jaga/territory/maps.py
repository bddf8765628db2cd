"""GeoJSON layers of the map component (docs/maps.md), one endpoint per layer.

What each layer may show is the rule of the data it draws: staff layers read through the user's
scope (`for_user`, `resolve_unit`); the public layers show only what the public already sees
elsewhere: village names and centres (Kemendagri data), and approved reports of services that
are not sensitive, placed at their village's centre, never at the reporter's point.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.accounts.access import STAFF_ROLES, allow, allow_public
from jaga.core import geo
from jaga.core.choose import territory_label
from jaga.core.months import add_months
from jaga.territory import queries
from jaga.territory.models import Territory

SEARCH_LIMIT = 20
REPORT_LIMIT = 500
PUBLIC_DAYS = 90
PUBLIC_ITEMS = 5


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(value or default), high))
    except ValueError:
        return default


def public_villages() -> QuerySet[Territory]:
    """Villages of the regencies this Jaga serves (the public report form's list)."""
    from jaga.servicedesk.forms import public_villages as served

    villages: QuerySet[Territory] = served()
    return villages


def village_feature(v: Territory) -> dict[str, Any]:
    if v.latitude is None or v.longitude is None:
        # Still found by name (the form can select it), but there is nothing to draw.
        return {"type": "Feature", "geometry": None, "properties": village_feature_props(v)}
    return geo.point(v.latitude, v.longitude, radius=4, **village_feature_props(v))


@allow_public
def villages(request: HttpRequest) -> JsonResponse:
    """Village centres (public Kemendagri data): `?q=` by name, `?lat=&lon=` the nearest one,
    `?wilayah=<code>` every centre inside a territory, `?semua=1` every centre served (the
    maps' named background)."""
    found = public_villages().select_related("parent")
    q = request.GET.get("q", "").strip()
    lat = _float(request.GET.get("lat"), -90, 90)
    lon = _float(request.GET.get("lon"), -180, 180)
    area = request.GET.get("wilayah", "").strip()
    if q:
        if len(q) < 2:
            return geo.response(geo.collection([]))
        rows = list(
            found.filter(Q(name__icontains=q) | Q(parent__name__icontains=q)).order_by(
                "name", "code"
            )[:SEARCH_LIMIT]
        )
        return geo.response(geo.collection(village_feature(v) for v in rows))
    if lat is not None and lon is not None:
        near = queries.nearest_village(lat, lon, found)
        return geo.response(geo.collection([village_feature(near)] if near else []))
    if area or request.GET.get("semua"):
        centres = found.filter(latitude__isnull=False, longitude__isnull=False)
        if area:
            centres = centres.filter(Q(code=area) | Q(code__startswith=area + "."))
        return geo.response(
            geo.collection(village_feature(v) for v in centres.order_by("code")),
            public=True,
            max_age=600,
        )
    return geo.response(geo.collection([]))


def village_feature_props(v: Territory) -> dict[str, Any]:
    district = v.parent.name if v.parent_id and v.parent else ""
    return {
        "code": v.code,
        "name": v.display_name,
        "district": f"Kec. {district}" if district else "",
        "place_label": territory_label(v),  # as the form's village <select> labels it
        "kind": "village",
    }


# ------------------------------------------------------------------ service desk


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y")


def report_features(reports: list[Any]) -> list[dict[str, Any]]:
    """Staff layer: each report at its exact point, or at its village's centre (said so)."""
    now = timezone.now()
    out = []
    for r in reports:
        exact = r.latitude is not None and r.longitude is not None
        if exact:
            lat, lon = r.latitude, r.longitude
        elif r.village.latitude is not None and r.village.longitude is not None:
            lat, lon = r.village.latitude, r.village.longitude
        else:
            continue
        if r.is_open:
            kind = "report-overdue" if r.is_late(now) else "report-open"
        else:
            kind = "report-done"
        lines = [
            r.get_status_display(),
            r.village.display_name,
            _("Received %(date)s") % {"date": _when(r.received_at)},
        ]
        if not exact:
            lines.append(_("No point given: shown at the village centre."))
        out.append(
            geo.point(
                lat,
                lon,
                name=f"{r.ticket} · {r.service.name}",
                short=r.village.name,
                approximate=not exact,
                kind=kind,
                title=f"{r.ticket} · {r.service.name}",
                lines=lines,
                url=reverse("servicedesk:detail", args=[r.ticket]),
                link_text=_("Open the report"),
            )
        )
    return out


REPORT_LEGEND = [
    ("report-open", _("open")),
    ("report-overdue", _("overdue")),
    ("report-done", _("finished")),
]


@login_required
@allow(*STAFF_ROLES)
def reports(request: HttpRequest) -> JsonResponse:
    """Desk reports in the user's scope, at their exact points, with the desk queue's filters
    (the queue's query string; no filter means the open ones, as on the queue)."""
    from jaga.servicedesk import queries as desk

    params: dict[str, str] = {k: str(v) for k, v in request.GET.items() if k != "page"}
    params = params or {"status": "open"}
    rows = list(
        desk.queue(request.user, params).select_related("village", "service")[:REPORT_LIMIT]
    )
    return geo.response(
        geo.collection(
            report_features(rows),
            legend=[{"kind": k, "text": str(t)} for k, t in REPORT_LEGEND],
            empty_text=_("No report with a place on the map for this filter."),
            note=_("Only the newest %(n)s reports are on the map: filter the list to see others.")
            % {"n": REPORT_LIMIT}
            if len(rows) == REPORT_LIMIT
            else "",
        )
    )


@allow_public
def public_reports(request: HttpRequest) -> JsonResponse:
    """The public map of reports: approved reports of services that are not sensitive, of the
    last `hari` days, counted per village at the village centre (the reporter's point is never
    sent). Each village lists its latest reports as the public tracking page shows them."""
    from jaga.servicedesk.models import Moderation
    from jaga.servicedesk.queries import publishable_requests

    days = _int(request.GET.get("hari"), PUBLIC_DAYS, 1, 365)
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        publishable_requests()
        .filter(moderation=Moderation.APPROVED, received_at__gte=since)
        .filter(village__latitude__isnull=False, village__longitude__isnull=False)
        .select_related("service", "village")
        .order_by("-received_at", "-id")
    )
    area = request.GET.get("wilayah", "").strip()
    if area:
        rows = rows.filter(Q(village__code=area) | Q(village__code__startswith=area + "."))
    by_village: dict[int, list[Any]] = defaultdict(list)
    villages_: dict[int, Territory] = {}
    for r in rows.iterator(chunk_size=500):
        by_village[r.village_id].append(r)
        villages_[r.village_id] = r.village
    features = []
    for village_id, items in by_village.items():
        v = villages_[village_id]
        point = items[0].public_point()
        if point is None:
            continue
        features.append(
            geo.point(
                point[0],
                point[1],
                name=v.display_name,
                short=v.name,
                kind="public",
                count=len(items),
                title=v.display_name,
                lines=[
                    ngettext(
                        "%(count)s public report in the last %(days)s days",
                        "%(count)s public reports in the last %(days)s days",
                        len(items),
                    )
                    % {"count": len(items), "days": days}
                ],
                items=[
                    {
                        "text": f"{r.ticket} · {r.service.name}",
                        "note": f"{r.get_status_display()} · {_when(r.received_at)}",
                        "url": reverse("servicedesk:track", args=[r.ticket]),
                    }
                    for r in items[:PUBLIC_ITEMS]
                ],
            )
        )
    return geo.response(
        geo.collection(
            features,
            empty_text=_("No public report in this period."),
        ),
        public=True,
        max_age=300,
    )


# ------------------------------------------------------------------ incidents and hotspots


# Above a regency the incident map draws areas, not villages: a province by district (666 points
# for Jawa Timur instead of 8,494), the country by regency (514 instead of 83,762). The point of an
# area is the mean of its villages' recorded centres; its link opens the area in the register,
# whose map then draws the area's own villages or districts.
AREA_POINTS = {"country": "regency", "province": "district"}


def _incident_rows(unit: Any, first: datetime.date) -> tuple[str, dict[Any, Counter[int]]]:
    """Incidents since `first` per place of the map and category: (level of the places, rows
    keyed by the village's id or the area's code)."""
    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount

    level = AREA_POINTS.get(unit.level, "village")
    per_place: dict[Any, Counter[int]] = defaultdict(Counter)
    if level == "village":
        rows = (
            MonthlyIncidentCount.objects.filter(unit.rollup_q(), month__gte=first)
            .values("village_id", "category_id")
            .annotate(n=Sum("count"))
            .order_by()
        )
        for row in rows:
            if row["n"]:
                per_place[row["village_id"]][row["category_id"]] += row["n"]
        return level, per_place
    # The area roll-up (kept with the village roll-up in one transaction, the same counts):
    # regency rows name their province, district rows their regency. Naming the parents lets
    # PostgreSQL read each parent's months from the index (level, parent_code, month, ...)
    # instead of every month of every area (national: 283 pages instead of 2,322).
    parents = (
        Territory.objects.filter(level="province")
        if unit.level == "country"
        else Territory.objects.filter(level="regency", province_code__in=unit.codes)
    )
    areas = AreaMonthlyCount.objects.filter(
        level=level, month__gte=first, parent_code__in=parents.values("code")
    )
    totals = areas.values_list("area_code", "category_id").annotate(n=Sum("count")).order_by()
    for area_code, category_id, n in totals:
        if n:
            per_place[area_code][category_id] += n
    return level, per_place


def _places(level: str, keys: Iterable[Any]) -> dict[Any, Territory]:
    """The map's places by village id or area code, each with a centre: a village's own, an
    area's the mean of its villages' centres (None when none of them has one)."""
    from django.db.models import Avg

    wanted = list(keys)
    found = Territory.objects.only("id", "code", "name", "kind", "level", "latitude", "longitude")
    if level == "village":
        return {v.pk: v for v in found.filter(pk__in=wanted)}
    places = {t.code: t for t in found.filter(code__in=wanted)}
    if wanted:
        field = f"{level}_code"
        centres = (
            Territory.objects.filter(
                level="village", latitude__isnull=False, longitude__isnull=False
            )
            .filter(**{f"{field}__in": wanted})
            .values(field)
            .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
            .order_by()
        )
        for row in centres:
            place = places.get(row[field])
            if place is not None:
                place.latitude, place.longitude = row["lat"], row["lon"]
    return places


@login_required
@allow(*STAFF_ROLES)
def incidents(request: HttpRequest) -> JsonResponse:
    """Incidents of the register over the last `bulan` months (the monthly roll-ups) for a
    territory or Polsek in the user's scope (`territory`, as on analytics): a point per village
    of a regency or smaller area, per district of a province, per regency of the country."""
    from jaga.analytics.units import resolve_unit
    from jaga.incidents.models import Category

    unit = resolve_unit(request.user, request.GET.get("territory"))
    months = _int(request.GET.get("bulan"), 3, 1, 36)
    first = add_months(timezone.localdate().replace(day=1), 1 - months)
    level, per_place = _incident_rows(unit, first)
    places = _places(level, per_place)
    names = {c.pk: c.name for c in Category.objects.all()}
    features, missing = [], 0
    for key, counts in per_place.items():
        v = places.get(key)
        total = sum(counts.values())
        if v is None or v.latitude is None or v.longitude is None:
            missing += total
            continue
        features.append(
            geo.point(
                v.latitude,
                v.longitude,
                name=v.display_name,
                short=f"{v.name} {total}",
                kind="incident",
                count=total,
                title=ngettext(
                    "%(village)s: %(count)s incident", "%(village)s: %(count)s incidents", total
                )
                % {"village": v.display_name, "count": total},
                lines=[f"{names.get(c, '?')}: {n}" for c, n in counts.most_common(4)],
                url=reverse("incidents:index") + f"?q={v.code}",
                link_text=_("Open the register")
                if level == "village"
                else _("Open the area: its register and map"),
            )
        )
    if not missing:
        note = ""
    elif level == "village":
        note = _(
            "%(count)s incidents in villages without a recorded centre are not on the map."
        ) % {"count": missing}
    else:
        note = _(
            "%(count)s incidents in areas without a recorded village centre are not on the map."
        ) % {"count": missing}
    return geo.response(
        geo.collection(
            features,
            empty_text=note or _("No incident in this period."),
            note=note,
            since=first.isoformat(),
            level=level,
        )
    )


def _cell_features(found: dict[str, Any]) -> list[dict[str, Any]]:
    """One hexagon per cell that is hot, cold or has incidents, busiest first."""
    import h3

    features: list[dict[str, Any]] = []
    labelled: set[str] = set()
    # The busiest hot cell of each village carries the village's name as a label.
    for cell in sorted(found["cells"], key=lambda c: -c.count):
        if cell.count == 0 and cell.kind not in ("hot", "cold"):
            continue
        village = found["village_of"].get(cell.cell)
        label = ""
        if village is not None and cell.kind == "hot" and village.code not in labelled:
            labelled.add(village.code)
            label = village.name
        kind = cell.kind if cell.kind in ("hot", "cold") else ("warm" if cell.count else "quiet")
        name = village.display_name if village else _("No village nearby")
        features.append(
            geo.polygon(
                h3.cell_to_boundary(cell.cell),
                name=f"{name} · {cell.count}",
                label=label,
                kind=kind,
                title=name,
                lines=[
                    ngettext(
                        "%(count)s incident in this hexagon",
                        "%(count)s incidents in this hexagon",
                        cell.count,
                    )
                    % {"count": cell.count},
                    {
                        "hot": _("Hot spot: more than around it"),
                        "cold": _("Cold spot: fewer than around it"),
                    }.get(cell.kind, _("Not a hot spot")),
                ],
            )
        )
    return features


def _plan_features(plans: Iterable[Any]) -> list[dict[str, Any]]:
    """One numbered point per place of the raid plans."""
    features: list[dict[str, Any]] = []
    for plan in plans:
        for i, place in enumerate(plan.places, start=1):
            features.append(
                geo.point(
                    place["lat"],
                    place["lon"],
                    label=str(i),
                    kind="plan",
                    radius=9,
                    title=_("Raid place %(n)s, week of %(week)s")
                    % {"n": i, "week": date_format(plan.week, "j M Y")},
                    lines=[
                        place.get("village_name") or place["cell"],
                        ngettext("%(count)s incident", "%(count)s incidents", place["count"])
                        % {"count": place["count"]},
                    ],
                )
            )
    return features


@login_required
@allow(*STAFF_ROLES)
def hotspots(request: HttpRequest) -> JsonResponse:
    """H3 cells of the last `weeks` weeks (hot, cold, others with incidents), named by their
    village, and the places of the latest raid plans of the territory."""
    from jaga.analytics import hotspots as hs
    from jaga.analytics.models import RaidPlan
    from jaga.analytics.units import resolve_unit

    unit = resolve_unit(request.user, request.GET.get("territory"))
    weeks = _int(request.GET.get("weeks"), hs.WEEKS, 1, 104)
    found = hs.hot_cells(unit, weeks=weeks)
    features = _cell_features(found)
    plans = (
        RaidPlan.objects.for_user(request.user)
        .filter(territory__code__in=unit.codes)
        .order_by("-week")[:1]
    )
    features.extend(_plan_features(plans))
    return geo.response(
        geo.collection(
            features,
            legend=[
                {"kind": "hot", "text": _("hot spot")},
                {"kind": "warm", "text": _("incidents, not a hot spot")},
                {"kind": "cold", "text": _("cold spot")},
                {"kind": "plan", "text": _("raid place (latest plan)")},
            ],
            empty_text=_("No incident with a location in this period."),
        )
    )
