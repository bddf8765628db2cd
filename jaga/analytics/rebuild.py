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

import dataclasses
import datetime
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import OperationalError, connection, transaction
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

    On PostgreSQL the recount is compared with the live rows and the differences written, or,
    when many rows differ, new tables built beside the live ones and swapped in
    (`_rebuild_incidents_sql`); readers see the old roll-ups or the new ones, never a half one.
    Elsewhere the grouped rows stream through Python in batches.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic():
            return _rebuild_incidents_sql()
    return _rebuild_incidents_orm()


# An incident's month in settings.TIME_ZONE, for statements run with the session's time zone set
# to it (`local_settings(cursor, timezone=settings.TIME_ZONE)`): the cast to a timestamp is the
# conversion `AT TIME ZONE` makes, without reading the zone's name anew on every row (its
# lower-casing and look-ups: 1.5-1.8 s of CPU per 10 million incidents, BENCHMARKS.md).
LOCAL_MONTH = "date_trunc('month', occurred_at::timestamp)::date"

# Memory for the rebuild's GROUP BYs and index builds, for its transaction only: with the
# defaults (4 MB, 64 MB) ten million incidents spill to disk in every step.
REBUILD_WORK_MEM = "256MB"
REBUILD_MAINTENANCE_WORK_MEM = "512MB"
# The swap waits for the readers of the live tables at most this long at a time (readers that
# come meanwhile queue behind it), then lets them through and tries again.
SWAP_LOCK_TIMEOUT = "1s"
SWAP_ATTEMPTS = 30

log = logging.getLogger(__name__)


def _rebuild_incidents_sql() -> int:
    """Recount both roll-ups from the incidents and make the tables hold the recount, in one
    transaction: the old roll-ups until it commits, the new ones after, never a half one.

    1. The live tables are locked against writes (EXCLUSIVE: readers go on reading them; a
       writer's running count waits, as it waited for TRUNCATE before, and lands once this
       transaction commits).
    2. Fingerprints (`_fingerprints`): one hash aggregate per table (incidents, village and area
       roll-ups) sums, per village (per area), a hash of each row's month and category weighted
       by its count; the villages (areas) whose sums differ from the recount's are the suspects,
       usually none. If the roll-up's total is far off the recount's, it is built anew (3.).
    3. The recount of the suspects' village rows is compared with their live rows (a full join
       on the unique key); the rows that differ (changed, missing, not to be there) go to a
       temporary table. Usually (the running counts are right) there are few or none: they are
       written in place, through the live indexes, and nothing else is written.
    4. Were many rows to differ (more than IN_PLACE_SHARE of the table and IN_PLACE_ROWS), the
       table is built anew instead (`_Twin`: CREATE TABLE AS beside the live one, then its
       indexes and keys built once each) and swapped in at the end (`_swap`), which takes an
       ACCESS EXCLUSIVE lock from there to the commit only.
    5. The same for the district and regency rows, summed from the village rows (in place or
       new); both levels of the suspect codes compared with their live rows in one statement
       (`_area_comparisons`).

    A failure anywhere rolls the whole of it back and leaves the old tables as they were.
    """
    village = MonthlyIncidentCount._meta.db_table
    area = AreaMonthlyCount._meta.db_table
    with connection.cursor() as cursor:
        # DROP refuses a table with deferred foreign-key checks still pending in this
        # transaction: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _step(cursor, "lock against writes", f"LOCK TABLE {village}, {area} IN EXCLUSIVE MODE")
        twins: list[_Twin] = []
        with local_settings(
            cursor,
            work_mem=REBUILD_WORK_MEM,
            maintenance_work_mem=REBUILD_MAINTENANCE_WORK_MEM,
            timezone=settings.TIME_ZONE,  # LOCAL_MONTH's
        ):
            written = None if ALWAYS_ANEW else _village_in_place(cursor, village)
            if written is not None:
                source = village
            else:
                twins.append(_Twin.of(cursor, village))
                with local_settings(cursor, **VILLAGE_PLAN):
                    written = twins[-1].create(cursor, *_village_counts(), order=VILLAGE_ORDER)
                source = twins[-1].name
            if ALWAYS_ANEW or not _area_in_place(cursor, area, source):
                twins.append(_Twin.of(cursor, area))
                twins[-1].create(cursor, *_area_counts(source), order=AREA_ORDER)
            for name in PRINTS:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            for twin in twins:
                twin.finish(cursor)
        if twins:
            _swap(cursor, twins)
            # A table built anew was written without the area table's triggers, or (the village
            # table) has none: every regency's series may have moved.
            _new_regency_versions(cursor, area)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return written


