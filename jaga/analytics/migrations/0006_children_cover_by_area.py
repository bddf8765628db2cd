"""PostgreSQL only: the children's covering index sorted by area inside each month.

A Polres dashboard's sparklines add up its districts' rows per (month, district); with the area
code as a key column after the month the rows come out of the index already in that order, so
PostgreSQL sums them as they stream (GroupAggregate) instead of hashing them. The category joins
the INCLUDE list, so a province's reads of its regencies are index-only too. It replaces
area_count_children_cover (same leading columns: every query served by it is served by this).
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS area_count_children_by_area ON analytics_areamonthlycount "
    "(level, parent_code, month, area_code) INCLUDE (category_id, count)"
)
OLD = (
    "CREATE INDEX IF NOT EXISTS area_count_children_cover ON analytics_areamonthlycount "
    "(level, parent_code, month) INCLUDE (area_code, count)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute("DROP INDEX IF EXISTS area_count_children_cover")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD)
        schema_editor.execute("DROP INDEX IF EXISTS area_count_children_by_area")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_covering_area_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
