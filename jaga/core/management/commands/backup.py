"""`jaga backup FILE [--media]`: the whole database (and the uploaded files) in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jaga.core.backup import create_backup


class Command(BaseCommand):
    help = "Write a complete, portable backup of Jaga's database (restore with `jaga restore`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The archive to write (a .zip file).")
        parser.add_argument(
            "--media", action="store_true", help="Also put the uploaded files into the archive."
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace FILE if it already exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.exists() and not options["overwrite"]:
            raise CommandError(
                _("%(file)s already exists; choose another name or add --overwrite.")
                % {"file": path}
            )
        partial = path.with_name(path.name + ".partial")
        try:
            result = create_backup(partial, media=options["media"])
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            _("Backup written to %(file)s: %(tables)s tables, %(rows)s rows, %(media)s files.")
            % {
                "file": path,
                "tables": result.tables,
                "rows": result.rows,
                "media": result.media_files,
            }
        )
