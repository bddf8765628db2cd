"""The incident roll-ups are keyed by their rows (migration analytics 0016): the primary key is
(village, month, category) and (area code, month, category), with no row numbers. The migration
keeps every row both ways, on both databases, and on SQLite the area table's triggers (migration
0008) with them; the rebuild's copy refuses a table with numbered rows."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from jaga.analytics import rebuild, rollups
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount, RegencyVersion
from jaga.analytics.rollups import add_by_key, bump_incidents
from jaga.incidents.models import Category
from jaga.territory.models import Level, Territory

BEFORE = [("analytics", "0015_no_village_district_index")]
KEYED = [("analytics", "0016_rollups_keyed_by_their_rows")]


def rows() -> dict[str, set[tuple[Any, ...]]]:
    """Every row of both roll-ups, as read by SQL (whatever the models say of the tables)."""
    found = {}
    with connection.cursor() as cursor:
        for table, columns in (
            (
                MonthlyIncidentCount._meta.db_table,
                "village_id, month, category_id, count, province_code, regency_code, district_code",
            ),
            (
                AreaMonthlyCount._meta.db_table,
                "level, area_code, parent_code, month, category_id, count",
            ),
        ):
            cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608
            found[table] = {tuple(str(v) for v in row) for row in cursor.fetchall()}
    return found


def columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def triggers() -> set[str]:
    """The names of the area table's triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [AreaMonthlyCount._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [AreaMonthlyCount._meta.db_table],
            )
        return {row[0] for row in cursor.fetchall()}


def migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_restore_after_flush")  # the flush empties the shared territory
def test_the_migration_keeps_every_row_both_ways() -> None:
    villages = list(Territory.objects.filter(level=Level.VILLAGE).order_by("code")[:4])
    categories = list(Category.objects.filter(parent__isnull=False)[:3])
    with transaction.atomic():
        for k, village in enumerate(villages):
            for category in categories:
                bump_incidents(village, datetime.date(2025, 1 + k, 3), category.pk, k + 1)
    held, named = rows(), triggers()
    assert len(held[MonthlyIncidentCount._meta.db_table]) == 12 and named
    village, area = MonthlyIncidentCount._meta.db_table, AreaMonthlyCount._meta.db_table
    try:
        migrate(BEFORE)
        assert rows() == held and triggers() == named
        assert "id" in columns(village) and "id" in columns(area)
        migrate(KEYED)
        assert rows() == held and triggers() == named
        assert "id" not in columns(village) and "id" not in columns(area)
    finally:
        migrate(KEYED)
    # The triggers made again on SQLite still give the regency a new version.
    version = RegencyVersion.objects.get(regency_code=villages[0].regency_code).version
    with transaction.atomic():
        bump_incidents(villages[0], datetime.date(2025, 1, 3), categories[0].pk, 1)
    assert RegencyVersion.objects.get(regency_code=villages[0].regency_code).version != version


@pytest.mark.django_db
def test_a_row_is_found_by_its_key_and_its_key_is_unique(village_a: Territory) -> None:
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    month = datetime.date(2025, 3, 1)
    bump_incidents(village_a, month, category.pk, 2)
    row = MonthlyIncidentCount.objects.get(pk=(village_a.pk, month, category.pk))
    assert row.count == 2
    assert AreaMonthlyCount.objects.get(pk=(village_a.district_code, month, category.pk)).count == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyIncidentCount.objects.create(
            village=village_a, month=month, category=category, count=1,
            province_code=village_a.province_code, regency_code=village_a.regency_code,
            district_code=village_a.district_code,
        )  # fmt: skip


@pytest.mark.django_db
def test_counts_are_added_by_key_across_statements(
    village_a: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`add_by_key` adds each delta to its own row of either roll-up, over several of
    PostgreSQL's statements (of KEYED_BLOCK rows), and a key with no row writes nothing."""
    monkeypatch.setattr(rollups, "KEYED_BLOCK", 300)
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    months = [datetime.date(1900 + k // 12, 1 + k % 12, 1) for k in range(1_100)]
    MonthlyIncidentCount.objects.bulk_create(
        MonthlyIncidentCount(
            village=village_a, month=month, category=category, count=5,
            province_code=village_a.province_code, regency_code=village_a.regency_code,
            district_code=village_a.district_code,
        )
        for month in months
    )  # fmt: skip
    AreaMonthlyCount.objects.bulk_create(
        AreaMonthlyCount(
            level="district", area_code=village_a.district_code,
            parent_code=village_a.regency_code, month=month, category=category, count=5,
        )
        for month in months
    )  # fmt: skip
    absent = datetime.date(1899, 1, 1)
    add_by_key(
        MonthlyIncidentCount,
        [(k % 7 - 3, village_a.pk, month, category.pk) for k, month in enumerate(months)]
        + [(9, village_a.pk, absent, category.pk)],
    )
    add_by_key(
        AreaMonthlyCount,
        [(k % 5, village_a.district_code, month, category.pk) for k, month in enumerate(months)]
        + [(9, village_a.district_code, absent, category.pk)],
    )
    village = dict(
        MonthlyIncidentCount.objects.filter(village=village_a).values_list("month", "count")
    )
    assert village == {month: 5 + k % 7 - 3 for k, month in enumerate(months)}
    area = dict(
        AreaMonthlyCount.objects.filter(area_code=village_a.district_code).values_list(
            "month", "count"
        )
    )
    assert area == {month: 5 + k % 5 for k, month in enumerate(months)}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild")
def test_the_rebuild_copy_refuses_numbered_rows() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE numbered (id bigint GENERATED ALWAYS AS IDENTITY)")
        with pytest.raises(ValueError, match="numbered rows"):
            rebuild._Twin.of(cursor, "numbered")
        cursor.execute("CREATE TEMPORARY TABLE serial_numbered (id serial)")
        with pytest.raises(ValueError, match="numbered rows"):
            rebuild._Twin.of(cursor, "serial_numbered")
