"""Roll-ups are updated inside the transaction that writes the record they count."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F

from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric
from jaga.core import prepared
from jaga.core.months import month_start
from jaga.territory.models import Territory


def _add(
    model: type[models.Model], key: dict[str, Any], field: str, delta: int, extra: dict[str, Any]
) -> None:
    """UPDATE ... SET field = field + delta, or INSERT when the row does not exist yet.

    Two writers may both find no row; the loser's INSERT hits the unique key inside a savepoint
    and falls back to the UPDATE, so no count is lost.
    """
    if model._default_manager.filter(**key).update(**{field: F(field) + delta}):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**key, **extra, **{field: delta})
    except IntegrityError:
        model._default_manager.filter(**key).update(**{field: F(field) + delta})


def bump_incidents(
    village: Territory, moment: datetime.datetime | datetime.date, category_id: int, delta: int
) -> None:
    """Add `delta` to the village's count for the month and category (call inside atomic).

    The district and regency rows of the same month and category move with it.
    """
    month = month_start(moment)
    _add(
        MonthlyIncidentCount,
        {"village": village, "month": month, "category_id": category_id},
        "count",
        delta,
        {
            "province_code": village.province_code,
            "regency_code": village.regency_code,
            "district_code": village.district_code,
        },
    )
    for level, code, parent in (
        (AreaLevel.DISTRICT, village.district_code, village.regency_code),
        (AreaLevel.REGENCY, village.regency_code, village.province_code),
    ):
        _add(
            AreaMonthlyCount,
            {"area_code": code, "month": month, "category_id": category_id},
            "count",
            delta,
            {"level": level, "parent_code": parent},
        )


def bump_metric(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metric: str,
    delta: int,
    key: str = "",
) -> None:
    """Add `delta` to a monthly figure of a village (call inside the writer's transaction)."""
    _add(
        MonthlyMetric,
        {"village": village, "month": month_start(moment), "metric": metric, "key": key},
        "value",
        delta,
        {
            "province_code": village.province_code,
            "regency_code": village.regency_code,
            "district_code": village.district_code,
        },
    )


def bump_metrics(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metrics: Iterable[str],
    delta: int,
    key: str = "",
) -> None:
    """`bump_metric` for several figures of one village, month and key at once: one UPDATE for
    the rows that exist (the usual case), an INSERT only for those that do not yet."""
    names = sorted(set(metrics))
    if not names:
        return
    sql, params = metrics_update(village, moment, names, delta, key)
    with prepared.cursor(connection.alias) as cursor:
        cursor.execute(sql, params)
        updated = {row[0] for row in cursor.fetchall()}
    add_missing_metrics(village, moment, names, delta, key, updated)


def metrics_update(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metrics: Iterable[str],
    delta: int,
    key: str = "",
) -> tuple[str, list[Any]]:
    """The UPDATE of `bump_metrics` (SQL and parameters), to run elsewhere (`audit.Along`): it
    returns the `metric` of each row it moved; `add_missing_metrics` adds the others."""
    names = sorted(set(metrics))
    meta = MonthlyMetric._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    marks = ", ".join(["%s"] * len(names))
    return (
        f'UPDATE "{meta.db_table}" SET "{column["value"]}" = "{column["value"]}" + %s'  # noqa: S608
        f' WHERE "{column["village"]}" = %s AND "{column["month"]}" = %s'
        f' AND "{column["key"]}" = %s AND "{column["metric"]}" IN ({marks})'
        f' RETURNING "{column["metric"]}" AS metric',
        [delta, village.pk, month_start(moment), key, *names],
    )


def add_missing_metrics(
    village: Territory,
    moment: datetime.datetime | datetime.date,
    metrics: Iterable[str],
    delta: int,
    key: str,
    updated: set[str],
) -> None:
    """After `metrics_update`: the figures it found no row for are added (a racing writer's
    row: `_add` updates it)."""
    for metric in sorted(set(metrics)):
        if metric not in updated:
            bump_metric(village, moment, metric, delta, key=key)


# Keys added to per statement on PostgreSQL (`add_by_key`): each statement's arrays stay a few
# hundred kilobytes, and the area table's statement triggers (migration 0008) run once per block.
KEYED_BLOCK = 20_000


def add_by_key(model: type[models.Model], updates: list[tuple[Any, ...]]) -> None:
    """Add each `(delta, *key)` to the count of the row of `model` whose primary key is `key`
    (the roll-ups are keyed by their rows, migration analytics 0016); each key once, and a key
    with no row adds nothing. The values are given as Python has them (ints, dates, strings):
    both drivers adapt them (Django registers SQLite's adapter of dates), with no field's
    conversion per value, which cost more than the statements (BENCHMARKS.md).

    PostgreSQL: one UPDATE per KEYED_BLOCK rows, the deltas and keys sent as one array per column
    and unnested there: 15-26 µs a row against 75-95 µs for a statement per row and 44 µs for a
    VALUES list of a thousand rows (120,000 rows, BENCHMARKS.md). SQLite: one prepared UPDATE
    run per row (`executemany`), which SQLite runs faster than any statement listing the rows;
    its triggers are per row anyway.
    """
    if not updates:
        return
    fields = model._meta.pk_fields
    quote = connection.ops.quote_name
    table, count = quote(model._meta.db_table), quote("count")
    columns = [quote(str(field.column)) for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            matched = " AND ".join(f"{c} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {count} = {count} + %s WHERE {matched}",  # noqa: S608
                updates,
            )
            return
        arrays = ", ".join(["%s::integer[]", *(f"%s::{f.db_type(connection)}[]" for f in fields)])
        matched = " AND ".join(f"{table}.{c} = d.{c}" for c in columns)
        for start in range(0, len(updates), KEYED_BLOCK):
            block = updates[start : start + KEYED_BLOCK]
            cursor.execute(
                f"""
                UPDATE {table} SET {count} = {table}.{count} + d.delta
                FROM unnest({arrays}) AS d (delta, {", ".join(columns)})
                WHERE {matched}
                """,  # noqa: S608 - the table's and columns' names from the model
                [list(column) for column in zip(*block, strict=True)],
            )


def add_area_counts(
    counts: dict[tuple[int, datetime.date, int], int],
    codes: dict[int, tuple[str, str, str]],
) -> None:
    """Add village counts `{(village_id, month, category_id): n}` to the district and regency
    rows in bulk (call inside the bulk writer's transaction, after the village rows).

    `codes` maps each village id to its (province, regency, district) codes. Existing rows are
    locked and incremented, missing ones inserted: the same result as `bump_incidents` per
    record, with a query or three per thousand area rows.
    """
    deltas: dict[tuple[str, datetime.date, int], int] = {}
    extra: dict[str, tuple[str, str]] = {}
    for (village_id, month, category_id), n in counts.items():
        if not n:
            continue
        province, regency, district = codes[village_id]
        for level, code, parent in (
            (AreaLevel.DISTRICT, district, regency),
            (AreaLevel.REGENCY, regency, province),
        ):
            extra[code] = (str(level), parent)
            deltas[(code, month, category_id)] = deltas.get((code, month, category_id), 0) + n
    if not deltas:
        return
    updates: list[tuple[Any, ...]] = []
    area_codes = sorted(extra)
    for start in range(0, len(area_codes), 500):
        for code, month, category_id in (
            AreaMonthlyCount.objects.select_for_update()
            .filter(
                area_code__in=area_codes[start : start + 500],
                month__in={month for _code, month, _cat in deltas},
            )
            .values_list("area_code", "month", "category_id")
        ):
            delta = deltas.pop((code, month, category_id), 0)
            if delta:
                updates.append((delta, code, month, category_id))
    add_by_key(AreaMonthlyCount, updates)
    AreaMonthlyCount.objects.bulk_create(
        [
            AreaMonthlyCount(
                level=extra[code][0],
                area_code=code,
                parent_code=extra[code][1],
                month=month,
                category_id=category_id,
                count=n,
            )
            for (code, month, category_id), n in deltas.items()
        ],
        batch_size=1000,
    )
