"""PostgreSQL only: covering indexes on the area roll-up (index-only dashboard reads).

SQLite has no INCLUDE; there the model's plain indexes serve.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS area_count_children_cover ON analytics_areamonthlycount "
    "(level, parent_code, month) INCLUDE (area_code, count)",
    "CREATE INDEX IF NOT EXISTS area_count_area_cover ON analytics_areamonthlycount "
    "(area_code, month) INCLUDE (category_id, count)",
]
DROP = [
    "DROP INDEX IF EXISTS area_count_children_cover",
    "DROP INDEX IF EXISTS area_count_area_cover",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_fewer_rollup_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
