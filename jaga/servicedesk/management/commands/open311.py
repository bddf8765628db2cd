"""`jaga open311 key create NAME` issues an Open311 API key (printed once); `key list`, `key revoke`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.core.errors import DomainError
from jaga.servicedesk import services
from jaga.servicedesk.models import Open311Client


class Command(BaseCommand):
    help = "Manage Open311 API keys of client applications."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        key = sub.add_parser("key", help="API keys")
        actions = key.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a key; it is printed once.")
        create.add_argument("name")
        create.add_argument("--contact", default="")
        actions.add_parser("list", help="List the client applications.")
        revoke = actions.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                client, raw = services.create_open311_client(
                    options["name"], contact=options["contact"]
                )
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc
            self.stdout.write(raw)
            self.stderr.write(f"Key for {client.name} created; it is not shown again.")
        elif action == "list":
            for client in Open311Client.objects.all():
                state = "revoked" if client.revoked_at else "active"
                self.stdout.write(f"{client.prefix}  {state:<8} {client.name}")
        else:
            found = Open311Client.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"No key with prefix {options['prefix']}.")
            services.revoke_open311_client(found)
            self.stdout.write(f"Revoked {found.name}.")
