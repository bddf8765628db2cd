"""`jaga incidents categories` lists the category codes; `jaga incidents import FILE` imports."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError, ImportFailed
from jaga.incidents.imports import import_incidents
from jaga.incidents.models import Category


def count_lines(path: Path) -> int | None:
    """Data rows of a CSV or XLSX file (for the progress bar); None when unknown (gzip)."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        from jaga.core.uploads import check_xlsx_archive

        try:
            check_xlsx_archive(path)  # the import refuses a zip bomb with its message
        except DomainError:
            return None
        try:
            workbook = load_workbook(path, read_only=True)
            rows = workbook.worksheets[0].max_row  # from the sheet's dimension: no full read
            workbook.close()
        except Exception:  # noqa: BLE001 - the import itself reports a bad workbook
            return None
        return max(0, rows - 1) if rows else None
    if path.suffix.lower() not in {".csv", ".txt"}:
        return None
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(0, lines + (last != b"\n") - 1)


class Progress:
    def __init__(self, total: int | None, stream: Any) -> None:
        self.total = total
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        if self.total:
            share = min(done / self.total, 1.0)
            filled = int(share * 30)
            bar = "█" * filled + "·" * (30 - filled)
            text = f"\r[{bar}] {share:6.1%}  {done:>10,}/{self.total:,}  {rate:>9,.0f} /s"
        else:
            text = f"\r{done:>10,}  {rate:>9,.0f} /s"
        self.stream.write(text)
        self.stream.flush()


class Command(BaseCommand):
    help = "The kamtibmas incident register: list categories, import history from CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("categories", help="List the category codes (a tree).")
        imp = sub.add_parser("import", help="Import incident history (CSV or XLSX).")
        imp.add_argument("file", type=Path)
        imp.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")
        imp.add_argument(
            "--update",
            action="store_true",
            help="Update the incidents that rows of an export came from (key: source, source_ref).",
        )
        imp.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and count what would be added, updated and left; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "categories":
            self.categories()
        else:
            self.import_file(
                options["file"],
                progress=not options["no_progress"],
                update=options["update"],
                dry_run=options["dry_run"],
            )

    def categories(self) -> None:
        nodes = list(Category.objects.order_by("sort_order", "code"))
        children: dict[int | None, list[Category]] = {}
        for node in nodes:
            children.setdefault(node.parent_id, []).append(node)

        def walk(parent: int | None, depth: int) -> None:
            for node in children.get(parent, []):
                inactive = _("inactive")
                flag = "" if node.is_active else f"  ({inactive})"
                self.stdout.write(f"{'  ' * depth}{node.code:<{24 - 2 * depth}} {node.name}{flag}")
                walk(node.pk, depth + 1)

        walk(None, 0)

    def show_changes(self, path: Path, result: Any) -> None:
        """`FILE:LINE: id N field: 'old' → 'new'` for each changed field of an updated incident,
        `FILE:LINE: → id N` for a row that joins an incident already recorded."""
        for change in result.changes:
            for name, pair in change["fields"].items():
                self.stdout.write(
                    f"{path}:{change['line']}: id {change['id']} {name}: "
                    f"{pair['old']!r} → {pair['new']!r}"
                )
        for link in result.links:
            self.stdout.write(
                _("%(file)s:%(line)s: %(ref)s joins incident %(id)s")
                % {"file": path, "line": link["line"], "ref": link["source_ref"], "id": link["id"]}
            )
        shown = len(result.changes) + len(result.links)
        if shown < result.updated + result.linked:
            self.stdout.write(
                _("… and %(n)s more.") % {"n": result.updated + result.linked - shown}
            )

    def import_file(self, path: Path, *, progress: bool, update: bool, dry_run: bool) -> None:
        if not path.exists():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        bar = Progress(count_lines(path), sys.stderr) if progress else None
        try:
            result = import_incidents(path, progress=bar, update=update, dry_run=dry_run)
        except ImportFailed as exc:
            if bar is not None:
                sys.stderr.write("\n")
            for error in exc.errors:
                self.stderr.write(_("line %(line)s: %(error)s") % error)
            if exc.more_line():
                self.stderr.write(exc.more_line())
            raise CommandError(str(exc.message)) from exc
        except DomainError as exc:
            if bar is not None:
                sys.stderr.write("\n")
            raise CommandError(str(exc.message)) from exc
        if bar is not None:
            sys.stderr.write("\n")
        figures = {
            "lines": result.lines,
            "created": result.created,
            "updated": result.updated,
            "linked": result.linked,
            "unchanged": result.unchanged,
            "seconds": result.seconds,
        }
        self.show_changes(path, result)
        if dry_run:
            self.stdout.write(
                _(
                    "Dry run, nothing written. %(lines)s rows read: %(created)s incidents would be "
                    "added, %(updated)s updated, %(linked)s linked to an existing incident, "
                    "%(unchanged)s unchanged."
                )
                % figures
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(lines)s rows read: %(created)s incidents added, %(updated)s updated, "
                    "%(linked)s linked to an existing incident, %(unchanged)s unchanged "
                    "(%(seconds).1f s)."
                )
                % figures
            )
        )