VERSION_SEQUENCE = "analytics_regency_version_seq"  # migration analytics 0008


def _versions_table() -> str:
    from jaga.analytics.models import RegencyVersion

    return connection.ops.quote_name(RegencyVersion._meta.db_table)


def _new_regency_versions(cursor: Any, area: str) -> None:
    """A table built anew was written without the area table's triggers (migration analytics
    0008), or is the village table, which has none: every regency gets a new roll-up version, as
    a TRUNCATE and the INSERTs of the area rows would have given it, so no stored series, cache
    entry or coverage read under an old one is used again."""
    versions = _versions_table()
    sequence = VERSION_SEQUENCE
    cursor.execute(f"UPDATE {versions} SET version = nextval(%s)", [sequence])  # noqa: S608
    cursor.execute(
        f"INSERT INTO {versions} (regency_code, version)"  # noqa: S608
        f" SELECT code, nextval(%s) FROM (SELECT DISTINCT area_code AS code FROM {area}"
        " WHERE level = 'regency') found ORDER BY code ON CONFLICT (regency_code) DO NOTHING",
        [sequence],
    )


def _bump_village_regencies(cursor: Any, table: str, diff: str) -> None:
    """The village rows in `diff` are about to be written in place: every regency they belong to
    (before or after) gets a new roll-up version, as the area table's triggers give one to the
    regencies of the area rows written. The village rows' writes may leave the area sums as they
    were (counts moved between villages of a district), yet the regency's stored series and
    cached alarms are of its village rows."""
    cursor.execute(
        f"""
        INSERT INTO {_versions_table()} (regency_code, version)
        SELECT code, nextval(%s) FROM (
            SELECT v.regency_code AS code FROM {table} v JOIN {diff} d ON {_on_key(table)}
            UNION SELECT regency_code FROM {diff} WHERE NOT gone
        ) changed WHERE code IS NOT NULL ORDER BY code
        ON CONFLICT (regency_code) DO UPDATE SET version = EXCLUDED.version
        """,  # noqa: S608 - table names from the code
        [VERSION_SEQUENCE],
    )


# Each roll-up's primary key (migration analytics 0016): the in-place correction finds the live
# rows it writes by it.
KEYS = {
    model._meta.db_table: [f.column for f in model._meta.pk_fields]
    for model in (MonthlyIncidentCount, AreaMonthlyCount)
}


def _on_key(table: str) -> str:
    """The live row `v` of `table` is the row `d` of its comparison (by the primary key)."""
    return " AND ".join(f"v.{c} = d.{c}" for c in KEYS[table])


# Corrected row by row when at most this many rows differ from the recount (or this share of the
# table's rows, whichever is more); built anew and swapped in when more do.
IN_PLACE_ROWS = 20_000
IN_PLACE_SHARE = 0.02
# Build both tables anew whatever the comparison would find (tests and benchmarks of that path).
ALWAYS_ANEW = False

# Physical order of a table built anew: that of its unique key, so that the key's index (and
# the covering one on (area_code, month)) find their rows presorted. Sorted by bytes ("C",
# abbreviated keys: fast), which for the codes' digits and dots is their order in the
# database's collation too; were it not, those indexes would take longer to build, never
# differ. The village rows are left in the order they are counted in: sorting 7.6 million of
# them cost more than the presorted index builds saved (BENCHMARKS.md).
VILLAGE_ORDER = None
# The village counts of a table built anew read in parallel: workers scan the incidents' (village,
# category, occurred_at) index and sort each village's months while the leader groups, joins the
# territory and writes the rows, which the planner's default costs for sending rows between
# processes price out (one process did it all: 2-3 s more on a quiet machine, BENCHMARKS.md,
# *Rebuild, fourteenth session*).
VILLAGE_PLAN = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0"}
AREA_ORDER = 'area_code COLLATE "C", month, category_id'


