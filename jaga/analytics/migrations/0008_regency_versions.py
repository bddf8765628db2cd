"""A version per regency of the incident roll-up, kept by triggers on AreaMonthlyCount.

The table is created here, not by Django (the model is unmanaged: derived data, left out of
backups; a restore's roll-up rows give every regency a version again).

Every INSERT, UPDATE or DELETE of district or regency rows gives each regency it touched a new
version number, in the writer's transaction; a TRUNCATE gives every regency one. PostgreSQL:
statement triggers with transition tables (one INSERT ... ON CONFLICT per statement, however many
rows it wrote), numbers from a sequence. SQLite: row triggers, random numbers. The table starts
with a version for every regency that already has rows.
"""

from django.db import migrations, models

AREA = "analytics_areamonthlycount"
VERSIONS = "analytics_regencyversion"
REGENCY = "CASE WHEN level = 'regency' THEN area_code ELSE parent_code END"

PG_CREATE = [
    f"""CREATE TABLE IF NOT EXISTS {VERSIONS} (
        regency_code varchar(5) NOT NULL PRIMARY KEY, version bigint NOT NULL)""",
    "CREATE SEQUENCE IF NOT EXISTS analytics_regency_version_seq",
    f"""
    CREATE OR REPLACE FUNCTION analytics_bump_regency_versions() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE {VERSIONS} SET version = nextval('analytics_regency_version_seq');
        ELSIF TG_OP = 'INSERT' THEN
            INSERT INTO {VERSIONS} (regency_code, version)
            SELECT code, nextval('analytics_regency_version_seq')
            FROM (SELECT DISTINCT {REGENCY} AS code FROM new_rows) changed ORDER BY code
            ON CONFLICT (regency_code) DO UPDATE SET version = EXCLUDED.version;
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO {VERSIONS} (regency_code, version)
            SELECT code, nextval('analytics_regency_version_seq')
            FROM (
                SELECT {REGENCY} AS code FROM new_rows
                UNION SELECT {REGENCY} FROM old_rows
            ) changed ORDER BY code
            ON CONFLICT (regency_code) DO UPDATE SET version = EXCLUDED.version;
        ELSE
            INSERT INTO {VERSIONS} (regency_code, version)
            SELECT code, nextval('analytics_regency_version_seq')
            FROM (SELECT DISTINCT {REGENCY} AS code FROM old_rows) changed ORDER BY code
            ON CONFLICT (regency_code) DO UPDATE SET version = EXCLUDED.version;
        END IF;
        RETURN NULL;
    END
    $$
    """,  # noqa: S608 - table names from this module
    f"""CREATE TRIGGER analytics_area_versions_insert AFTER INSERT ON {AREA}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_regency_versions()""",
    f"""CREATE TRIGGER analytics_area_versions_update AFTER UPDATE ON {AREA}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_regency_versions()""",
    f"""CREATE TRIGGER analytics_area_versions_delete AFTER DELETE ON {AREA}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_regency_versions()""",
    f"""CREATE TRIGGER analytics_area_versions_truncate AFTER TRUNCATE ON {AREA}
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_regency_versions()""",
    f"""INSERT INTO {VERSIONS} (regency_code, version)
    SELECT code, nextval('analytics_regency_version_seq')
    FROM (SELECT DISTINCT area_code AS code FROM {AREA} WHERE level = 'regency') found
    ORDER BY code ON CONFLICT (regency_code) DO NOTHING""",  # noqa: S608
]
PG_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS analytics_area_versions_{event} ON {AREA}"
        for event in ("insert", "update", "delete", "truncate")
    ),
    "DROP FUNCTION IF EXISTS analytics_bump_regency_versions()",
    "DROP SEQUENCE IF EXISTS analytics_regency_version_seq",
    f"DROP TABLE IF EXISTS {VERSIONS}",
]


def _sqlite_bump(row: str) -> str:
    regency = f"CASE WHEN {row}.level = 'regency' THEN {row}.area_code ELSE {row}.parent_code END"
    return (
        f"INSERT INTO {VERSIONS} (regency_code, version) VALUES ({regency}, abs(random())) "  # noqa: S608
        "ON CONFLICT (regency_code) DO UPDATE SET version = excluded.version;"
    )


SQLITE_CREATE = [
    f"""CREATE TABLE IF NOT EXISTS "{VERSIONS}" (
        "regency_code" varchar(5) NOT NULL PRIMARY KEY, "version" bigint NOT NULL)""",
    f"CREATE TRIGGER analytics_area_versions_insert AFTER INSERT ON {AREA} "
    f"BEGIN {_sqlite_bump('NEW')} END",
    f"CREATE TRIGGER analytics_area_versions_update AFTER UPDATE ON {AREA} "
    f"BEGIN {_sqlite_bump('OLD')} {_sqlite_bump('NEW')} END",
    f"CREATE TRIGGER analytics_area_versions_delete AFTER DELETE ON {AREA} "
    f"BEGIN {_sqlite_bump('OLD')} END",
    f"""INSERT INTO {VERSIONS} (regency_code, version)
    SELECT DISTINCT area_code, abs(random()) FROM {AREA} WHERE level = 'regency'""",  # noqa: S608
]
SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS analytics_area_versions_{event}"
        for event in ("insert", "update", "delete")
    ),
    f"DROP TABLE IF EXISTS {VERSIONS}",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}.get(vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_raised_alarms"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegencyVersion",
            fields=[
                (
                    "regency_code",
                    models.CharField(
                        max_length=5, primary_key=True, serialize=False, verbose_name="regency"
                    ),
                ),
                ("version", models.BigIntegerField(verbose_name="version")),
            ],
            options={
                "verbose_name": "regency roll-up version",
                "verbose_name_plural": "regency roll-up versions",
                "managed": False,
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
