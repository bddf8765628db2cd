"""Rebuild the roll-ups from the records: incidents here, every other figure from a registry.

Apps register a function that yields their rows of MonthlyMetric, with the metric prefixes they
own (only those are replaced, so a figure nobody can rebuild is never wiped) and every metric name
it recounts (from the app's `metrics` module, see `jaga.analytics.metric`):

    from jaga.analytics.rebuild import register
    from jaga.servicedesk import metrics

    @register(*metrics.PREFIXES, metrics=metrics.ALL)
    def request_rows():
        for village_id, moment, service_code, ... in ...:
            yield MetricRow(village_id, month_start(moment), metrics.RECEIVED, service_code, 1)

The registry thus knows every valid metric name and which rebuilder recounts it
(`registered_metrics`); a rebuilder yielding a name it did not register is an error.

Rows with the same (village, month, metric, key) are summed, so a function may yield one row per
record or pre-aggregated rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncMonth

from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric
from jaga.core.months import month_start
from jaga.territory.models import Territory


class MetricRow(NamedTuple):
    village_id: int
    month: datetime.date
    metric: str
    key: str
    value: int


@dataclass
class Rebuilder:
    prefixes: tuple[str, ...]
    rows: Callable[[], Iterable[MetricRow]]
    name: str
    metrics: frozenset[str]


REGISTRY: dict[str, Rebuilder] = {}


def register(
    *prefixes: str, metrics: Iterable[str]
) -> Callable[[Callable[[], Iterable[MetricRow]]], Any]:
    """Decorator: the function yields MetricRow for `metrics`, every one of them starting with
    one of `prefixes` (the rows a rebuild replaces). A name already registered by another
    rebuilder is refused: each figure has one rebuilder."""
    names = frozenset(metrics)
    if not names:
        raise ValueError(f"no metric names registered for {prefixes}")
    outside = sorted(n for n in names if not n.startswith(prefixes))
    if outside:
        raise ValueError(f"{outside} outside {prefixes}")

    def wrap(func: Callable[[], Iterable[MetricRow]]) -> Callable[[], Iterable[MetricRow]]:
        name = f"{func.__module__}.{func.__qualname__}"
        taken = {
            metric: other.name
            for other in REGISTRY.values()
            if other.name != name
            for metric in other.metrics & names
        }
        if taken:
            raise ValueError(f"{name} registers metrics already registered: {taken}")
        REGISTRY[name] = Rebuilder(tuple(prefixes), func, name, names)
        return func

    return wrap


def registered_metrics() -> dict[str, Rebuilder]:
    """Every registered metric name and the rebuilder that recounts it."""
    return {metric: r for r in REGISTRY.values() for metric in sorted(r.metrics)}


def grouped(
    qs: QuerySet[Any],
    metric: str,
    *,
    village: str,
    moment: str,
    key: str = "",
    key_field: str | None = None,
    value: str | None = None,
) -> Iterator[MetricRow]:
    """One row per village, local month of `moment` and key: the count of `qs` (or the sum of
    `value`). Months are cut in the database's current time zone, as `month_start` cuts them."""
    fields: dict[str, Any] = {"v": F(village), "m": TruncMonth(moment)}
    if key_field:
        fields["k"] = F(key_field)
    rows = (
        qs.order_by()
        .annotate(**fields)
        .values(*fields)
        .annotate(n=Sum(value) if value else Count("pk"))
        .values_list(*fields, "n")
    )
    for village_id, month, *found, n in rows.iterator(chunk_size=BATCH):
        if n:
            yield MetricRow(village_id, month_start(month), metric, found[0] if found else key, n)


def _codes() -> dict[int, tuple[str, str, str]]:
    return {
        pk: (p, r, d)
        for pk, p, r, d in Territory.objects.filter(level="village").values_list(
            "id", "province_code", "regency_code", "district_code"
        )
    }


BATCH = 5000