def _limit(cursor: Any, table: str) -> float:
    """How many rows of the table may differ from the recount for it to be corrected in place."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    estimate = max(float(cursor.fetchone()[0]), 0.0)
    return max(IN_PLACE_ROWS, IN_PLACE_SHARE * estimate)


def _far_off(cursor: Any, table: str, totals: str) -> bool:
    """Whether a roll-up's total (of one level) is so far from the recount's that more rows than
    the limit must differ (a roll-up emptied, or never filled): then it is built anew at once,
    without the comparison. `totals` selects the two (or more: then each after the first)
    from the fingerprints (`_fingerprints`)."""
    cursor.execute(totals)
    total, *held = (int(n) for n in cursor.fetchone())
    limit = _limit(cursor, table)
    return any(abs(total - n) > limit for n in held)


def _correct_in_place(
    cursor: Any,
    table: str,
    comparisons: list[tuple[str, list[Any]]],
    *,
    hashed: bool = False,
    before: Callable[[Any, str, str], None] | None = None,
) -> bool:
    """Collect the rows that differ between the table and the recount (each comparison a
    SELECT of live, gone and the table's columns, see `_village_comparisons`; the live row's
    key where the recount has none) and, if few do, write them, finding the live rows by their
    primary key: update the rows whose columns differ, delete those the recount has not,
    insert those only it has (`before(cursor, table, diff)` first, if given). False
    (nothing written) if too many differ.

    The recount's groups are formed by sorting unless `hashed`: the village counts stream
    presorted out of the incidents' index, where hash tables of millions of groups would spill
    to disk; the area sums' hash tables (2.8 million districts nationally) fit in
    REBUILD_WORK_MEM times hash_mem_multiplier and take about half the time of sorting the
    7.6 million village rows once per level (BENCHMARKS.md, *Rebuild, seventh session*)."""
    diff = f"{table}_diff"
    found = 0
    with local_settings(cursor, enable_hashagg="on" if hashed else "off"):
        for k, (select, params) in enumerate(comparisons):
            start = f"CREATE TEMPORARY TABLE {diff} AS" if k == 0 else f"INSERT INTO {diff}"
            found += _step(cursor, f"{table}: recount and compare", f"{start} {select}", params)
    limit = _limit(cursor, table)
    in_place = found <= limit
    log.info(
        "rebuild: %s: %d rows differ (at most %d to correct in place): %s",
        table,
        found,
        limit,
        "corrected in place" if in_place else "built anew",
    )
    if in_place and found:
        cursor.execute(
            """
            SELECT attname FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
            ORDER BY attnum
            """,
            [table],
        )
        key = KEYS[table]
        columns = [row[0] for row in cursor.fetchall()]
        values = [c for c in columns if c not in key]
        cursor.execute(f"ANALYZE {diff}")
        if before:
            before(cursor, table, diff)
        _step(
            cursor,
            f"{table}: delete",
            f"DELETE FROM {table} v USING {diff} d WHERE {_on_key(table)} AND d.gone",  # noqa: S608
        )
        _step(
            cursor,
            f"{table}: update",
            f"""
            UPDATE {table} v SET {", ".join(f"{c} = d.{c}" for c in values)} FROM {diff} d
            WHERE {_on_key(table)} AND d.live AND NOT d.gone
            """,  # noqa: S608
        )
        _step(
            cursor,
            f"{table}: insert",
            f"""
            INSERT INTO {table} ({", ".join(columns)})
            SELECT {", ".join(columns)} FROM {diff} WHERE NOT live
            """,  # noqa: S608
        )
    cursor.execute(f"DROP TABLE {diff}")
    return in_place


# Fingerprints (`_fingerprints`): each (month, category) of a roll-up row has two 32-bit hashes;
# a village's (an area's) fingerprint is its rows' total and the sums of count x hash, exact
# integers. It is linear in the counts: the sums over the incidents of a village of their (month,
# category) hashes equal those over its village rows if the rows hold the right counts, and a
# district's (a regency's) are the sums of its villages'. So it is taken from the incidents
# without grouping them into roll-up rows first (a hash aggregate into 83,762 villages, not a
# sort or hash of 7.6 million groups), and the areas' expected ones from the villages'. Rows that
# differ change it unless their differences d_i give sum(d_i h(i)) = 0 for both hashes at once:
# about one chance in 2^64 per village (area) that differs.
PRINTS = ("rebuild_counted", "rebuild_held", "rebuild_area_held")  # temporary tables


def _hash_sums(key: str, weight: str | None = None) -> str:
    """The two hash sums of the rows' `key`, an int8 (`_hash_key`), each weighted by `weight`."""
    hashes = [f"hashint8({key})", f"(hashint8extended({key}, 1) >> 32)::int4"]
    if weight is None:
        return ", ".join(f"sum({h}) AS h{k}" for k, h in enumerate(hashes, 1))
    return ", ".join(f"sum(({weight})::int8 * {h}) AS h{k}" for k, h in enumerate(hashes, 1))


def _hash_key(month: str, category: str) -> str:
    return f"((({month}) - DATE '2000-01-01')::int8 * 4294967296 + ({category}))"


def _codes_hash(table: str) -> str:
    """A 64-bit hash of a row's three territory codes."""
    codes = " || '/' || ".join(
        f"{table}.{c}" for c in ("province_code", "regency_code", "district_code")
    )
    return f"hashtextextended({codes}, 0)"


