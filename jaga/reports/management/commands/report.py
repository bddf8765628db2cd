"""`jaga report anev --month 2022-01 --territory 35.03 [--lang en] [--pdf out.pdf] [--html out.html]`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.core.errors import DomainError
from jaga.reports import anev, render
from jaga.territory.models import Level, Territory


class Command(BaseCommand):
    help = "Write a report: `anev` is the monthly analysis and evaluation (HTML and PDF)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["anev"])
        parser.add_argument("--month", required=True, help="YYYY-MM, e.g. 2022-01")
        parser.add_argument(
            "--territory", required=True, help="Regency or district code, e.g. 35.03"
        )
        parser.add_argument("--lang", default="id", choices=["id", "en"])
        parser.add_argument("--pdf", help="Write the PDF here.")
        parser.add_argument("--html", help="Write the HTML here.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year, month = (int(p) for p in options["month"].split("-")[:2])
            first = datetime.date(year, month, 1)
        except ValueError:
            raise CommandError("--month must be YYYY-MM, e.g. 2022-01.") from None
        territory = Territory.objects.filter(code=options["territory"]).first()
        if territory is None or territory.level not in (Level.REGENCY, Level.DISTRICT):
            raise CommandError(f"No regency or district with code {options['territory']}.")
        try:
            anev.check_month(territory, first)
            document = render.html(territory, first, options["lang"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        if options["html"]:
            Path(options["html"]).write_text(document, encoding="utf-8")
            self.stdout.write(f"HTML: {options['html']}")
        if options["pdf"]:
            data, pages = render.pdf(document)
            Path(options["pdf"]).write_bytes(data)
            self.stdout.write(f"PDF: {options['pdf']} ({pages} pages)")
        if not options["html"] and not options["pdf"]:
            self.stdout.write(document)
