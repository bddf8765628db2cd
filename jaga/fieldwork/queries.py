"""Reads of field work: visits over time, villages not visited, a case's before/after counts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import ALL_CODES, key_q, regency_of, scope_codes, scope_q
from jaga.analytics.models import MonthlyMetric
from jaga.core.months import last_months, month_start
from jaga.core.types import Actor, Viewer
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.fieldwork.models import ProblemCase, Visit
from jaga.fieldwork.services import norm
from jaga.incidents.models import Incident
from jaga.territory.models import Level, Territory


@dataclass
class VillageVisits:
    village: Territory
    last_visit: datetime.date | None
    visits: int
    days_since: int | None
    overdue: bool


def villages_in_scope(user: Viewer, within: str | None = None) -> QuerySet[Territory]:
    """The current villages in the user's scope (inside `within` when given)."""
    villages = Territory.objects.filter(level=Level.VILLAGE).filter(scope_q(user, "code"))
    if within:
        villages = villages.filter(Q(code=within) | Q(code__startswith=within + "."))
    return villages.current()


def village_visit_status(
    user: Viewer, within: str | None = None, offset: int = 0, limit: int | None = None
) -> list[VillageVisits]:
    """Every village in scope with its last visit; villages past the gap (a norm) are flagged.

    `offset` and `limit` take one page of them (in code order): a province holds thousands of
    villages and the country 83,762, so callers above a regency page through them or read
    `area_visit_status` instead. Three queries whatever the number of villages.
    """
    villages = villages_in_scope(user, within).order_by("code")
    if limit is not None:
        villages = villages[offset : offset + limit]
    villages_list = list(villages)
    # Filter the visits by scope, not by a list of ids: an administrator's list is every village.
    visits = Visit.objects.for_user(user)
    if within:
        visits = visits.filter(Q(village__code=within) | Q(village__code__startswith=within + "."))
    if limit is not None:  # one page: at most `limit` villages (1,000 through the API)
        visits = visits.filter(village__in=[v.pk for v in villages_list])
    stats = {
        row["village_id"]: row
        for row in visits.values("village_id").annotate(last=Max("visited_on"), n=Count("id"))
    }
    gap = norm("visit_gap_days")
    today = timezone.localdate()
    out = []
    for village in villages_list:
        row = stats.get(village.pk)
        last = row["last"] if row else None
        days = (today - last).days if last else None
        out.append(
            VillageVisits(
                village=village,
                last_visit=last,
                visits=row["n"] if row else 0,
                days_since=days,
                overdue=days is None or days > gap,
            )
        )
    return out


class AreaLevel(models.TextChoices):
    """The areas the visits of a wide scope are summed over (query parameter `level`)."""

    PROVINCE = "province", _("Province")
    REGENCY = "regency", _("Regency / city")
    DISTRICT = "district", _("District (kecamatan)")


@dataclass
class AreaVisits:
    """The visits of one area's villages: the village figures of `village_visit_status` summed."""

    area: Territory
    villages: int  # current villages in scope
    overdue: int  # of them, not visited within the gap (or never)
    visits: int
    last_visit: datetime.date | None

    @property
    def visited(self) -> int:
        return self.villages - self.overdue


def default_area_level(user: Viewer) -> str:
    """One level below the widest territory of the user's scope: the country by province, a
    province by regency, a regency (or less) by district."""
    scopes = scope_codes(user)
    if ALL_CODES in scopes:
        return AreaLevel.PROVINCE
    if any(regency_of(code) is None for code in scopes):
        return AreaLevel.REGENCY
    return AreaLevel.DISTRICT


def area_visit_status(user: Viewer, level: str, within: str | None = None) -> list[AreaVisits]:
    """The villages in scope with their visits, summed per district, regency or province (in
    code order): the same figures as `village_visit_status`, one row per area instead of per
    village. Four queries whatever the number of villages; the country by regency reads 514
    area rows, not 83,762 village rows.
    """
    # Regency and district are columns of both tables; a province is its regencies summed here.
    field = "district_code" if level == AreaLevel.DISTRICT else "regency_code"
    villages = villages_in_scope(user, within)
    counts = dict(villages.values(field).annotate(n=Count("id")).values_list(field, "n"))
    gap = norm("visit_gap_days")
    since = timezone.localdate() - datetime.timedelta(days=gap)
    # Only visits of the villages counted above, as on the village list (a visit to a village
    # since split or merged is its successor's history, not a village of today).
    visits = Visit.objects.for_user(user).filter(village__in=villages.values("pk"))
    stats = {
        row[field]: row
        for row in visits.values(field)
        .annotate(
            n=Count("id"),
            last=Max("visited_on"),
            recent=Count("village_id", distinct=True, filter=Q(visited_on__gte=since)),
        )
        .order_by()
    }
    totals: dict[str, list[Any]] = {}
    for code, n in counts.items():
        key = code.split(".")[0] if level == AreaLevel.PROVINCE else code
        row = stats.get(code)
        total = totals.setdefault(key, [0, 0, 0, None])
        total[0] += n
        total[1] += row["recent"] if row else 0
        total[2] += row["n"] if row else 0
        if row and (total[3] is None or row["last"] > total[3]):
            total[3] = row["last"]
    areas = {t.code: t for t in Territory.objects.filter(code__in=totals).order_by()}
    return [
        AreaVisits(
            area=areas[code],
            villages=villages_n,
            overdue=villages_n - recent,
            visits=visits_n,
            last_visit=last,
        )
        for code, (villages_n, recent, visits_n, last) in sorted(totals.items())
        if code in areas
    ]