def rebuild_incidents() -> int:
    """Replace MonthlyIncidentCount (and AreaMonthlyCount) with counts from the Incident table.
    Returns the village rows written.

    On PostgreSQL it happens in the database (`_rebuild_incidents_sql`); elsewhere the grouped
    rows stream through Python in batches.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic():
            return _rebuild_incidents_sql()
    return _rebuild_incidents_orm()


# Memory for the rebuild's GROUP BYs and index builds, for its transaction only: with the
# defaults (4 MB, 64 MB) ten million incidents spill to disk in every step.
REBUILD_WORK_MEM = "256MB"
REBUILD_MAINTENANCE_WORK_MEM = "512MB"


def _rebuild_incidents_sql() -> int:
    """Both roll-ups in a few statements: empty them, drop their indexes and foreign keys,
    INSERT ... SELECT the village counts from the incidents and the district and regency counts
    from the village counts, then build the indexes and check the foreign keys once each.

    Maintaining five indexes row by row and queueing two deferred foreign-key checks per row
    (each a lookup that locks the referenced row) cost several times the counting itself on a
    national register. Everything is one transaction, so a failure leaves the old roll-ups and
    their indexes as they were; while it runs, the roll-up tables are locked (as TRUNCATE
    always locked them) and rows of territory and category cannot be written.
    """
    village = MonthlyIncidentCount._meta.db_table
    area = AreaMonthlyCount._meta.db_table
    with connection.cursor() as cursor:
        # ALTER and TRUNCATE refuse a table with deferred foreign-key checks still pending in
        # this transaction: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with local_settings(
            cursor,
            work_mem=REBUILD_WORK_MEM,
            maintenance_work_mem=REBUILD_MAINTENANCE_WORK_MEM,
        ):
            restore = _drop_indexes(cursor, village) + _drop_indexes(cursor, area)
            cursor.execute(f"TRUNCATE {village}, {area}")
            written = _insert_village_counts(cursor)
            _insert_area_counts(cursor)
            for statement in restore:
                cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return written


@contextmanager
def local_settings(cursor: Any, **values: str) -> Iterator[None]:
    """PostgreSQL settings for the statements inside (call inside a transaction), put back
    after: SET LOCAL alone would keep them until an outer transaction ends. On an error the
    transaction's rollback puts them back."""
    before = {}
    for name, value in values.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        before[name] = cursor.fetchone()[0]
    yield
    for name, value in before.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _drop_indexes(cursor: Any, table: str) -> list[str]:
    """Drop the table's indexes (but its primary key), unique constraints and foreign keys;
    return the statements that put each back as it was, the unique constraints first and the
    foreign keys last (checked then, in one query each)."""
    quote = connection.ops.quote_name
    cursor.execute(
        """
        SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
        ORDER BY contype DESC, conname
        """,
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c
            WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid
        )
        ORDER BY 1
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, _kind, _definition in constraints:
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")  # regclass text: already quoted as needed
    unique = [(n, d) for n, kind, d in constraints if kind == "u"]
    foreign = [(n, d) for n, kind, d in constraints if kind == "f"]
    return (
        [f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(n)} {d}" for n, d in unique]
        + [definition for _name, definition in indexes]
        + [f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(n)} {d}" for n, d in foreign]
    )


def _insert_village_counts(cursor: Any) -> int:
    from jaga.incidents.models import Incident

    target = MonthlyIncidentCount._meta.db_table
    # Counted first, the territory's codes joined to the counts after: the GROUP BY's keys are
    # three numbers, not three numbers and three strings.
    cursor.execute(
        f"""
        INSERT INTO {target}
            (village_id, month, category_id, count, province_code, regency_code, district_code)
        SELECT g.village_id, g.month, g.category_id, g.n,
               t.province_code, t.regency_code, t.district_code
        FROM (
            SELECT village_id, category_id,
                   date_trunc('month', occurred_at AT TIME ZONE %s)::date AS month, count(*) AS n
            FROM {Incident._meta.db_table}
            GROUP BY village_id, category_id, month
        ) g
        JOIN {Territory._meta.db_table} t ON t.id = g.village_id
        """,  # noqa: S608 - table names from the models
        [settings.TIME_ZONE],
    )
    return int(cursor.rowcount)


