"""All-or-nothing file imports: parse every row, report every bad one by line, then write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError, ErrorList, ImportFailed
from jaga.core.roundtrip import RowError
from jaga.core.tabular import iter_rows

T = TypeVar("T")
Progress = Callable[[int], None]


def run_import(
    source: str | Path | IO[bytes],
    *,
    name: str | None,
    columns: list[str],
    parse: Callable[[int, dict[str, str]], T],
    write: Callable[[list[tuple[int, T]]], int],
    progress: Progress | None = None,
) -> int:
    """Stream the rows, parse each (collecting every error), then write all in one transaction.

    `parse` raises RowError (or DomainError) for a bad row; `write` may raise ImportFailed for
    errors that only show against the database (a duplicate, a row that clashes with another).
    """
    errors = ErrorList()
    parsed: list[tuple[int, T]] = []
    rows: Iterator[tuple[int, dict[str, str]]] = iter_rows(source, columns, name=name)
    for count, (line, row) in enumerate(rows, start=1):
        try:
            parsed.append((line, parse(line, row)))
        except RowError as exc:
            errors.append({"line": line, "error": str(exc)})
        except DomainError as exc:
            errors.append({"line": line, "error": str(exc.message)})
        if progress is not None and count % 500 == 0:
            progress(count)
    if progress is not None:
        progress(len(parsed) + errors.total)
    if errors:
        raise ImportFailed(
            _("%(count)s bad rows; nothing was imported.") % {"count": errors.total}, errors
        )
    if not parsed:
        raise ImportFailed(_("The file has no rows to import."), [])
    with transaction.atomic():
        return write(parsed)


def fail_rows(errors: list[dict[str, Any]]) -> None:
    if errors:
        capped = ErrorList(errors)
        raise ImportFailed(
            _("%(count)s bad rows; nothing was imported.") % {"count": capped.total}, capped
        )