def monthly_visits(
    *,
    village_ids: list[int] | None = None,
    officer_id: int | None = None,
    viewer: Actor = None,
    months: int = 12,
    within: str | None = None,
) -> list[tuple[datetime.date, int]]:
    """Visits per month over the last `months` months (zeros included), oldest first.

    Per village (or set of villages) from the roll-up; per officer from the visits themselves.
    """
    today = timezone.localdate()
    series = last_months(today, months)
    counts: dict[datetime.date, int] = {}
    if officer_id is not None:
        # Only the visits the viewer may see: an officer may have visited outside its scope.
        rows = (
            Visit.objects.for_user(viewer)
            .filter(officer_id=officer_id, visited_on__gte=series[0])
            .values_list("visited_on", flat=True)
        )
        for day in rows:
            key = month_start(day)
            counts[key] = counts.get(key, 0) + 1
    else:
        qs = MonthlyMetric.objects.filter(
            metric=fieldwork_metrics.VISITS_COUNT, month__gte=series[0]
        )
        if village_ids is not None:
            qs = qs.filter(village_id__in=village_ids)
        if within is not None:  # the territory the villages lie in: names the distribution key
            qs = qs.filter(key_q([within]))
        counts = dict(qs.values("month").annotate(n=Sum("value")).values_list("month", "n"))
    return [(m, int(counts.get(m, 0))) for m in series]


@dataclass
class BeforeAfter:
    pivot: datetime.date | None
    window_days: int
    before: int
    after: int

    @property
    def change(self) -> float | None:
        if not self.before:
            return None
        return (self.after - self.before) / self.before


def case_before_after(case: ProblemCase) -> BeforeAfter:
    """Incidents in the case's villages and categories in equal windows before and after the
    response started (computed from the register, never typed in).

    The window is the norm `case_assessment_window_days`, shortened so that the "after" window
    has fully passed: before and after always cover the same number of days.
    """
    pivot = case.response_started_on
    if pivot is None:
        return BeforeAfter(None, 0, 0, 0)
    today = timezone.localdate()
    days = max(0, min(norm("case_assessment_window_days"), (today - pivot).days))
    if days == 0:
        return BeforeAfter(pivot, 0, 0, 0)
    start = timezone.make_aware(datetime.datetime.combine(pivot, datetime.time()))
    span = datetime.timedelta(days=days)
    incidents = Incident.objects.filter(
        village__in=case.villages.all(), category__in=case.categories.all()
    )
    counts = incidents.aggregate(
        before=Count("id", filter=Q(occurred_at__gte=start - span, occurred_at__lt=start)),
        after=Count("id", filter=Q(occurred_at__gte=start, occurred_at__lt=start + span)),
    )
    return BeforeAfter(pivot, days, counts["before"], counts["after"])


@dataclass
class OfficerVisits:
    officer_id: int
    name: str
    visits: int
    households: int
    last_visit: datetime.date


def officer_activity(user: Viewer, days: int = 30) -> list[OfficerVisits]:
    """Officers with visits in my area over the last `days` days, busiest first (one query)."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    rows = (
        Visit.objects.for_user(user)
        .filter(visited_on__gt=since)
        .values("officer_id", "officer__rank", "officer__full_name", "officer__username")
        .annotate(
            n=Count("id"), households=Count("household_head", distinct=True), last=Max("visited_on")
        )
        .order_by("-n", "officer__full_name")
    )
    return [
        OfficerVisits(
            officer_id=row["officer_id"],
            name=" ".join(
                part
                for part in (
                    row["officer__rank"],
                    row["officer__full_name"] or row["officer__username"],
                )
                if part
            ),
            visits=row["n"],
            households=row["households"],
            last_visit=row["last"],
        )
        for row in rows
    ]