def _fingerprints(cursor: Any, *names: str) -> None:
    """The temporary tables `names` of `PRINTS` not made yet in this rebuild: the recount's
    fingerprint of each village, from the incidents (n, h1, h2); the village roll-up's (the
    same, and its rows, whether one has a count of 0 or less, and the sum of its rows' codes'
    hashes); the area roll-up's, per level, code and parent. Each one (parallel) scan and hash
    aggregate of a table."""
    from jaga.incidents.models import Incident

    counted, held, area_held = PRINTS
    village = MonthlyIncidentCount._meta.db_table
    area = AreaMonthlyCount._meta.db_table
    statements: dict[str, tuple[str, list[Any]]] = {
        counted: (
            f"""
            SELECT village_id, count(*) AS n, {_hash_sums("k")}
            FROM (
                SELECT village_id, {_hash_key(LOCAL_MONTH, "category_id")} AS k
                FROM {Incident._meta.db_table}
            ) i
            GROUP BY village_id
            """,  # noqa: S608 - table names from the models
            [],
        ),
        held: (
            f"""
            SELECT village_id, sum(count) AS n, {_hash_sums("k", "count")},
                   bool_or(count <= 0) AS bad, count(*) AS rows,
                   sum({_codes_hash("v")}) AS codes
            FROM (SELECT *, {_hash_key("month", "category_id")} AS k FROM {village}) v
            GROUP BY village_id
            """,  # noqa: S608
            [],
        ),
        area_held: (
            f"""
            SELECT level, area_code, parent_code, sum(count) AS n, {_hash_sums("k", "count")},
                   bool_or(count <= 0) AS bad
            FROM (SELECT *, {_hash_key("month", "category_id")} AS k FROM {area}) a
            GROUP BY level, area_code, parent_code
            """,  # noqa: S608
            [],
        ),
    }
    for name in names:
        if not _made(cursor, name):
            sql, params = statements[name]
            with local_settings(cursor, timezone=settings.TIME_ZONE):  # LOCAL_MONTH's
                _step(
                    cursor,
                    f"fingerprints: {name}",
                    f"CREATE TEMPORARY TABLE {name} AS {sql}",
                    params,
                )
            cursor.execute(f"ANALYZE {name}")


# The suspects' rows are compared alone when they are at most this share of the villages (of
# the area codes); more, and the whole tables are (the restricted plans read the suspects' rows
# through indexes: 42 s for a third of the area codes against 26-37 s for the whole comparison,
# BENCHMARKS.md, *Rebuild, eighth session*).
SUSPECTS_SHARE = 0.1


def _few(cursor: Any, found: int, prints: str) -> bool:
    """Whether `found` suspects are few enough (`SUSPECTS_SHARE`) among the rows of `prints`."""
    cursor.execute(f"SELECT count(*) FROM {prints}")  # noqa: S608
    return found <= SUSPECTS_SHARE * int(cursor.fetchone()[0])


