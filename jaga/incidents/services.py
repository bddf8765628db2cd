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
from jaga.core.types import Actor, signed_in
from jaga.incidents.models import Category, Incident, IncidentLink
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import refuse_ended

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
    actor: Actor = None,
    latitude: float | None = None,
    longitude: float | None = None,
    severity: int = 2,
    description: str = "",
    same_as: Incident | None = None,
) -> Incident:
    """Record one disturbance, once.

    Re-recording the same `(source, source_ref)` returns the existing incident. A record of a
    disturbance already in the register (`same_incident`: same village and category, within
    `SAME_INCIDENT_DAYS`, from another kind of record) is linked to that incident instead of
    counting the disturbance a second time; `same_as` names the incident to join explicitly.
    """
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Incidents are recorded against a village."))
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError("future_date", _("The incident cannot have happened in the future."))
    check_point(latitude, longitude)
    refuse_ended(village, occurred_at)  # an ended village keeps the incidents before its end
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
        if same_as is None:
            same_as = same_incident(
                village=village, category=category, moment=occurred_at, source=source
            )
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
                    created_by=signed_in(actor),
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


# One disturbance, whichever record comes first: a desk report, a raid finding, a field
# escalation or an imported row of the same village and category within this many days of an
# incident recorded from another kind of record joins that incident (`IncidentLink`) instead of
# adding one. The import applies the same rule in SQL (`jaga.incidents.imports`).
SAME_INCIDENT_DAYS = 3
SAME_INCIDENT_WINDOW = datetime.timedelta(days=SAME_INCIDENT_DAYS)


def within_window(first: datetime.datetime, second: datetime.datetime) -> bool:
    """Whether two moments are close enough to be the same disturbance (both ends included)."""
    return abs(first - second) <= SAME_INCIDENT_WINDOW


def same_incident(
    *, village: Territory | int, category: Category | int, moment: datetime.datetime, source: str
) -> Incident | None:
    """The incident that a new record from `source` of this disturbance should join, or None.

    The rule, for every source: same village, same category, `within_window` of `moment`,
    recorded from another kind of record, and not joined yet by a record of `source` (a raid
    confirms one desk report; the next raid's finding is a new incident). Nearest in time first,
    then the oldest. Two records of the same kind are never merged here (two desk reports are
    two reports; the desk has its own duplicate flow).
    """
    village_id = village if isinstance(village, int) else village.pk
    category_id = category if isinstance(category, int) else category.pk
    candidates = (
        Incident.objects.filter(
            village_id=village_id,
            category_id=category_id,
            occurred_at__gte=moment - SAME_INCIDENT_WINDOW,
            occurred_at__lte=moment + SAME_INCIDENT_WINDOW,
        )
        .exclude(source=source)
        .exclude(pk__in=IncidentLink.objects.filter(source=source).values("incident_id"))
    )
    return min(
        (i for i in candidates if within_window(i.occurred_at, moment)),
        key=lambda i: (abs(i.occurred_at - moment), i.pk),
        default=None,
    )


# ---------------------------------------------------------------------------------------------
# Bulk writes: the import of history (and the demo) insert many incidents in one transaction and
# add them to the monthly roll-up in bulk, aggregated per village, month and category.


def copy_rows(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: load rows with COPY, the fastest way in (typed values, no SQL per row)."""
    from django.db import connection

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor underneath Django's wrapper
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def add_to_rollups(counts: dict[tuple[int, datetime.date, int], int]) -> None:
    """Add `{(village_id, month, category_id): n}` to MonthlyIncidentCount and to the district
    and regency roll-up (AreaMonthlyCount) above it (call inside atomic).

    Existing rows are locked and incremented by their keys (`add_by_key`), missing ones inserted
    (COPY on PostgreSQL, one executemany elsewhere): an import of a million rows touches a few
    hundred thousand roll-up rows at most.
    """
    from django.db import connection

    from jaga.analytics.models import MonthlyIncidentCount
    from jaga.analytics.rollups import add_area_counts, add_by_key

    if not counts:
        return
    village_ids = sorted({key[0] for key in counts})
    codes = {
        row[0]: row[1:]
        for row in Territory.objects.filter(pk__in=village_ids).values_list(
            "id", "province_code", "regency_code", "district_code"
        )
    }
    ops = connection.ops
    pending = dict(counts)
    updates: list[tuple[Any, ...]] = []
    for start in range(0, len(village_ids), 500):
        chunk = village_ids[start : start + 500]
        existing = (
            MonthlyIncidentCount.objects.select_for_update()
            .filter(village_id__in=chunk)
            .values_list("village_id", "month", "category_id")
        )
        for village_id, month, category_id in existing:
            delta = pending.pop((village_id, month, category_id), 0)
            if delta:
                updates.append((delta, village_id, month, category_id))
    table = ops.quote_name(MonthlyIncidentCount._meta.db_table)
    columns = [
        "village_id",
        "month",
        "category_id",
        "count",
        "province_code",
        "regency_code",
        "district_code",
    ]
    inserts = [
        (village_id, ops.adapt_datefield_value(month), category_id, n, *codes[village_id])
        for (village_id, month, category_id), n in pending.items()
        if n
    ]
    add_by_key(MonthlyIncidentCount, updates)
    with connection.cursor() as cursor:
        if inserts and connection.vendor == "postgresql":
            copy_rows(
                MonthlyIncidentCount._meta.db_table,
                columns,
                inserts,  # the dates as they are: PostgreSQL's adapt_datefield_value keeps them
            )
        elif inserts:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in columns)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                inserts,
            )
    add_area_counts(counts, codes)


INSERT_COLUMNS = [
    "category_id",
    "village_id",
    "regency_code",
    "district_code",
    "occurred_at",
    "source",
    "source_ref",
    "latitude",
    "longitude",
    "severity",
    "description",
    "created_at",
    "created_by_id",
]


def insert_incidents(rows: list[tuple[Any, ...]]) -> None:
    """Insert rows (values in `INSERT_COLUMNS` order) in bulk (call inside atomic).

    PostgreSQL gets `COPY`, other databases one `executemany`: both several times faster than
    `bulk_create` (no model instances, no 999-parameter batches on SQLite). The caller validates
    the rows and updates the roll-ups.
    """
    from django.db import connection

    if not rows:
        return
    table = connection.ops.quote_name(Incident._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    if connection.vendor == "postgresql":
        copy_rows(Incident._meta.db_table, INSERT_COLUMNS, rows)
        return
    placeholders = ", ".join(["%s"] * len(INSERT_COLUMNS))
    adapt = connection.ops.adapt_datetimefield_value
    at, created = INSERT_COLUMNS.index("occurred_at"), INSERT_COLUMNS.index("created_at")
    stamps: dict[Any, Any] = {}  # the rows of a batch share their recording time: adapt it once
    prepared = []
    for row in rows:
        stamp = stamps.get(row[created])
        if stamp is None:
            stamp = stamps[row[created]] = adapt(row[created])
        prepared.append(
            (*row[:at], adapt(row[at]), *row[at + 1 : created], stamp, *row[created + 1 :])
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            prepared,
        )
