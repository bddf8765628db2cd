from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using: str = "default", **_kwargs: Any) -> None:
    """`migrate` also makes the database cache's table (the shared store of rate-limit counters),
    so a fresh database, the demo and the test databases all have it. Nothing for Redis."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


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

        from jaga.core import links  # noqa: F401 - registers the SITE_URL check
        from jaga.core.admin_audit import audit_every_admin

        connection_created.connect(_sqlite_audit_function, dispatch_uid="jaga_audit_sqlite")
        # Admin modules were imported by django.contrib.admin's ready(), which runs first.
        audit_every_admin()
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="jaga-cache-table")
        # Sets Pillow's decompression-bomb limit before any form or view opens an image.
        from jaga.core import images  # noqa: F401
