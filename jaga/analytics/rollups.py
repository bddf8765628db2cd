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


def add_by_key(model: type[models.Model], updates: list[tuple[Any, ...]]) -> None:
    """Add each `(delta, *key)` to the count of the row of `model` whose primary key is `key`
    (the roll-ups are keyed by their rows, migration analytics 0016), one UPDATE per thousand
    rows (fewer on SQLite, to stay within the values Django lets a statement bind). A table's
    statement triggers (the area table's, migration 0008) run once per statement."""
    if not updates:
        return
    fields = model._meta.pk_fields
    columns = [str(field.column) for field in fields]
    quote = connection.ops.quote_name
    table, count = quote(model._meta.db_table), quote("count")
    width = len(fields) + 1
    batch = min(1000, (connection.features.max_query_params or 4000) // width)
    names = ", ".join(quote(c) for c in ["delta", *columns])
    matched = " AND ".join(f"{table}.{quote(c)} = d.{quote(c)}" for c in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(updates), batch):
            rows = updates[start : start + batch]
            values = ", ".join([f"({', '.join(['%s'] * width)})"] * len(rows))
            cursor.execute(
                f"""
                WITH d ({names}) AS (VALUES {values})
                UPDATE {table} SET {count} = {table}.{count} + d.delta FROM d WHERE {matched}
                """,  # noqa: S608 - the table's and columns' names from the model
                [
                    value
                    for delta, *key in rows
                    for value in (
                        delta,
                        *(
                            f.get_db_prep_value(v, connection)
                            for f, v in zip(fields, key, strict=True)
                        ),
                    )
                ],
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