def _made(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{name}"])
    return cursor.fetchone()[0] is not None


def _village_suspects() -> str:
    """The villages whose fingerprints differ between the recount and the village roll-up, or
    who have a row of count 0 or less there, or are on one side only: the only villages whose
    rows can differ from the recount. The codes: the sum over the village's rows of the hash of
    their codes against their number times that of the territory's codes (equal, but for one
    chance in 2^64, only if every row has them)."""
    counted, held, _area = PRINTS
    return f"""
        SELECT coalesce(r.village_id, l.village_id) AS id
        FROM (
            SELECT r.*, {_codes_hash("t")}::numeric AS codes
            FROM {counted} r LEFT JOIN {Territory._meta.db_table} t ON t.id = r.village_id
        ) r
        FULL JOIN {held} l ON l.village_id = r.village_id
        WHERE r.village_id IS NULL OR l.village_id IS NULL OR l.bad
           OR (l.n, l.h1, l.h2, l.codes) IS DISTINCT FROM (r.n, r.h1, r.h2, l.rows * r.codes)
    """  # noqa: S608 - table names from the code


def _area_suspects() -> tuple[str, list[Any]]:
    """The area codes whose district or regency rows' fingerprints (per level, code and parent)
    differ from the sums of their villages' in the recount, which the village roll-up holds by
    now, or that have a row of count 0 or less, or are on one side only."""
    counted, _held, area_held = PRINTS
    (district, d_field, d_parent), (regency, r_field, r_parent) = AREA_LEVELS
    sql = f"""
        SELECT DISTINCT coalesce(s.area_code, l.area_code) AS id
        FROM (
            SELECT CASE WHEN grouping({d_field}) = 0 THEN %s ELSE %s END AS level,
                   CASE WHEN grouping({d_field}) = 0 THEN {d_field} ELSE {r_field} END
                       AS area_code,
                   CASE WHEN grouping({d_field}) = 0 THEN {d_parent} ELSE {r_parent} END
                       AS parent_code,
                   sum(n) AS n, sum(h1) AS h1, sum(h2) AS h2
            FROM {counted} c JOIN {Territory._meta.db_table} t ON t.id = c.village_id
            GROUP BY GROUPING SETS (({d_field}, {d_parent}), ({r_field}, {r_parent}))
        ) s
        FULL JOIN {area_held} l
            ON l.level = s.level AND l.area_code = s.area_code AND l.parent_code = s.parent_code
        WHERE s.area_code IS NULL OR l.area_code IS NULL OR l.bad
           OR (l.n, l.h1, l.h2) IS DISTINCT FROM (s.n, s.h1, s.h2)
    """  # noqa: S608 - table and column names from the code, not from input
    return sql, [str(district), str(regency)]


@contextmanager
def _suspects(cursor: Any, table: str, sql: str, params: list[Any]) -> Iterator[int]:
    """A temporary table `{table}_suspects` of the ids `sql` finds (villages, area codes) whose
    rows may differ, for the comparisons to look at theirs only; yields how many."""
    name = f"{table}_suspects"
    found = _step(cursor, f"{table}: suspects", f"CREATE TEMPORARY TABLE {name} AS {sql}", params)
    log.info("rebuild: %s: %d suspects (fingerprints differ)", table, found)
    cursor.execute(f"ANALYZE {name}")
    yield found
    cursor.execute(f"DROP TABLE {name}")


def _village_in_place(cursor: Any, village: str) -> int | None:
    """Unless the village roll-up's total is far off the recount's, its rows compared with the
    recount, the villages whose fingerprints differ only, and corrected in place if few differ
    (`_correct_in_place`): the rows the table holds then. None: to be built anew."""
    from jaga.incidents.models import Incident

    counted, held, _area = PRINTS
    _fingerprints(cursor, held)
    total = f"(SELECT coalesce(sum(n), 0) FROM {held})"  # noqa: S608
    # Against the planner's estimate of the incidents first: an emptied roll-up is built anew
    # after a count(*), without the recount's fingerprints.
    incidents = Incident._meta.db_table
    estimate = f"(SELECT reltuples::int8 FROM pg_class WHERE oid = '{incidents}'::regclass)"  # noqa: S608
    if _far_off(cursor, village, f"SELECT {estimate}, {total}") and _far_off(
        cursor,
        village,
        f"SELECT (SELECT count(*) FROM {incidents}), {total}",  # noqa: S608
    ):
        return None
    _fingerprints(cursor, counted)
    if _far_off(cursor, village, f"SELECT (SELECT coalesce(sum(n), 0) FROM {counted}), {total}"):  # noqa: S608
        return None
    with _suspects(cursor, village, _village_suspects(), []) as found:
        if not found:
            cursor.execute(f"SELECT coalesce(sum(rows), 0) FROM {held}")  # noqa: S608
            return int(cursor.fetchone()[0])
        only = f"{village}_suspects" if _few(cursor, found, held) else None
        if not _correct_in_place(
            cursor, village, _village_comparisons(only), before=_bump_village_regencies
        ):
            return None
    cursor.execute(f"SELECT count(*) FROM {village}")  # noqa: S608
    return int(cursor.fetchone()[0])


def _area_in_place(cursor: Any, area: str, source: str) -> bool:
    """The same for the area rows, against the sums of the village rows in `source`, which hold
    the recount by now. False: to be built anew."""
    counted, _held, area_held = PRINTS
    _fingerprints(cursor, area_held)
    levels = [str(level) for level, _f, _p in AREA_LEVELS]
    # The village rows' total: the recount's, which they hold by now.
    if _made(cursor, counted):
        total = f"SELECT coalesce(sum(n), 0) FROM {counted}"  # noqa: S608
    else:
        total = f"SELECT coalesce(sum(count), 0) FROM {source}"  # noqa: S608
    totals = f"SELECT ({total}), " + ", ".join(  # noqa: S608
        f"(SELECT coalesce(sum(n), 0) FROM {area_held} WHERE level = '{level}')"  # noqa: S608
        for level in levels
    )
    if _far_off(cursor, area, totals):
        return False
    _fingerprints(cursor, counted)
    with _suspects(cursor, area, *_area_suspects()) as found:
        if not found:
            return True
        only = f"{area}_suspects" if _few(cursor, found, area_held) else None
        return _correct_in_place(cursor, area, _area_comparisons(source, only), hashed=True)


def _village_comparisons(suspects: str | None = None) -> list[tuple[str, list[Any]]]:
    """The village rows that differ from the recount of the incidents (of the villages in the
    table `suspects` only, if given). Grouped in the order of the roll-up's unique key, so that
    the counts stream out of the incidents' (village, ...) index into a merge join with the
    roll-up's key; the territory's codes are joined after."""
    from jaga.incidents.models import Incident

    village = MonthlyIncidentCount._meta.db_table
    only = f"WHERE village_id IN (SELECT id FROM {suspects})" if suspects else ""  # noqa: S608
    sql = f"""
        SELECT v.village_id IS NOT NULL AS live, g.village_id IS NULL AS gone,
               coalesce(g.village_id, v.village_id) AS village_id,
               coalesce(g.month, v.month) AS month,
               coalesce(g.category_id, v.category_id) AS category_id, g.count,
               t.province_code, t.regency_code, t.district_code
        FROM (
            SELECT village_id, {LOCAL_MONTH} AS month, category_id, count(*) AS count
            FROM {Incident._meta.db_table}
            {only}
            GROUP BY village_id, month, category_id
        ) g
        FULL JOIN (SELECT * FROM {village} {only}) v
            ON v.village_id = g.village_id AND v.month = g.month AND v.category_id = g.category_id
        LEFT JOIN {Territory._meta.db_table} t ON t.id = g.village_id
        WHERE v.village_id IS NULL OR g.village_id IS NULL
           OR (v.count, v.province_code, v.regency_code, v.district_code)
              IS DISTINCT FROM (g.count, t.province_code, t.regency_code, t.district_code)
    """  # noqa: S608 - table names from the models
    return [(sql, [])]


def _area_comparisons(source: str, suspects: str | None = None) -> list[tuple[str, list[Any]]]:
    """The area rows that differ from the sums of the village rows in `source` (`_area_counts`),
    every level in one statement: the sums of all levels (hash aggregates) joined to the whole
    area roll-up on its unique key (a code names one area of one level), one hash full join.
    A live row the sums have not (of a level no longer there too) is gone; one of another
    level, parent or count is corrected. With `suspects` (a table of area codes), the rows of
    those codes only, of every level."""
    area = AreaMonthlyCount._meta.db_table
    sums, params = _area_counts(source, suspects)
    only = f"WHERE area_code IN (SELECT id FROM {suspects})" if suspects else ""  # noqa: S608
    sql = f"""
        SELECT v.area_code IS NOT NULL AS live, r.area_code IS NULL AS gone,
               r.level, coalesce(r.area_code, v.area_code) AS area_code, r.parent_code,
               coalesce(r.month, v.month) AS month,
               coalesce(r.category_id, v.category_id) AS category_id, r.count
        FROM ({sums}) r
        FULL JOIN (SELECT * FROM {area} {only}) v
            ON v.area_code = r.area_code AND v.month = r.month AND v.category_id = r.category_id
        WHERE v.area_code IS NULL OR r.area_code IS NULL
           OR (v.level, v.parent_code, v.count) IS DISTINCT FROM (r.level, r.parent_code, r.count)
    """  # noqa: S608 - table and column names from the code, not from input
    return [(sql, params)]


def _step(cursor: Any, label: str, sql: str, params: Any = None) -> int:
    """Execute one statement of the rebuild and log its time; returns its row count."""
    started = time.monotonic()
    cursor.execute(sql, params)
    log.info("rebuild: %s: %.2f s", label, time.monotonic() - started)
    return max(int(cursor.rowcount), 0)


def _village_counts() -> tuple[str, list[Any]]:
    """The village roll-up's columns grouped from the incidents."""
    from jaga.incidents.models import Incident

    # Counted first, the territory's codes joined to the counts after: the GROUP BY's keys are
    # three numbers, not three numbers and three strings. Grouped in the order of the
    # incidents' (village, category, occurred_at) index.
    sql = f"""
        SELECT g.village_id, g.month, g.category_id, g.n AS count,
               t.province_code, t.regency_code, t.district_code
        FROM (
            SELECT village_id, category_id, {LOCAL_MONTH} AS month, count(*) AS n
            FROM {Incident._meta.db_table}
            GROUP BY village_id, category_id, month
        ) g
        JOIN {Territory._meta.db_table} t ON t.id = g.village_id
    """  # noqa: S608 - table names from the models
    return sql, []


def _area_counts(source: str, suspects: str | None = None) -> tuple[str, list[Any]]:
    """The area roll-up's columns, every level summed from the village rows in
    `source` (of the area codes in the table `suspects` only, if given)."""
    parts = [
        f"""
        SELECT %s AS level, {field} AS area_code, {parent} AS parent_code, month, category_id,
               SUM(count) AS count
        FROM {source}
        {f"WHERE {field} IN (SELECT id FROM {suspects})" if suspects else ""}
        GROUP BY {field}, {parent}, month, category_id
        """  # noqa: S608 - table and column names from the code, not from input
        for _level, field, parent in AREA_LEVELS
    ]
    return " UNION ALL ".join(parts), [str(level) for level, _f, _p in AREA_LEVELS]


@dataclass
class _Twin:
    """A new table shaped like a live one: its columns in their order, types and collations,
    filled by CREATE TABLE AS; then (`finish`) the live table's NOT NULLs, defaults,
    owner, grants, storage options, constraints and indexes under temporary names, and its
    statistics. `_swap` gives it the live table's place and names.

    The roll-ups are keyed by their rows (migration analytics 0016): a table with numbered rows
    (an identity or serial column) is refused, its numbers could not be kept."""

    table: str
    name: str
    columns: list[tuple[str, str]]  # (name, "type COLLATE ..." as the live column's)
    alter: list[str]  # ALTER TABLE subcommands: NOT NULLs, defaults
    grants: list[str]  # statements on the twin: owner, grants, storage options
    constraints: list[tuple[str, str, str]]  # (live name, temporary name, definition)
    indexes: list[tuple[str, str, str]]  # (live name, temporary name, CREATE INDEX ...)
    rows: int = 0
    # CREATE TRIGGER statements of the live table (`pg_get_triggerdef`), made again on this one
    # once it has the live table's name.
    triggers: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, cursor: Any, table: str) -> _Twin:
        quote = connection.ops.quote_name
        twin = cls(table, f"{table}_rebuild", [], [], [], [], [])
        cursor.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> t.typcollation
                        THEN quote_ident(n.nspname) || '.' || quote_ident(c.collname) END,
                   a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid),
                   pg_get_serial_sequence(%s, a.attname)
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_collation c ON c.oid = a.attcollation
            LEFT JOIN pg_namespace n ON n.oid = c.collnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            [table, table],
        )
        for name, kind, collation, not_null, identity, default, sequence in cursor.fetchall():
            twin.columns.append((name, f"{kind} COLLATE {collation}" if collation else kind))
            if not_null:
                twin.alter.append(f"ALTER {quote(name)} SET NOT NULL")
            if identity or sequence:
                raise ValueError(f"{table}.{name}: numbered rows, which a copy cannot keep")
            if default is not None:
                twin.alter.append(f"ALTER {quote(name)} SET DEFAULT {default}")
        cursor.execute(
            """
            SELECT c.relowner::regrole::text, c.reloptions, c.relrowsecurity
            FROM pg_class c WHERE c.oid = %s::regclass
            """,
            [table],
        )
        owner, options, row_security = cursor.fetchone()
        if row_security:
            raise ValueError(f"{table} has row security: a copy would lose it")
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
            [table],
        )
        twin.triggers = [row[0] for row in cursor.fetchall()]
        target = quote(twin.name)
        twin.grants.append(f"ALTER TABLE {target} OWNER TO {owner}")
        if options:
            twin.grants.append(f"ALTER TABLE {target} SET ({', '.join(options)})")
        cursor.execute(
            """
            SELECT a.privilege_type,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                   a.is_grantable
            FROM pg_class c, aclexplode(c.relacl) a
            WHERE c.oid = %s::regclass AND a.grantee <> c.relowner
            """,
            [table],
        )
        for privilege, grantee, grantable in cursor.fetchall():
            option = " WITH GRANT OPTION" if grantable else ""
            twin.grants.append(f"GRANT {privilege} ON {target} TO {grantee}{option}")
        twin._read_keys(cursor)
        return twin

    def _read_keys(self, cursor: Any) -> None:
        """The live table's constraints and indexes (not those of a constraint), to be made on
        this one under temporary names."""
        quote = connection.ops.quote_name
        target = quote(self.name)
        table = self.table
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass
            ORDER BY array_position(ARRAY['p', 'u', 'x', 'c', 'f']::"char"[], contype), conname
            """,
            [table],
        )
        for k, (name, definition) in enumerate(cursor.fetchall()):
            self.constraints.append((name, f"{self.name}_c{k}", definition))
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c
                WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid
            )
            ORDER BY 1
            """,
            [table],
        )
        for k, (name, definition) in enumerate(cursor.fetchall()):
            temporary = f"{self.name}_i{k}"
            found = INDEX_DEFINITION.match(definition)
            if not found:
                raise ValueError(f"{name}: cannot read {definition!r}")
            create = f"CREATE {found['unique'] or ''}INDEX {temporary} ON {target} {found['rest']}"
            self.indexes.append((name, temporary, create))

    def create(self, cursor: Any, select: str, params: list[Any], *, order: str | None) -> int:
        """CREATE TABLE AS the rows of `select` (named as the live columns), in `order` if
        given."""
        quote = connection.ops.quote_name
        listed = ",\n".join(
            f"CAST(s.{quote(name)} AS {kind}) AS {quote(name)}" for name, kind in self.columns
        )
        self.rows = _step(
            cursor,
            f"{self.table}: create and fill",
            f"""
            CREATE TABLE {quote(self.name)} AS
            SELECT {listed}
            FROM ({select}) s
            {f"ORDER BY {order}" if order else ""}
            """,  # noqa: S608 - names from the catalog and the code
            params,
        )
        return self.rows

    def finish(self, cursor: Any) -> None:
        """NOT NULLs, defaults, owner and grants, then constraints and indexes (each built or
        checked once), then statistics."""
        quote = connection.ops.quote_name
        target = quote(self.name)
        if self.alter:
            _step(
                cursor, f"{self.table}: NOT NULL", f"ALTER TABLE {target} {', '.join(self.alter)}"
            )
        for statement in self.grants:
            cursor.execute(statement)
        foreign = [c for c in self.constraints if c[2].startswith("FOREIGN KEY")]
        for name, temporary, definition in [c for c in self.constraints if c not in foreign]:
            _step(
                cursor,
                f"{self.table}: {name}",
                f"ALTER TABLE {target} ADD CONSTRAINT {temporary} {definition}",
            )
        for name, _temporary, create in self.indexes:
            _step(cursor, f"{self.table}: {name}", create)
        for name, temporary, definition in foreign:
            _step(
                cursor,
                f"{self.table}: {name}",
                f"ALTER TABLE {target} ADD CONSTRAINT {temporary} {definition}",
            )
        _step(cursor, f"{self.table}: analyze", f"ANALYZE {target}")

    def take_place(self, cursor: Any) -> None:
        """Drop the live table, give this one its name and its indexes' and constraints' names
        (call with the live table locked)."""
        quote = connection.ops.quote_name
        live = quote(self.table)
        cursor.execute(f"DROP TABLE {live}")
        cursor.execute(f"ALTER TABLE {quote(self.name)} RENAME TO {live}")
        for name, temporary, _definition in self.constraints:
            cursor.execute(f"ALTER TABLE {live} RENAME CONSTRAINT {temporary} TO {quote(name)}")
        for name, temporary, _create in self.indexes:
            cursor.execute(f"ALTER INDEX {temporary} RENAME TO {name}")
        # The live table's triggers went with it: made again, naming the table it now is.
        for create in self.triggers:
            cursor.execute(create)


