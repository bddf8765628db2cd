"""The audit table is append-only below the ORM: triggers refuse UPDATE, DELETE and TRUNCATE.

The one way past them is `jaga.core.audit.maintenance()` (restore, flushing a test database): on
PostgreSQL the session setting `jaga.audit_maintenance = 'on'`, on SQLite the connection flag read
by the `jaga_audit_maintenance()` function that Jaga registers on each of its connections.
A migration that rebuilds core_auditlog on SQLite drops these triggers: it must create them again
(tests/core/test_audit_chain.py fails otherwise).
"""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION jaga_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('jaga.audit_maintenance', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'The audit log is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditlog_append_only
    BEFORE UPDATE OR DELETE ON core_auditlog
    FOR EACH ROW EXECUTE FUNCTION jaga_audit_append_only();
CREATE TRIGGER core_auditlog_no_truncate
    BEFORE TRUNCATE ON core_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION jaga_audit_append_only();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS core_auditlog_no_truncate ON core_auditlog;
DROP TRIGGER IF EXISTS core_auditlog_append_only ON core_auditlog;
DROP FUNCTION IF EXISTS jaga_audit_append_only();
"""

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER core_auditlog_no_update BEFORE UPDATE ON core_auditlog
    WHEN NOT jaga_audit_maintenance()
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER core_auditlog_no_delete BEFORE DELETE ON core_auditlog
    WHEN NOT jaga_audit_maintenance()
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: DELETE refused'); END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditlog_no_update",
    "DROP TRIGGER IF EXISTS core_auditlog_no_delete",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    elif vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_chain_existing_audit_rows")]

    operations = [migrations.RunPython(forwards, backwards)]
