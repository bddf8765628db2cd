"""`jaga servicedesk close-resolved` and `remind-overdue`: daily housekeeping of the desk;
`purge-conversations`: daily, idle WhatsApp / SMS conversations;
`send-tracking-codes`: once after upgrading, tracking codes for reporters of older open reports."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jaga.servicedesk import services


class Command(BaseCommand):
    help = "Service desk housekeeping."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("close-resolved", help="Close resolved reports past their reopening period.")
        sub.add_parser("remind-overdue", help="Remind officers of overdue reports (once a day).")
        sub.add_parser(
            "purge-conversations",
            help="Delete idle WhatsApp / SMS conversations and old message ids (daily).",
        )
        sub.add_parser(
            "send-tracking-codes",
            help="Send a tracking code to each reporter of an open report that has none.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge-conversations":
            from jaga.servicedesk.chat.conversation import purge

            conversations, ids = purge()
            self.stdout.write(f"Deleted {conversations} conversations and {ids} message ids.")
            return
        if options["action"] == "send-tracking-codes":
            sent = services.send_missing_tracking_codes()
            self.stdout.write(f"Sent tracking codes to {sent} reporters.")
            return
        if options["action"] == "remind-overdue":
            reminded = services.remind_overdue()
            self.stdout.write(f"Reminded officers of {reminded} overdue reports.")
            return
        closed = services.close_expired_resolved()
        self.stdout.write(f"Closed {closed} resolved reports.")
