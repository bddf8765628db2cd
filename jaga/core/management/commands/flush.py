"""`flush` that knows about the append-only audit log.

Django's test cases flush the database between transactional tests; the audit triggers refuse
that. On a test database (named `test_…`, or SQLite in memory) this flush empties the audit log
inside `jaga.core.audit.maintenance()`. On any other database it refuses: erasing the audit log is
not something a command should do by accident (`jaga restore` replaces it deliberately).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections
from django.utils.translation import gettext as _

from jaga.core.audit import maintenance


def is_test_database(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return True
    return Path(str(connection.settings_dict["NAME"])).name.startswith("test_")


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        alias = options["database"]
        if not is_test_database(alias):
            raise CommandError(
                _(
                    "flush would erase the append-only audit log, so Jaga refuses it outside a "
                    "test database. To replace a database, use jaga restore."
                )
            )
        with maintenance(alias):
            super().handle(**options)
