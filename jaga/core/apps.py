from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _sqlite_audit_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The audit triggers on SQLite call `jaga_audit_maintenance()`: 1 only inside
    `jaga.core.audit.maintenance()` on this connection."""
    if connection.vendor != "sqlite":
        return
    from jaga.core.audit import sqlite_maintenance_flag

    connection.connection.create_function(
        "jaga_audit_maintenance", 0, lambda: sqlite_maintenance_flag(connection)
    )


class CoreConfig(AppConfig):
    name = "jaga.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from jaga.core.admin_audit import audit_every_admin

        connection_created.connect(_sqlite_audit_function, dispatch_uid="jaga_audit_sqlite")
        # Admin modules were imported by django.contrib.admin's ready(), which runs first.
        audit_every_admin()
