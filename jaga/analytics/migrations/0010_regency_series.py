"""Each regency's village roll-up packed in one value (`jaga.analytics.series`).

The table is created here, not by Django (the model is unmanaged: derived data, left out of
backups). On PostgreSQL the packed value is stored uncompressed out of line (STORAGE EXTERNAL):
it is compressed already, and PostgreSQL's own compression would only cost time both ways.
"""

from django.db import migrations, models

TABLE = "analytics_regencyseries"

CREATE = {
    "postgresql": [
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            regency_code varchar(5) NOT NULL PRIMARY KEY, version bigint NOT NULL,
            first_month date NOT NULL, months integer NOT NULL CHECK (months >= 0),
            data bytea NOT NULL)""",
        f"ALTER TABLE {TABLE} ALTER COLUMN data SET STORAGE EXTERNAL",
    ],
    "sqlite": [
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            regency_code varchar(5) NOT NULL PRIMARY KEY, version bigint NOT NULL,
            first_month date NOT NULL, months integer unsigned NOT NULL CHECK (months >= 0),
            data BLOB NOT NULL)""",
    ],
}


def forwards(apps, schema_editor):
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0009_rollup_village_index_in_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegencySeries",
            fields=[
                (
                    "regency_code",
                    models.CharField(
                        max_length=5, primary_key=True, serialize=False, verbose_name="regency"
                    ),
                ),
                ("version", models.BigIntegerField(verbose_name="version")),
                ("first_month", models.DateField(verbose_name="first month")),
                ("months", models.PositiveIntegerField(verbose_name="months")),
                ("data", models.BinaryField(verbose_name="data")),
            ],
            options={
                "verbose_name": "regency series",
                "verbose_name_plural": "regency series",
                "managed": False,
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
