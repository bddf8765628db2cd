"""Recording kamtibmas disturbances: every source goes through `record_incident`."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.analytics.rollups import bump_incidents
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.incidents.models import Category, Incident, IncidentLink
from jaga.territory.models import Level, Territory

# Indonesia's bounding box (with a margin): points outside it are typing errors.
LAT_RANGE = (-11.5, 6.5)
LON_RANGE = (94.5, 141.5)


def check_point(latitude: float | None, longitude: float | None) -> None:
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        raise DomainError("bad_point", _("Give both latitude and longitude, or neither."))
    if not (LAT_RANGE[0] <= latitude <= LAT_RANGE[1] and LON_RANGE[0] <= longitude <= LON_RANGE[1]):
        raise DomainError(
            "point_outside_indonesia",
            _("The point %(lat)s, %(lon)s lies outside Indonesia.")
            % {"lat": latitude, "lon": longitude},
        )


def record_incident(
    *,
    category: Category,
    village: Territory,
    occurred_at: datetime.datetime,
    source: str,
    source_ref: str,
    actor: Any = None,
    latitude: float | None = None,
    longitude: float | None = None,
    severity: int = 2,
    description: str = "",
    same_as: Incident | None = None,
) -> Incident:
    """Record one disturbance, once.

    Re-recording the same `(source, source_ref)` returns the existing incident. With `same_as`
    (e.g. a raid confirming a desk report), the new source is linked to that incident instead of
    counting the disturbance a second time.
    """
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Incidents are recorded against a village."))
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError("future_date", _("The incident cannot have happened in the future."))
    check_point(latitude, longitude)
    with transaction.atomic():
        existing = Incident.objects.filter(source=source, source_ref=source_ref).first()
        if existing is not None:
            return existing
        link = (
            IncidentLink.objects.filter(source=source, source_ref=source_ref)
            .select_related("incident")
            .first()
        )
        if link is not None:
            return link.incident
        if same_as is not None:
            IncidentLink.objects.create(incident=same_as, source=source, source_ref=source_ref)
            log_action(
                "incidents.linked",
                same_as,
                actor=actor,
                after={"source": source, "source_ref": source_ref},
                territory_code=same_as.village.code,
            )
            return same_as
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    category=category,
                    village=village,
                    regency_code=village.regency_code,
                    district_code=village.district_code,
                    occurred_at=occurred_at,
                    source=source,
                    source_ref=source_ref,
                    latitude=latitude,
                    longitude=longitude,
                    severity=severity,
                    description=description,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # Another transaction recorded the same source record first: count it once.
            return Incident.objects.get(source=source, source_ref=source_ref)
        bump_incidents(village, occurred_at, category.pk, +1)
        log_action(
            "incidents.recorded",
            incident,
            actor=actor,
            after=snapshot(incident),
            territory_code=village.code,
        )
    return incident
