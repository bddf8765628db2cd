"""State changes of the analytics app: the raid plan of the week and roll-up rebuilds."""

from __future__ import annotations

import datetime
import time

from django.db import transaction
from django.utils.translation import gettext as _

from jaga.analytics import hotspots
from jaga.analytics.models import RaidPlan, RaisedAlarm, RebuildRun
from jaga.analytics.rebuild import rebuild_all
from jaga.analytics.units import Unit
from jaga.core.audit import log_action
from jaga.core.errors import DomainError
from jaga.core.types import Actor, signed_in
from jaga.territory.models import Level

PLACES_PER_WEEK = 5


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def propose_raid_plan(
    unit: Unit,
    week: datetime.date,
    *,
    actor: Actor,
    places: int = PLACES_PER_WEEK,
    until: datetime.datetime | None = None,
) -> RaidPlan:
    """Propose the week's razia places from the hottest cells, never last week's places again.

    Proposing again for the same week replaces that week's plan (new incidents may have come in).
    """
    territory = unit.territory
    if territory is None or territory.level == Level.VILLAGE:
        raise DomainError(
            "raid_plan_area",
            _("Raid plans are made for a district, a regency or a province, not a village."),
        )
    week = week_start(week)
    found = hotspots.hot_cells(unit, until=until)
    with transaction.atomic():
        previous = (
            RaidPlan.objects.select_for_update()
            .filter(territory=territory, week=week - datetime.timedelta(days=7))
            .first()
        )
        last_places = {p["cell"] for p in previous.places} if previous else set()
        chosen = hotspots.choose_places(found, last_places, places)
        for place in chosen:  # the moments its count covers, for the link to its incidents
            place.update(since=found["since"].isoformat(), until=found["until"].isoformat())
        if not chosen:
            raise DomainError(
                "no_hotspots",
                _("No incident with a location in the last weeks: there is nothing to plan from."),
            )
        plan = RaidPlan.objects.select_for_update().filter(territory=territory, week=week).first()
        before = {"places": plan.places} if plan else None
        if plan is None:
            plan = RaidPlan.objects.create(
                territory=territory,
                week=week,
                places=chosen,
                resolution=found["resolution"],
                created_by=signed_in(actor),
            )
        else:
            RaidPlan.objects.filter(pk=plan.pk).update(places=chosen)
            plan.places = chosen
        log_action(
            "analytics.raid_plan_proposed",
            plan,
            actor=actor,
            before=before,
            after={"week": week, "places": [p["cell"] for p in chosen]},
            territory_code=territory.code,
        )
    return plan


def rebuild_rollups(*, actor: Actor = None) -> RebuildRun:
    """Rebuild every roll-up from the records (same result as the running counts)."""
    started = time.monotonic()
    with transaction.atomic():
        rows = rebuild_all()
        run = RebuildRun.objects.create(
            actor=signed_in(actor),
            rows=rows,
            seconds=time.monotonic() - started,
        )
        log_action("analytics.rebuilt", run, actor=actor, after=rows)
    return run


def _sensitive_category_codes() -> set[str]:
    from jaga.incidents.models import Category
    from jaga.reports.public import sensitive_category_ids

    ids = sensitive_category_ids()
    return set(Category.objects.filter(pk__in=ids).values_list("code", flat=True))


def record_alarms(territory_code: str, month: datetime.date) -> list[RaisedAlarm]:
    """Run the early warning over a regency up to the closed `month` and store the alarms not
    stored before (same village, category and first month); each new one emits `alarm.raised`
    (codes and figures only, `sensitive` for a category of a sensitive service such as domestic
    violence, which listeners reaching outside the police leave out) and leaves an audit row.
    Returns the new alarms."""
    from jaga.analytics.warning import alarms_cached
    from jaga.core import events
    from jaga.territory.models import Territory

    territory = Territory.objects.get(code=territory_code)
    unit = Unit(
        territory.code, territory.display_name, [territory.code], territory.level, territory
    )
    # Through the cache: a province's or the country's page then reads this run's scan.
    found = alarms_cached(unit, month.replace(day=1))
    villages = {
        t.code: t
        for t in Territory.objects.filter(code__in={a["village_code"] for a in found}).only(
            "id", "code"
        )
    }
    sensitive = _sensitive_category_codes() if found else set()
    new: list[RaisedAlarm] = []
    with transaction.atomic():
        for alarm in found:
            village = villages[alarm["village_code"]]
            row, created = RaisedAlarm.objects.get_or_create(
                village=village,
                category_code=alarm["category_code"],
                month=alarm["month"],
                defaults={
                    "regency_code": territory.code[:5],
                    "run_month": month.replace(day=1),
                    "observed": alarm["observed"],
                    "expected": alarm["expected"],
                    "statistic": alarm["statistic"],
                    "limit": alarm["limit"],
                },
            )
            if not created:
                continue
            new.append(row)
            log_action(
                "analytics.alarm_raised",
                row,
                after={
                    "village": village.code,
                    "category": row.category_code,
                    "month": row.month,
                    "observed": row.observed,
                    "expected": round(row.expected, 2),
                },
                territory_code=village.code,
            )
            events.emit(
                events.ALARM_RAISED,
                territory_code=village.code,
                object_type="analytics.raisedalarm",
                # Its natural key, not the row's number (public ids are never the integer key).
                object_id=f"{village.code}:{row.category_code}:{row.month:%Y-%m}",
                data={
                    "village_code": village.code,
                    "category": row.category_code,
                    "sensitive": row.category_code in sensitive,
                    "category_name": str(alarm["category_name"]),
                    "month": row.month.strftime("%Y-%m"),
                    "observed": row.observed,
                    "expected": round(row.expected, 2),
                },
            )
    return new
