"""Versions (`DataVersion`, migration 0011) for the tables every report's intake reads and that
change rarely: the service catalogue and its questions (`service`), the police units and the
villages they cover (`police_unit`), and the webhook endpoints (`webhook`).

`jaga.core.versioned` keeps what a read of them found in each process, under the versions it
was read at: a write anywhere (a form, the admin, an import, a COPY) moves the version in the
writer's transaction, and the next read after its commit reads the table again. The same
triggers and numbers as 0011.
"""

from django.db import migrations

VERSIONS = "analytics_dataversion"
TABLES = {
    "service": ["servicedesk_service", "servicedesk_servicequestion"],
    "police_unit": ["territory_policeunit", "territory_policeunit_territories"],
    "webhook": ["webhooks_endpoint"],
}

PG_CREATE = [
    *(
        f"""CREATE TRIGGER analytics_{name}_version
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION analytics_bump_data_version('{name}')"""
        for name, tables in TABLES.items()
        for table in tables
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
        for name, tables in TABLES.items()
        for table in tables
    ),
    f"DELETE FROM {VERSIONS} WHERE name IN ({', '.join(repr(n) for n in TABLES)})",  # noqa: S608
]


def _sqlite_bump(name: str) -> str:
    return (
        f"INSERT INTO {VERSIONS} (name, version) VALUES ('{name}', abs(random())) "  # noqa: S608
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version;"
    )


SQLITE_CREATE = [
    *(
        f"CREATE TRIGGER analytics_{table}_version_{event} AFTER {event.upper()} ON {table} "
        f"BEGIN {_sqlite_bump(name)} END"
        for name, tables in TABLES.items()
        for table in tables
        for event in ("insert", "update", "delete")
    ),
    *(
        f"INSERT OR IGNORE INTO {VERSIONS} (name, version) VALUES ('{name}', abs(random()))"  # noqa: S608
        for name in TABLES
    ),
]
SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS analytics_{table}_version_{event}"
        for tables in TABLES.values()
        for table in tables
        for event in ("insert", "update", "delete")
    ),
    f"DELETE FROM {VERSIONS} WHERE name IN ({', '.join(repr(n) for n in TABLES)})",  # noqa: S608
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
        ("analytics", "0012_cheaper_rollup_indexes"),
        ("servicedesk", "0008_photo_hosts"),
        ("territory", "0002_country_level_and_territory_changes"),
        ("webhooks", "0001_endpoints_and_deliveries"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
