"""`jaga restore FILE [--force]`: put a `jaga backup` archive back, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jaga.core.backup import restore_backup
from jaga.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a `jaga backup` archive into this database (after `jaga migrate`). "
        "A database that already holds records is replaced only with --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The archive `jaga backup` wrote.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a database that already holds records.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(file)s does not exist.") % {"file": path})
        try:
            result = restore_backup(path, force=options["force"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _("Restored %(rows)s rows in %(tables)s tables and %(media)s files from %(file)s.")
            % {
                "file": path,
                "tables": result.tables,
                "rows": result.rows,
                "media": result.media_files,
            }
        )
