"""`jaga webhooks retry` sends the deliveries that are due now (`--failed`: given-up ones get a
fresh set of tries too; `--id DELIVERY_ID`: just those); `jaga webhooks list` shows the log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jaga.webhooks import services
from jaga.webhooks.models import Delivery


class Command(BaseCommand):
    help = "Outgoing webhooks: retry deliveries, list the delivery log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        retry = sub.add_parser("retry", help="Send the deliveries that are due now.")
        retry.add_argument(
            "--failed", action="store_true", help="Also give given-up deliveries new tries."
        )
        retry.add_argument(
            "--id", action="append", default=[], dest="ids", help="Only this delivery id."
        )
        listing = sub.add_parser("list", help="The latest deliveries.")
        listing.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for d in Delivery.objects.select_related("endpoint")[: options["limit"]]:
                self.stdout.write(
                    f"{d.delivery_id}  {d.event:<22} {d.status:<9} "
                    f"code={d.response_code or '-'} tries={d.attempts} "
                    f"next={d.next_try_at.isoformat() if d.next_try_at else '-'}  {d.endpoint}"
                )
            return
        done = services.retry(failed=options["failed"], ids=options["ids"])
        for d in done:
            note = f" ({d.error})" if d.error else ""
            self.stdout.write(f"{d.delivery_id}  {d.status}  tries={d.attempts}{note}")
        delivered = sum(1 for d in done if d.status == "delivered")
        self.stdout.write(f"{len(done)} sent, {delivered} delivered.")
