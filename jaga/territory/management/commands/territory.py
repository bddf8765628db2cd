from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.core.errors import DomainError, ImportFailed
from jaga.territory import services


def progress_printer(stream: Any) -> services.Progress:
    def show(level: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        stream.write(f"\r  {level:<9} [{bar}] {done:>6}/{total:<6}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


class Command(BaseCommand):
    help = "Territory of Indonesia: load the Kemendagri hierarchy, import populations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load provinces, regencies, districts and villages.")
        which = load.add_mutually_exclusive_group(required=True)
        which.add_argument("--province", help="A province code, e.g. 35")
        which.add_argument("--regency", help="A regency code, e.g. 35.03")
        which.add_argument("--all", action="store_true", help="All of Indonesia (~83,700 villages)")
        pop = sub.add_parser("import-populations", help="Import populations from CSV or XLSX.")
        pop.add_argument("file")
        points = sub.add_parser(
            "import-points", help="Import village centres (village_code, latitude, longitude)."
        )
        points.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "load":
                self._load(options)
            elif options["action"] == "import-points":
                count = services.import_village_points(options["file"])
                self.stdout.write(self.style.SUCCESS(f"{count} village centres imported."))
            else:
                count = services.import_populations(options["file"])
                self.stdout.write(self.style.SUCCESS(f"{count} populations imported."))
        except ImportFailed as exc:
            for error in exc.errors:
                where = f"{error.get('file', options.get('file', ''))}:{error['line']}"
                self.stderr.write(f"{where}: {error['error']}")
            if exc.more_line():
                self.stderr.write(exc.more_line())
            raise CommandError(str(exc.message)) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"File not found: {exc.filename}") from exc

    def _load(self, options: dict[str, Any]) -> None:
        selection = None if options["all"] else (options["province"] or options["regency"])
        if options["regency"] and len(options["regency"].split(".")) != 2:
            raise CommandError(
                f"--regency takes a regency code like 35.03, not {options['regency']}"
            )
        if options["province"] and "." in options["province"]:
            raise CommandError(
                f"--province takes a province code like 35, not {options['province']}"
            )
        started = time.monotonic()
        self.stdout.write(f"Loading territory {selection or 'of all Indonesia'} …")
        result = services.load_territory(selection, progress=progress_printer(sys.stdout))
        elapsed = time.monotonic() - started
        for level in result.created:
            self.stdout.write(
                f"  {level:<9} {result.created[level]:>6} new, {result.updated[level]:>5} renamed, "
                f"{result.unchanged[level]:>6} unchanged"
            )
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s."))
