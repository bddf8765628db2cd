"""`jaga report anev --month 2022-01 --territory 35.72 [--lang en] [--pdf out.pdf] [--html out.html]`
and `jaga report publish (--month 2022-01 | --all) [--territory 35.72] [--missing]`: compute and
store the public figures of closed months (the portal and the public API read only those)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.core.errors import DomainError
from jaga.reports import anev, render
from jaga.territory.models import Level, Territory


class Command(BaseCommand):
    help = (
        "Write a report: `anev` is the monthly analysis and evaluation (HTML and PDF); "
        "`publish` computes and stores the protected public figures of closed months."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["anev", "publish"])
        parser.add_argument("--month", help="YYYY-MM, e.g. 2022-01")
        parser.add_argument(
            "--territory",
            help="Regency or district code, e.g. 35.72 (publish: a regency; default all)",
        )
        parser.add_argument(
            "--all", action="store_true", help="publish: every closed month with figures"
        )
        parser.add_argument(
            "--missing",
            action="store_true",
            help="publish --all: only months not stored yet (or stored without a current table)",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="publish: queue the publish_month tasks for the worker instead of computing here",
        )
        parser.add_argument("--lang", default="id", choices=["id", "en"])
        parser.add_argument("--pdf", help="Write the PDF here.")
        parser.add_argument("--html", help="Write the HTML here.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "publish":
            self.publish(options)
            return
        if not options["month"] or not options["territory"]:
            raise CommandError("anev needs --month and --territory.")
        first = _month(options["month"])
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

    def publish(self, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from jaga.reports import public

        if bool(options["month"]) == bool(options["all"]):
            raise CommandError("publish needs either --month YYYY-MM or --all.")
        if options["territory"]:
            regency = Territory.objects.filter(
                code=options["territory"], level=Level.REGENCY
            ).first()
            if regency is None:
                raise CommandError(f"No regency with code {options['territory']}.")
            regencies = [regency.code]
        else:
            regencies = sorted(
                set(
                    Territory.objects.filter(level=Level.VILLAGE).values_list(
                        "regency_code", flat=True
                    )
                )
                & (
                    set(
                        MonthlyIncidentCount.objects.values_list(
                            "regency_code", flat=True
                        ).distinct()
                    )
                    | set(MonthlyMetric.objects.values_list("regency_code", flat=True).distinct())
                )
            )
        current = timezone.localdate().replace(day=1)
        for code in regencies:
            if options["all"]:
                months = public.closed_months(code)
                if options["missing"]:
                    done = public.published_months(code)
                    months = [m for m in months if m not in done]
            else:
                month = _month(options["month"])
                if month >= current:
                    raise CommandError(
                        f"{options['month']} has not closed yet: only finished months are published."
                    )
                months = [month]
            for month in months:
                if options["queue"]:
                    from jaga.reports.tasks import publish_month

                    publish_month.enqueue(code, month.strftime("%Y-%m"))
                    self.stdout.write(f"{code} {month:%Y-%m}: queued")
                    continue
                row = public.publish(code, month)
                withheld = sum(t["withheld"] for t in row.payload["tables"].values())
                self.stdout.write(
                    f"{code} {month:%Y-%m}: published ({withheld} cells withheld, "
                    f"{row.seconds:.1f} s)"
                )


def _month(text: str) -> datetime.date:
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return datetime.date(year, month, 1)
    except ValueError:
        raise CommandError("--month must be YYYY-MM, e.g. 2022-01.") from None
