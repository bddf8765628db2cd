"""`jaga audit verify`: walk the audit log's hash chain and say whether it is intact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from jaga.core.audit import verify_chain
from jaga.core.models import AuditLog


class Command(BaseCommand):
    help = "The audit log: `verify` checks that no row was edited, removed, reordered or inserted."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify",
            help="Walk the hash chain; exit 1 naming the first row that does not match.",
        )
        verify.add_argument("--database", default=DEFAULT_DB_ALIAS)
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="ID:HASH",
            help="A row hash kept outside the database (printed by an earlier verify); "
            "the row must still carry it. Catches a chain rewritten from that row on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain(using=options["database"])
        if report.broken is None:
            self._check_anchors(options["database"], options["anchor"])
            last = AuditLog.objects.using(options["database"]).order_by("-id").first()
            self.stdout.write(
                _("The audit log is intact: %(count)d rows, last hash %(head)s.")
                % {"count": report.count, "head": report.head or "-"}
            )
            if last is not None:
                self.stdout.write(
                    _("Keep this anchor elsewhere and pass it to later checks: --anchor %(a)s")
                    % {"a": f"{last.pk}:{last.row_hash}"}
                )
            return
        row = report.broken
        if report.reason == "content":
            why = _("its content does not match its hash (the row was edited)")
        elif report.count == 0:
            why = _("it is not the first row of the chain (rows before it were removed)")
        else:
            why = _(
                "it does not follow the row before it (a row was removed, inserted or reordered)"
            )
        raise CommandError(
            _(
                "The audit log is broken at row %(id)s (%(at)s, %(action)s): %(why)s. "
                "%(count)d rows before it are intact."
            )
            % {
                "id": row.pk,
                "at": row.at.isoformat(),
                "action": row.action,
                "why": why,
                "count": report.count,
            }
        )

    def _check_anchors(self, using: str, anchors: list[str]) -> None:
        for anchor in anchors:
            row_id, _sep, expected = anchor.partition(":")
            if not row_id.isdigit() or not expected:
                raise CommandError(_("An anchor is ID:HASH, not %(anchor)s.") % {"anchor": anchor})
            found = (
                AuditLog.objects.using(using)
                .filter(pk=int(row_id))
                .values_list("row_hash", flat=True)
                .first()
            )
            if found != expected:
                raise CommandError(
                    _(
                        "The audit log was rewritten: row %(id)s no longer carries the hash "
                        "recorded for it."
                    )
                    % {"id": row_id}
                )
