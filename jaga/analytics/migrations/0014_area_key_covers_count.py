"""PostgreSQL only: the area roll-up's unique key carries the count (INCLUDE), and the covering
index on (area_code, month) INCLUDE (category_id, count) of migration 0005 is dropped.

The unique key (area_code, month, category_id) INCLUDE (count) serves every read the covering
index served (by area code and months, index-only), so the table has one index fewer to build
when the rebuild builds it anew (3-5 s of the national rebuild, BENCHMARKS.md, *Rebuild,
eleventh session*) and to update on every write. Django's state keeps the plain unique
constraint: on SQLite, which has no INCLUDE, Django would not create the constraint at all.
"""

from django.db import migrations

TABLE = "analytics_areamonthlycount"
KEY = "area_monthly_count_key"
COVER = "area_count_area_cover"

FORWARDS = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY}, "
    f"ADD CONSTRAINT {KEY} UNIQUE (area_code, month, category_id) INCLUDE (count)",
    f"DROP INDEX IF EXISTS {COVER}",
]
BACKWARDS = [
    f"CREATE INDEX IF NOT EXISTS {COVER} ON {TABLE} (area_code, month) INCLUDE (category_id, count)",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY}, "
    f"ADD CONSTRAINT {KEY} UNIQUE (area_code, month, category_id)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARDS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARDS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0013_desk_data_versions")]

    operations = [migrations.RunPython(forwards, backwards)]