def _insert_area_counts(cursor: Any) -> int:
    area = AreaMonthlyCount._meta.db_table
    village = MonthlyIncidentCount._meta.db_table
    written = 0
    for level, field, parent in AREA_LEVELS:
        cursor.execute(
            f"""
            INSERT INTO {area} (level, area_code, parent_code, month, category_id, count)
            SELECT %s, {field}, {parent}, month, category_id, SUM(count)
            FROM {village}
            GROUP BY {field}, {parent}, month, category_id
            """,  # noqa: S608 - table and column names from the code, not from input
            [str(level)],
        )
        written += max(cursor.rowcount, 0)
    return written


def _rebuild_incidents_orm() -> int:
    from jaga.incidents.models import Incident

    codes = _codes()
    with transaction.atomic():
        MonthlyIncidentCount.objects.all().delete()
        grouped = (
            Incident.objects.order_by()
            .annotate(m=TruncMonth("occurred_at"))
            .values("village_id", "m", "category_id")
            .annotate(n=Count("id"))
            .values_list("village_id", "m", "category_id", "n")
        )
        batch: list[MonthlyIncidentCount] = []
        written = 0
        for village_id, month, category_id, n in grouped.iterator(chunk_size=BATCH):
            p, r, d = codes[village_id]
            day = month.date() if isinstance(month, datetime.datetime) else month
            batch.append(
                MonthlyIncidentCount(
                    village_id=village_id,
                    month=day,
                    category_id=category_id,
                    count=n,
                    province_code=p,
                    regency_code=r,
                    district_code=d,
                )
            )
            if len(batch) >= BATCH:
                MonthlyIncidentCount.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        MonthlyIncidentCount.objects.bulk_create(batch)
        written += len(batch)
        rebuild_areas()
    return written


AREA_LEVELS = (
    (AreaLevel.DISTRICT, "district_code", "regency_code"),
    (AreaLevel.REGENCY, "regency_code", "province_code"),
)


def rebuild_areas() -> int:
    """Replace AreaMonthlyCount by summing MonthlyIncidentCount per district and per regency.

    Plain SQL (INSERT ... SELECT ... GROUP BY), the same on SQLite and PostgreSQL.
    """
    area = AreaMonthlyCount._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {area}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute(f"DELETE FROM {area}")  # noqa: S608 - table names from the models
        return _insert_area_counts(cursor)


def rebuild_metrics(names: list[str] | None = None) -> dict[str, int]:
    """Replace the metrics of every registered rebuilder (or those named). Rows written per one."""
    codes = _codes()
    done: dict[str, int] = {}
    for name, rebuilder in REGISTRY.items():
        if names and name not in names:
            continue
        with transaction.atomic():
            for prefix in rebuilder.prefixes:
                MonthlyMetric.objects.filter(metric__startswith=prefix).delete()
            sums: dict[tuple[int, datetime.date, str, str], int] = defaultdict(int)
            for row in rebuilder.rows():
                if row.metric not in rebuilder.metrics:
                    raise ValueError(f"{name} yielded {row.metric}, outside its registered metrics")
                sums[(row.village_id, row.month.replace(day=1), row.metric, row.key)] += row.value
            objs = []
            for (village_id, month, metric, key), value in sums.items():
                if not value:
                    continue  # a figure counted up and down again: the bumps leave 0, we none
                p, r, d = codes[village_id]
                objs.append(
                    MonthlyMetric(
                        village_id=village_id,
                        month=month,
                        metric=metric,
                        key=key,
                        value=value,
                        province_code=p,
                        regency_code=r,
                        district_code=d,
                    )
                )
            MonthlyMetric.objects.bulk_create(objs, batch_size=BATCH)
        done[name] = len(objs)
    return done


def rebuild_all() -> dict[str, int]:
    """Rebuild every roll-up from scratch (the service `rebuild_rollups` records the run)."""
    written = {"incidents": rebuild_incidents()}
    written.update(rebuild_metrics())
    return written
