from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError, ImportFailed
from jaga.territory import pemekaran, services


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
        which.add_argument("--regency", help="A regency code, e.g. 35.72")
        which.add_argument("--all", action="store_true", help="All of Indonesia (~83,700 villages)")
        pop = sub.add_parser("import-populations", help="Import populations from CSV or XLSX.")
        pop.add_argument("file")
        points = sub.add_parser(
            "import-points", help="Import village centres (village_code, latitude, longitude)."
        )
        points.add_argument("file")
        split = sub.add_parser(
            "split", help="Record a village split (pemekaran): OLD NEW1 NEW2 ... --date YYYY-MM-DD"
        )
        split.add_argument("old")
        split.add_argument("new", nargs="+")
        merge = sub.add_parser(
            "merge", help="Record villages merged into one: OLD1 OLD2 ... NEW --date YYYY-MM-DD"
        )
        merge.add_argument("codes", nargs="+", help="The old villages, then the new one")
        for change in (split, merge):
            change.add_argument("--date", required=True, help="The day it took effect")
            change.add_argument(
                "--name",
                action="append",
                default=[],
                metavar="CODE=NAME",
                help="The name of a new village that is not loaded yet (repeatable)",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "load":
                self._load(options)
            elif options["action"] in ("split", "merge"):
                self._change(options)
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
                f"--regency takes a regency code like 35.72, not {options['regency']}"
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

    def _change(self, options: dict[str, Any]) -> None:
        on = pemekaran.parse_date(options["date"])
        names: dict[str, str] = {}
        for pair in options["name"]:
            code, sep, name = pair.partition("=")
            if not sep or not name.strip():
                raise DomainError(
                    "bad_name",
                    _("Give a new village's name as CODE=NAME, not “%(value)s”.") % {"value": pair},
                )
            names[code.strip()] = name.strip()
        if options["action"] == "split":
            change = pemekaran.split_village(
                options["old"], options["new"], on, actor=None, names=names
            )
        else:
            if len(options["codes"]) < 3:
                raise DomainError(
                    "bad_merge", _("A merge turns two or more villages into one village.")
                )
            *old, new = options["codes"]
            change = pemekaran.merge_villages(old, new, on, actor=None, names=names)
        before = ", ".join(t.code for t in change.predecessors.order_by("code"))
        after = ", ".join(t.code for t in change.successors.order_by("code"))
        self.stdout.write(
            self.style.SUCCESS(f"{change.get_kind_display()} {on}: {before} -> {after}")
        )
