"""A version per table the dashboards' cached figures read besides the roll-up, kept by triggers.

The CompStat, trend and sparklines of a province or the country, and its Bhabinkamtibmas coverage,
are kept in the shared cache (`jaga.analytics.dashcache`) under a key naming everything they read:
the regency roll-up versions (`RegencyVersion`, migration 0008) and the versions here, one per
table: the population, the territory (names, children, which villages a province holds), the
incident categories (names), the postings and the norms (coverage).

Every INSERT, UPDATE, DELETE or TRUNCATE of one of these tables gives its name a new number in the
writer's transaction, whatever wrote it (a form, a bulk import, a COPY). PostgreSQL: one statement
trigger per table, numbers from a sequence. SQLite: row triggers, random numbers. A number is
never given twice, so a key holding it is never reused for other data.
"""

from django.db import migrations, models

VERSIONS = "analytics_dataversion"
TABLES = {
    "population": "territory_population",
    "territory": "territory_territory",
    "category": "incidents_category",
    "posting": "accounts_posting",
    "norm": "territory_normsetting",
}

PG_CREATE = [
    f"""CREATE TABLE IF NOT EXISTS {VERSIONS} (
        name varchar(20) NOT NULL PRIMARY KEY, version bigint NOT NULL)""",
    "CREATE SEQUENCE IF NOT EXISTS analytics_data_version_seq",
    f"""
    CREATE OR REPLACE FUNCTION analytics_bump_data_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {VERSIONS} (name, version)
        VALUES (TG_ARGV[0], nextval('analytics_data_version_seq'))
        ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
    END
    $$
    """,  # noqa: S608 - table names from this module
    *(
        f"""CREATE TRIGGER analytics_{name}_version
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_data_version('{name}')"""
        for name, table in TABLES.items()
    ),
    *(
        f"""INSERT INTO {VERSIONS} (name, version)
        VALUES ('{name}', nextval('analytics_data_version_seq'))
        ON CONFLICT (name) DO NOTHING"""  # noqa: S608
        for name in TABLES
    ),
]
PG_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS analytics_{name}_version ON {table}"
        for name, table in TABLES.items()
    ),
    "DROP FUNCTION IF EXISTS analytics_bump_data_version()",
    "DROP SEQUENCE IF EXISTS analytics_data_version_seq",
    f"DROP TABLE IF EXISTS {VERSIONS}",
]


def _sqlite_bump(name: str) -> str:
    return (
        f"INSERT INTO {VERSIONS} (name, version) VALUES ('{name}', abs(random())) "  # noqa: S608
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version;"
    )


SQLITE_CREATE = [
    f"""CREATE TABLE IF NOT EXISTS "{VERSIONS}" (
        "name" varchar(20) NOT NULL PRIMARY KEY, "version" bigint NOT NULL)""",
    *(
        f"CREATE TRIGGER analytics_{name}_version_{event} AFTER {event.upper()} ON {table} "
        f"BEGIN {_sqlite_bump(name)} END"
        for name, table in TABLES.items()
        for event in ("insert", "update", "delete")
    ),
    *(
        f"INSERT OR IGNORE INTO {VERSIONS} (name, version) VALUES ('{name}', abs(random()))"  # noqa: S608
        for name in TABLES
    ),
]
SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS analytics_{name}_version_{event}"
        for name in TABLES
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
        ("analytics", "0010_regency_series"),
        ("territory", "0002_country_level_and_territory_changes"),
        ("incidents", "0008_import_job_changes"),
        ("accounts", "0002_user_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "name",
                    models.CharField(
                        max_length=20, primary_key=True, serialize=False, verbose_name="name"
                    ),
                ),
                ("version", models.BigIntegerField(verbose_name="version")),
            ],
            options={
                "verbose_name": "data version",
                "verbose_name_plural": "data versions",
                "managed": False,
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
