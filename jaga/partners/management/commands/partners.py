"""`jaga partners import people|organisations|memberships FILE [--dry-run]`: round-trip imports."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jaga.core.roundtrip import command_import
from jaga.partners import services

IMPORTERS = {
    "people": services.import_people,
    "organisations": services.import_organisations,
    "memberships": services.import_memberships,
}


class Command(BaseCommand):
    help = "Partners: import people, organisations or memberships (an edited export updates)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Import a CSV or XLSX file: rows with an id update that record, rows without "
            "one are added; all-or-nothing, every bad row reported.",
        )
        imp.add_argument("kind", choices=sorted(IMPORTERS))
        imp.add_argument("file")
        imp.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command_import(
            self, IMPORTERS[options["kind"]], options["file"], dry_run=options["dry_run"]
        )