INDEX_DEFINITION = re.compile(
    r"^CREATE (?P<unique>UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (?P<rest>USING .*)$"
)


def _swap(cursor: Any, twins: list[_Twin]) -> None:
    """Put the twins in the live tables' places. The ACCESS EXCLUSIVE lock this takes waits for
    the readers of the live tables; it is asked for at most SWAP_LOCK_TIMEOUT at a time (the
    readers that come meanwhile wait behind it), so that a long read makes the pages wait for
    the swap a second at most; after SWAP_ATTEMPTS the rebuild fails and is rolled back."""
    tables = ", ".join(connection.ops.quote_name(t.table) for t in twins)
    started = time.monotonic()
    with local_settings(cursor, lock_timeout=SWAP_LOCK_TIMEOUT):
        for attempt in range(SWAP_ATTEMPTS):
            try:
                with transaction.atomic():
                    cursor.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
                break
            except OperationalError:
                if attempt == SWAP_ATTEMPTS - 1:
                    raise
                log.info("rebuild: the readers of %s hold the swap back, waiting", tables)
                time.sleep(1)
    for twin in twins:
        twin.take_place(cursor)
    log.info("rebuild: swap: %.2f s", time.monotonic() - started)


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
    """Rebuild every roll-up from scratch (the service `rebuild_rollups` records the run).

    The incidents' roll-ups last: on PostgreSQL their swap locks them against readers from
    there to the end of the caller's transaction, which should thus come soon after."""
    metrics = rebuild_metrics()
    return {"incidents": rebuild_incidents(), **metrics}
