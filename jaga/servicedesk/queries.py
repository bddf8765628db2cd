"""Reads of the service desk that are more than one filter."""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from jaga.accounts.access import key_q, unscoped
from jaga.analytics.models import MonthlyMetric
from jaga.core.months import add_months, last_months, month_start
from jaga.core.types import Viewer
from jaga.servicedesk import metrics as desk_metrics
from jaga.servicedesk.models import OPEN_STATUSES, Service, ServiceRequest, Status, overdue_q
from jaga.territory.models import Level, PoliceUnit, PoliceUnitKind, Territory

NEARBY_METRES = 500
NEARBY_DAYS = 30


def publishable_requests() -> QuerySet[ServiceRequest]:
    """The one rule of what the public may ever see of the desk: reports of services that are not
    sensitive. Every public output (Open311, tracking by ticket, nearby hints, the portal's
    counts) starts from here; their text and photos are public only once moderated."""
    return unscoped(ServiceRequest.objects.publishable(), "the public rule: publishable reports")


def public_service_codes() -> list[str]:
    """The service codes whose reports (and `requests.*` metric keys) may be counted publicly."""
    return list(Service.objects.filter(sensitive=False).values_list("code", flat=True))


def moderation_queue(user: Viewer) -> QuerySet[ServiceRequest]:
    """Reports in the user's scope whose text or a photo awaits a public version, oldest first."""
    return (
        ServiceRequest.objects.awaiting_moderation()
        .for_user(user)
        .select_related("service", "village", "village__parent")
        .prefetch_related("photos")
        .order_by("received_at", "id")
    )


def nearby_public(*, service: Service, village: Territory, limit: int = 5) -> list[ServiceRequest]:
    """The public duplicate hint: open reports of a service that is not sensitive, in the same
    village. Never by point: probing points would give back a report's exact place."""
    if service.sensitive:
        return []
    since = timezone.now() - datetime.timedelta(days=NEARBY_DAYS)
    return list(
        publishable_requests()
        .filter(service=service, village=village, status__in=OPEN_STATUSES, received_at__gte=since)
        .select_related("service", "village")
        .order_by("-received_at", "-id")[:limit]
    )


def queue(user: Viewer, params: dict[str, str]) -> QuerySet[ServiceRequest]:
    """The reports a user may see, filtered by service, status, village, district and overdue."""
    qs = ServiceRequest.objects.for_user(user).select_related(
        "service", "village", "unit", "assignee"
    )
    if params.get("service"):
        qs = qs.filter(service__code=params["service"])
    status = params.get("status", "")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if params.get("village"):
        qs = qs.filter(village__code=params["village"])
    if params.get("district"):
        qs = qs.filter(district_code=params["district"])
    if params.get("overdue"):
        qs = qs.filter(overdue_q(timezone.now()))
    if params.get("mine"):
        qs = qs.filter(assignee_id=user.pk if user.is_authenticated else -1)
    q = params.get("q", "").strip()
    if q:
        qs = qs.filter(Q(ticket__iexact=q.upper()) | Q(description__icontains=q))
    return qs.order_by("-received_at", "-id")


