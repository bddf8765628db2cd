"""Import of incident history from CSV or XLSX: streaming, all-or-nothing, idempotent.

Columns: `occurred_at` (ISO 8601 date or date-time), `village_code` (Kemendagri), `category`
(category code), `source_ref` (the record's id in the source system) and optional `latitude`,
`longitude`, `description`, `severity` (1-3). Rows are validated and inserted in batches inside
one transaction; any bad row makes the whole import roll back, and every bad row is reported
with its line. Memory stays flat: a batch, the look-up tables of villages and categories, and the
roll-up counts per village, month and category.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, scope_codes
from jaga.core.audit import log_action
from jaga.core.errors import ErrorList, ImportFailed
from jaga.core.tabular import EARLIEST_DATE, date_out_of_range, iter_rows
from jaga.incidents.models import Category, ImportRun, Incident, Source
from jaga.incidents.services import LAT_RANGE, LON_RANGE, add_to_rollups, insert_incidents
from jaga.territory.models import Level, Territory

REQUIRED = ["occurred_at", "village_code", "category", "source_ref"]
OPTIONAL = ["latitude", "longitude", "description", "severity"]
BATCH = 2000

Content = tuple[datetime.datetime, int, int, float | None, float | None, str, int]


@dataclass
class ImportResult:
    lines: int
    created: int
    unchanged: int
    seconds: float
    run_id: int | None = None


def parse_moment(text: str) -> datetime.datetime:
    """An ISO 8601 date (midnight, local time) or date-time (local time when naive)."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.date.fromisoformat(text)
        moment = datetime.datetime(day.year, day.month, day.day)  # noqa: DTZ001
    else:
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _float(text: str) -> float:
    value = float(text.replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


class _Checker:
    """Validates one row at a time against villages, categories, scope and the clock."""

    def __init__(self, actor: Any) -> None:
        self.villages = {
            code: (pk, regency, district)
            for code, pk, regency, district in Territory.objects.filter(
                level=Level.VILLAGE
            ).values_list("code", "id", "regency_code", "district_code")
        }
        self.categories = dict(Category.objects.filter(is_active=True).values_list("code", "id"))
        self.scopes = scope_codes(actor) if actor is not None else ["*"]
        self.in_scope: dict[str, bool] = {}
        self.now = timezone.now()

    def check(self, row: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
        problems: list[str] = []
        out: dict[str, Any] = {}
        raw = row.get("occurred_at", "")
        if not raw:
            problems.append(_("occurred_at is empty."))
        else:
            try:
                out["occurred_at"] = parse_moment(raw)
            except ValueError:
                problems.append(
                    _("occurred_at “%(value)s” is not an ISO 8601 date (2024-03-05) or date-time.")
                    % {"value": raw}
                )
            else:
                if out["occurred_at"] > self.now:
                    problems.append(_("occurred_at %(value)s is in the future.") % {"value": raw})
                elif out["occurred_at"].date() < EARLIEST_DATE:
                    # Also keeps year 0001 away from the database (it overflows in UTC).
                    problems.append(
                        date_out_of_range(out["occurred_at"].date(), "occurred_at")
                        or _("occurred_at is out of range.")
                    )
        code = row.get("village_code", "")
        village = self.villages.get(code)
        if not code:
            problems.append(_("village_code is empty."))
        elif village is None:
            problems.append(_("Unknown village code “%(code)s”.") % {"code": code})
        else:
            allowed = self.in_scope.get(code)
            if allowed is None:
                allowed = self.in_scope[code] = code_in_scope(code, self.scopes)
            if not allowed:
                problems.append(_("Village %(code)s is outside your area.") % {"code": code})
            out["village"] = village
        category = row.get("category", "")
        if category not in self.categories:
            problems.append(_("Unknown category “%(code)s”.") % {"code": category})
        else:
            out["category_id"] = self.categories[category]
        ref = row.get("source_ref", "")
        if not ref:
            problems.append(_("source_ref is empty."))
        elif len(ref) > 100:
            problems.append(_("source_ref is longer than 100 characters."))
        out["source_ref"] = ref
        out["latitude"] = out["longitude"] = None
        lat, lon = row.get("latitude", ""), row.get("longitude", "")
        if lat or lon:
            try:
                out["latitude"], out["longitude"] = _float(lat), _float(lon)
            except ValueError:
                problems.append(_("Give both latitude and longitude as numbers, or neither."))
            else:
                if not (
                    LAT_RANGE[0] <= out["latitude"] <= LAT_RANGE[1]
                    and LON_RANGE[0] <= out["longitude"] <= LON_RANGE[1]
                ):
                    problems.append(
                        _("The point %(lat)s, %(lon)s lies outside Indonesia.")
                        % {"lat": lat, "lon": lon}
                    )
        severity = row.get("severity", "") or "2"
        if severity not in {"1", "2", "3"}:
            problems.append(_("severity must be 1, 2 or 3."))
        else:
            out["severity"] = int(severity)
        out["description"] = row.get("description", "")
        source = row.get("source", "")
        if source and source != Source.IMPORT:
            # A row of Jaga's own export: the disturbance is already in the register.
            problems.append(
                _(
                    "This row comes from Jaga's register (source “%(source)s”): it is already counted."
                )
                % {"source": source}
            )
        return problems, out


LOOKUP_FIELDS = [
    "source_ref",
    "occurred_at",
    "village_id",
    "category_id",
    "latitude",
    "longitude",
    "description",
    "severity",
]


def _existing(refs: list[str]) -> list[tuple[Any, ...]]:
    """Imported incidents among `refs`, with the content that a re-import must match."""
    if connection.vendor == "postgresql":
        # A join on the unnested array: PostgreSQL looks each ref up in the unique index even
        # when the table's statistics are stale, as they are in the middle of a big import (an
        # IN list or `= ANY` then makes it scan every imported row, once per batch).
        columns = ", ".join(connection.ops.quote_name(f) for f in LOOKUP_FIELDS)
        table = connection.ops.quote_name(Incident._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE (source, source_ref) IN "  # noqa: S608
                "(SELECT %s::varchar, unnest(%s::varchar[]))",
                [Source.IMPORT.value, refs],
            )
            return cursor.fetchall()
    return list(
        Incident.objects.filter(source=Source.IMPORT, source_ref__in=refs).values_list(
            *LOOKUP_FIELDS
        )
    )


def import_incidents(
    source: str | Path | IO[bytes],
    *,
    name: str | None = None,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import incident history; all-or-nothing. Raises ImportFailed listing every bad row.

    `actor` limits the villages to the actor's scope (None: an operator on the command line).
    Re-importing a row with the same `source_ref` and content adds nothing; the same
    `source_ref` with different content is an error.
    """
    started = timezone.now()
    clock = time.monotonic()
    checker = _Checker(actor)
    errors = ErrorList()
    bad_rows = 0
    lines = created = unchanged = 0
    counts: dict[tuple[int, datetime.date, int], int] = defaultdict(int)
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    batch: list[tuple[int, dict[str, Any]]] = []
    zone = timezone.get_current_timezone()

    def report(line: int, message: str) -> None:
        nonlocal bad_rows
        bad_rows += 1
        errors.append({"line": line, "error": message})

    def flush() -> None:
        nonlocal created, unchanged
        if not batch:
            return
        refs = [values["source_ref"] for _line, values in batch]
        existing: dict[str, Content] = {
            ref: (when, village, category, lat, lon, text, severity)
            for ref, when, village, category, lat, lon, text, severity in _existing(refs)
        }
        rows = []
        for line, values in batch:
            village_id, regency, district = values["village"]
            content: Content = (
                values["occurred_at"],
                village_id,
                values["category_id"],
                values["latitude"],
                values["longitude"],
                values["description"],
                values["severity"],
            )
            ref = values["source_ref"]
            known = existing.get(ref)
            if known is not None:
                if known == content:
                    unchanged += 1
                else:
                    report(
                        line,
                        _(
                            "source_ref “%(ref)s” was already imported (or given earlier in this "
                            "file) with different content."
                        )
                        % {"ref": ref},
                    )
                continue
            existing[ref] = content
            rows.append(
                (
                    values["category_id"],
                    village_id,
                    regency,
                    district,
                    values["occurred_at"],
                    Source.IMPORT,
                    ref,
                    values["latitude"],
                    values["longitude"],
                    values["severity"],
                    values["description"],
                    started,
                    actor_id,
                )
            )
            local = values["occurred_at"].astimezone(zone)
            counts[(village_id, local.date().replace(day=1), values["category_id"])] += 1
        insert_incidents(rows)
        created += len(rows)
        batch.clear()

    if connection.vendor == "sqlite":
        # The register has nine indexes; a bigger page cache keeps their inserts off the disk.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -131072")  # 128 MiB, this connection only
    with transaction.atomic():
        for line, row in iter_rows(source, REQUIRED, name=name):
            lines += 1
            problems, values = checker.check(row)
            if problems:
                report(line, " ".join(problems))
            else:
                batch.append((line, values))
                if len(batch) >= BATCH:
                    flush()
            if progress is not None and lines % 1000 == 0:
                progress(lines)
        flush()
        if progress is not None:
            progress(lines)
        if bad_rows:
            transaction.set_rollback(True)
        else:
            if not lines:
                raise ImportFailed(_("The file has no rows."), errors=[])
            add_to_rollups(counts)
            run = ImportRun.objects.create(
                file_name=Path(str(name or source)).name[:255],
                lines=lines,
                created=created,
                unchanged=unchanged,
                started_at=started,
                finished_at=timezone.now(),
                actor_id=actor_id,
            )
            log_action(
                "incidents.imported",
                run,
                actor=actor,
                after={"lines": lines, "created": created, "unchanged": unchanged},
            )
    if bad_rows:
        raise ImportFailed(
            _(
                "Nothing was imported: %(count)s of %(lines)s rows have errors. Correct them and "
                "import the whole file again."
            )
            % {"count": bad_rows, "lines": lines},
            errors=errors,
        )
    return ImportResult(
        lines=lines,
        created=created,
        unchanged=unchanged,
        seconds=time.monotonic() - clock,
        run_id=run.pk,
    )
