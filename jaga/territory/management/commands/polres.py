"""`jaga polres create --regency CODE`: set up a Polres, its Polsek and the levels above it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.core.errors import DomainError
from jaga.territory.polres import create_polres


class Command(BaseCommand):
    help = "Police units: set up a Polres from the loaded territory (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help="Create the Polres of a regency, a Polsek per district, its Polda, the national "
            "unit, the norms and the catalogues; only what is missing.",
        )
        create.add_argument("--regency", required=True, help="A loaded regency's code")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = create_polres(options["regency"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not result.changed:
            self.stdout.write(f"{result.polres.name}: already set up, nothing changed.")
            return
        made = ", ".join(f"{count} {kind}" for kind, count in sorted(result.created.items()))
        self.stdout.write(self.style.SUCCESS(f"{result.polres.name}: created {made}."))
