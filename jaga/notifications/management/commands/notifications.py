"""`jaga notifications alarms --regency 35.03 [--month YYYY-MM]`: tell new early-warning alarms."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jaga.analytics.units import add_months
from jaga.core.errors import DomainError
from jaga.notifications import alarms
from jaga.territory.models import Territory


class Command(BaseCommand):
    help = "Notification jobs: 'alarms' emits each new early-warning alarm once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("alarms", help="compute a month's alarms and tell the new ones")
        run.add_argument("--regency", required=True, help="regency code, e.g. 35.03")
        run.add_argument("--month", default="", help="YYYY-MM (default: the last closed month)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                month = alarms.parse_month(options["month"])
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        else:
            month = add_months(timezone.localdate().replace(day=1), -1)
        try:
            new = alarms.raise_alarms(options["regency"], month)
        except Territory.DoesNotExist as exc:
            raise CommandError(f"unknown regency {options['regency']}") from exc
        self.stdout.write(f"{len(new)} new alarm(s) up to {month:%Y-%m}")
