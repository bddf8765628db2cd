"""Cheaper indexes on the incident roll-ups (a rebuild that builds them anew, every write).

- The village roll-up's (regency_code, month) and (district_code, month) indexes compare the
  codes byte by byte (varchar_pattern_ops): every read of them in the code is by `=`, `IN` or
  `startswith` on the code and a range of months, which they serve (`startswith`, a province's
  rows, through the index, which the default operator class cannot in a non-C collation); no
  read ranges over or orders by a code. Their sorts are cheaper (abbreviated keys, no
  collation calls): 5.7 s against 7.1 s for one of them on a table built anew, within the
  load's noise in a whole rebuild (BENCHMARKS.md, *Rebuild, tenth session*).
- The category_id indexes of both roll-ups are dropped: no read looks rows up by category
  alone (a category filter always comes with a place, served by the place's index; on the
  national bench the pages' reads never scanned them), and the only lookup by category is
  deleting one, which the app never does (a category is retired, `is_active`; the admin
  refuses deletions); it would then scan the table once.
- PostgreSQL only: the area roll-up's (level, parent_code, month) index is dropped:
  area_count_children_by_area (level, parent_code, month, area_code) INCLUDE (category_id,
  count), migration 0006, starts with the same columns and serves every read it served. The
  model keeps it for SQLite, which has no covering index.
"""

import django.db.models.deletion
from django.db import migrations, models

AREA_INDEX = "analytics_a_level_216f84_idx"
AREA_CREATE = (
    f"CREATE INDEX IF NOT EXISTS {AREA_INDEX} ON analytics_areamonthlycount "
    "(level, parent_code, month)"
)


def drop_area_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {AREA_INDEX}")


def create_area_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AREA_CREATE)


CATEGORY_INDEXES = {
    "analytics_monthlyincidentcount_category_id_2b4aa405": "analytics_monthlyincidentcount",
    "analytics_areamonthlycount_category_id_9f7f4b56": "analytics_areamonthlycount",
}


def unindexed(model: str) -> migrations.AlterField:
    return migrations.AlterField(
        model_name=model,
        name="category",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="incidents.category",
        ),
    )


def pattern(field: str, name: str) -> models.Index:
    return models.Index(
        fields=[field, "month"], name=name, opclasses=["varchar_pattern_ops", "date_ops"]
    )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0011_data_versions")]

    operations = [
        migrations.RemoveIndex(
            model_name="monthlyincidentcount", name="analytics_m_regency_0ee7df_idx"
        ),
        migrations.AddIndex(
            model_name="monthlyincidentcount",
            index=pattern("regency_code", "analytics_m_regency_0ee7df_idx"),
        ),
        migrations.RemoveIndex(
            model_name="monthlyincidentcount", name="analytics_m_distric_45eb2b_idx"
        ),
        migrations.AddIndex(
            model_name="monthlyincidentcount",
            index=pattern("district_code", "analytics_m_distric_45eb2b_idx"),
        ),
        # The state's AlterField, the database's DROP INDEX: SQLite's AlterField would remake
        # the area table and lose its version triggers (migration 0008).
        migrations.SeparateDatabaseAndState(
            state_operations=[unindexed("monthlyincidentcount"), unindexed("areamonthlycount")],
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name in CATEGORY_INDEXES],
                    [
                        f"CREATE INDEX IF NOT EXISTS {name} ON {table} (category_id)"
                        for name, table in CATEGORY_INDEXES.items()
                    ],
                )
            ],
        ),
        migrations.RunPython(drop_area_index, create_area_index),
    ]