def unit_summary(user: Viewer, now: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """Open, overdue and resolved-in-time counts per Polsek within the user's scope.

    Open and overdue are live counts (one grouped query); resolved and resolved-in-time come from
    the monthly roll-up for the last 12 months, so the ratio is Σ in time / Σ resolved.
    """
    now = now or timezone.now()
    visible = ServiceRequest.objects.for_user(user)
    live = {
        row["district_code"]: row
        for row in visible.values("district_code").annotate(
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=overdue_q(now)),
        )
    }
    since = add_months(month_start(timezone.localdate(now)), -11)
    resolved: dict[str, dict[str, int]] = {}
    for metric_row in (
        MonthlyMetric.objects.filter(
            metric__in=[desk_metrics.RESOLVED, desk_metrics.RESOLVED_IN_TIME],
            month__gte=since,
            district_code__in=list(live) or ["-"],
        )
        .filter(key_q([d for d in live if d]) if live else Q())
        .values("district_code", "metric")
        .annotate(total=Sum("value"))
    ):
        resolved.setdefault(metric_row["district_code"], {})[metric_row["metric"]] = (
            metric_row["total"] or 0
        )
    units = {
        t.code: u
        for u in PoliceUnit.objects.filter(kind=PoliceUnitKind.POLSEK).prefetch_related(
            "territories"
        )
        for t in u.territories.all()
    }
    names = dict(
        Territory.objects.filter(code__in=list(live), level=Level.DISTRICT).values_list(
            "code", "name"
        )
    )
    rows = []
    for code, row in live.items():
        done = resolved.get(code, {})
        total = done.get(desk_metrics.RESOLVED, 0)
        in_time = done.get(desk_metrics.RESOLVED_IN_TIME, 0)
        unit = units.get(code)
        rows.append(
            {
                "district_code": code,
                "unit": unit.name if unit else names.get(code, code),
                "open": row["open"],
                "overdue": row["overdue"],
                "resolved": total,
                "resolved_in_time": in_time,
                "in_time_pct": round(100 * in_time / total) if total else None,
            }
        )
    return sorted(rows, key=lambda r: (-r["overdue"], r["unit"]))


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearby_open(
    *,
    viewer: Viewer,
    service_id: int,
    village: Territory,
    latitude: float | None = None,
    longitude: float | None = None,
    exclude: int | None = None,
    limit: int = 5,
) -> list[ServiceRequest]:
    """Open reports of the same service, recent, in the same village or within 500 m of the point,
    that `viewer` may see (500 m may cross into a district outside the viewer's scope)."""
    since = timezone.now() - datetime.timedelta(days=NEARBY_DAYS)
    qs = (
        ServiceRequest.objects.for_user(viewer)
        .filter(service_id=service_id, status__in=OPEN_STATUSES, received_at__gte=since)
        .select_related("service", "village")
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    if latitude is not None and longitude is not None:
        # A bounding box first (about 0.005° ≈ 550 m) so the database does the coarse work.
        box = Q(
            latitude__range=(latitude - 0.005, latitude + 0.005),
            longitude__range=(longitude - 0.005, longitude + 0.005),
        )
        candidates = list(qs.filter(box | Q(village=village))[:50])
        near = []
        for r in candidates:
            if r.latitude is not None and r.longitude is not None:
                if _metres(latitude, longitude, r.latitude, r.longitude) <= NEARBY_METRES:
                    near.append(r)
            elif r.village_id == village.pk:
                near.append(r)
        return near[:limit]
    return list(qs.filter(village=village)[:limit])


def public_updates(request: ServiceRequest) -> QuerySet[Any]:
    return request.updates.filter(public=True).order_by("at", "id")


def audit_rows(request: ServiceRequest) -> QuerySet[Any]:
    from jaga.core.models import AuditLog

    return (
        AuditLog.objects.filter(object_type="servicedesk.servicerequest", object_id=str(request.pk))
        .select_related("actor")
        .order_by("at", "id")
    )


def monthly_series(
    user: Viewer, months: int = 12, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """Received, resolved and resolved-in-time per month in the user's scope, from the roll-up."""
    from jaga.accounts.access import scope_q

    today = timezone.localdate(now or timezone.now())
    starts = last_months(today, months)
    sums = {
        (row["month"], row["metric"]): row["total"]
        for row in MonthlyMetric.objects.filter(
            scope_q(user, "village__code", key="regency_code"),
            metric__in=[
                desk_metrics.RECEIVED,
                desk_metrics.RESOLVED,
                desk_metrics.RESOLVED_IN_TIME,
            ],
            month__gte=starts[0],
        )
        .values("month", "metric")
        .annotate(total=Sum("value"))
    }
    return [
        {
            "month": m,
            "received": sums.get((m, desk_metrics.RECEIVED), 0),
            "resolved": sums.get((m, desk_metrics.RESOLVED), 0),
            "in_time": sums.get((m, desk_metrics.RESOLVED_IN_TIME), 0),
        }
        for m in starts
    ]
