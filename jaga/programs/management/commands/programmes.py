"""`jaga programmes import-adoptions FILE`: which village adopted which programme, and when."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError, ImportFailed
from jaga.programs import services


def count_lines(path: str) -> int | None:
    """A cheap total for the progress bar (CSV only: XLSX rows are not known in advance)."""
    if not path.lower().endswith(".csv"):
        return None
    with open(path, "rb") as f:
        return max(0, sum(1 for _ in f) - 1)


class Command(BaseCommand):
    help = "Programmes: import village adoptions or activities; list the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import-adoptions",
            help="Import adoptions from CSV or XLSX: all-or-nothing, every bad row reported.",
        )
        imp.add_argument("file")
        imp.add_argument("--quiet", action="store_true", help="No progress bar.")
        sub.add_parser("list", help="List the programme catalogue with adoption counts.")
        act = sub.add_parser(
            "import-activities",
            help="Import activities from CSV or XLSX: rows with an id update that activity, rows "
            "without one are added; all-or-nothing, every bad row reported.",
        )
        act.add_argument("file")
        act.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )

        inv = sub.add_parser(
            "import-invitations",
            help="Import invitations from CSV or XLSX (the activity page's export): rows with an "
            "id update that invitation, rows without one invite through the usual service; "
            "all-or-nothing, every bad row reported.",
        )
        inv.add_argument("file")
        inv.add_argument(
            "--activity", type=int, help="Only the invitations of this activity (its id)."
        )
        inv.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            from django.db.models import Count

            from jaga.programs.models import Programme

            for p in Programme.objects.annotate(n=Count("adoptions")).order_by("code"):
                self.stdout.write(f"{p.code:<15} {p.n:>5}  {p.name}")
            return
        if options["action"] == "import-invitations":
            from jaga.core.roundtrip import command_import
            from jaga.programs.models import Activity

            activity = None
            if options["activity"] is not None:
                activity = Activity.objects.filter(pk=options["activity"]).first()
                if activity is None:
                    raise CommandError(f"No activity {options['activity']}.")

            def importer(source: Any, **kw: Any) -> Any:
                return services.import_invitations(source, activity=activity, **kw)

            command_import(self, importer, options["file"], dry_run=options["dry_run"])
            return
        if options["action"] == "import-activities":
            from jaga.core.roundtrip import command_import

            command_import(
                self, services.import_activities, options["file"], dry_run=options["dry_run"]
            )
            return
        path = options["file"]
        if not os.path.exists(path):
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        total = count_lines(path)
        stream = self.stderr

        def progress(done: int) -> None:
            if options["quiet"]:
                return
            if total:
                width = 30
                filled = min(width, int(width * done / total))
                stream.write(
                    f"\r  [{'#' * filled}{'-' * (width - filled)}] {done:>7}/{total:<7}", ending=""
                )
            else:
                stream.write(f"\r  {done:>7} rows read", ending="")
            stream.flush()

        try:
            count = services.import_adoptions(path, actor=None, progress=progress)
        except ImportFailed as exc:
            if not options["quiet"]:
                stream.write("")
            for error in exc.errors:
                self.stderr.write(f"{path}:{error['line']}: {error['error']}")
            if exc.more_line():
                self.stderr.write(exc.more_line())
            raise CommandError(str(exc.message)) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not options["quiet"]:
            stream.write("")
        self.stdout.write(self.style.SUCCESS(f"{count} adoptions imported."))
