"""`jaga servicedesk close-resolved`: close resolved reports whose reopening period is over (daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jaga.servicedesk import services


class Command(BaseCommand):
    help = "Service desk housekeeping."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("close-resolved", help="Close resolved reports past their reopening period.")

    def handle(self, *args: Any, **options: Any) -> None:
        closed = services.close_expired_resolved()
        self.stdout.write(f"Closed {closed} resolved reports.")
