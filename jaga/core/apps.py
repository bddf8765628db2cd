from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using: str = "default", **_kwargs: Any) -> None:
    """`migrate` also makes the database cache's table (the shared store of rate-limit counters),
    so a fresh database, the demo and the test databases all have it. Nothing for Redis."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "jaga.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="jaga-cache-table")
