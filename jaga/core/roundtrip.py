"""Round trips: an export edited in a spreadsheet and imported back updates the rows it came from.

Every export of a registry (people, organisations, memberships, activities, survey forms) has the
record's database id as its first column, `id`. The id is the key because it is already public to
the same users (record URLs, the API, the `person_id` / `organisation_id` columns of other files);
scope is what protects a record, not the secrecy of its number. On import:

- a row with an `id` updates that record, and only the columns the file carries and that differ
  (a row equal to the record is *unchanged* and writes nothing, not even an audit row);
- the `id` must name a record in the importer's scope: an unknown id, or one outside the
  importer's area, is an error on that line (the message does not tell the two apart);
- a row without an `id` adds a record; the same `id` twice in a file is an error;
- rows not in the file are left alone (an import never deletes).

All-or-nothing: every row is parsed and every bad one listed by line before anything is written,
then all changes are written in one transaction (and a change that the services refuse rolls back
the whole file, with its line). A dry run does the same work inside a transaction that is rolled
back, so the preview shows exactly what would happen, errors included. `Plan.fingerprint` binds a
confirmed import to the preview the user saw: a confirmation is refused if the records changed in
between (see `confirm`).

An importer describes one kind of record with a `Spec`; `run` does the rest. The web preview page
(`jaga/core/templates/core/import_preview.html`) and the staging of an uploaded file between
preview and confirmation are here too, so the pages of each app stay small.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError, ErrorList, ImportFailed
from jaga.core.tabular import iter_rows
from jaga.core.types import Actor, Viewer

KEY = "id"
M = TypeVar("M", bound=models.Model)
Progress = Callable[[int], None]


class RowError(Exception):
    """A bad row: the message is translated and names the problem."""


class _Rollback(Exception):
    """Raised to roll back a dry run's transaction."""


@dataclass
class RowChange:
    """One row that adds or changes a record: its line, the key and the changed fields."""

    line: int
    key: int | None
    label: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The changed fields' names as users read them (the model's translated verbose names).
    labels: dict[str, str] = field(default_factory=dict)

    def shown(self) -> list[tuple[str, str, str]]:
        """(label, old, new) for each changed field, for the preview page."""
        return [(self.labels.get(f, f), old, new) for f, (old, new) in self.changes.items()]


@dataclass
class Plan:
    """What an import does (dry run) or did: rows added, updated (with their changes), unchanged."""

    added: list[RowChange] = field(default_factory=list)
    updated: list[RowChange] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False

    @property
    def writes(self) -> int:
        return len(self.added) + len(self.updated)

    @property
    def fingerprint(self) -> str:
        """A digest of every change: the same file against the same records gives the same one."""
        body = json.dumps(
            [
                [[c.line, c.label] for c in self.added],
                [[c.line, c.key, sorted(c.changes.items())] for c in self.updated],
                self.unchanged,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "changes": [
                {
                    "line": c.line,
                    "id": c.key,
                    "fields": {f: {"old": o, "new": n} for f, (o, n) in c.changes.items()},
                }
                for c in self.updated
            ],
            "fingerprint": self.fingerprint,
        }


def display(value: Any) -> str:
    """A value as the preview shows it (and as the file holds it)."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(getattr(value, "code", None) or value.pk)
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _verbose(obj: models.Model, name: str) -> str:
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:  # a computed value (the NIK) has no model field of that name
        return name.upper() if name == "nik" else name
    return str(getattr(field, "verbose_name", name))


def same(a: Any, b: Any) -> bool:
    """Equal as stored: model instances by primary key, lists as lists, the rest by `==`."""
    if isinstance(a, models.Model) or isinstance(b, models.Model):
        return bool(getattr(a, "pk", a) == getattr(b, "pk", b))
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        # The file holds minutes: seconds lost in a spreadsheet are not a change.
        return abs((a - b).total_seconds()) < 60
    return bool(a == b)


class Spec(Generic[M]):
    """One kind of record that round-trips. Subclasses fill the hooks."""

    #: The columns a file must have (besides the optional `id`).
    columns: list[str] = []
    #: The file column of a field when it is not the field's name (village -> village_code).
    column_of: dict[str, str] = {}

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        """The row as field values (raise RowError / DomainError). Only the fields the file
        carries: a column missing from the file leaves that field of an existing record alone."""
        raise NotImplementedError

    def existing(self, keys: list[int]) -> dict[int, M]:
        """The records with these ids that the importer may change (others are errors)."""
        raise NotImplementedError

    def current(self, obj: M, data: dict[str, Any]) -> dict[str, Any]:
        """The record's values for the fields of `data`, comparable with what `parse` returns."""
        return {f: getattr(obj, f) for f in data}

    def show(self, field: str, value: Any) -> str:
        """A value as the preview shows it (personal data masked by the specs that hold some)."""
        return display(value)

    def label(self, data: dict[str, Any], obj: M | None) -> str:
        return str(obj) if obj is not None else str(next(iter(data.values()), ""))

    def check(self, rows: list[tuple[int, dict[str, Any], M | None]]) -> list[dict[str, Any]]:
        """Errors that show only across rows or against the database (e.g. a duplicate NIK)."""
        return []

    def create(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def update(self, obj: M, changes: dict[str, Any]) -> None:
        raise NotImplementedError


def _fail(errors: ErrorList) -> None:
    if errors:
        raise ImportFailed(
            _("%(count)s bad rows; nothing was imported.") % {"count": errors.total}, errors
        )


_Parsed = list[tuple[int, int | None, dict[str, Any]]]
_Work = list[tuple[RowChange, dict[str, Any], Any]]


def _parse_rows(
    source: str | Path | IO[bytes],
    spec: Spec[Any],
    name: str | None,
    progress: Progress | None,
    errors: ErrorList,
) -> tuple[_Parsed, set[str], dict[int, int]]:
    """Each row parsed with its line and id, the file's columns, and the line of each id; a bad
    row goes to `errors`."""
    parsed: list[tuple[int, int | None, dict[str, Any]]] = []
    present: set[str] = set()
    lines_of: dict[int, int] = {}
    rows: Iterator[tuple[int, dict[str, str]]] = iter_rows(source, spec.columns, name=name)
    count = 0
    for count, (line, row) in enumerate(rows, start=1):
        present = set(row)
        raw = row.pop(KEY, "").strip()
        key: int | None = None
        try:
            if raw:
                if not raw.isdigit() or len(raw) > 18:
                    raise RowError(_("the id %(id)s is not a number") % {"id": raw})
                key = int(raw)
                if key in lines_of:
                    raise RowError(
                        _("the same id %(id)s is on line %(line)s")
                        % {"id": key, "line": lines_of[key]}
                    )
                lines_of[key] = line
            parsed.append((line, key, spec.parse(line, row)))
        except RowError as exc:
            errors.append({"line": line, "error": str(exc)})
        except DomainError as exc:
            errors.append({"line": line, "error": str(exc.message)})
        if progress is not None and count % 500 == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return parsed, present, lines_of


def _plan(
    spec: Spec[Any], parsed: _Parsed, found: dict[int, Any], present: set[str]
) -> tuple[Plan, _Work]:
    """What the rows add and change, and the work to do it (a row that changes nothing is
    only counted)."""
    plan = Plan()
    work: list[tuple[RowChange, dict[str, Any], Any]] = []
    for line, key, data in sorted(parsed, key=lambda p: p[0]):
        obj = found.get(key) if key is not None else None
        if obj is None:
            change = RowChange(line, None, spec.label(data, None))
            plan.added.append(change)
            work.append((change, data, None))
            continue
        # A column the file does not have leaves that field alone.
        data = {f: v for f, v in data.items() if spec.column_of.get(f, f) in present}
        before = spec.current(obj, data)
        diff = {f: v for f, v in data.items() if not same(before[f], v)}
        if not diff:
            plan.unchanged += 1
            continue
        change = RowChange(
            line,
            key,
            spec.label(data, obj),
            {f: (spec.show(f, before[f]), spec.show(f, v)) for f, v in diff.items()},
            {f: _verbose(obj, f) for f in diff},
        )
        plan.updated.append(change)
        work.append((change, diff, obj))
    return plan, work


def _apply(spec: Spec[Any], work: _Work, errors: ErrorList, *, dry_run: bool) -> bool:
    """Write the work in one transaction; whether it stayed (False for a dry run)."""
    try:
        with transaction.atomic():
            for change, data, obj in work:
                try:
                    with transaction.atomic():
                        if obj is None:
                            spec.create(data)
                        else:
                            spec.update(obj, data)
                except DomainError as exc:
                    errors.append({"line": change.line, "error": str(exc.message)})
            _fail(errors)
            if dry_run:
                raise _Rollback
    except _Rollback:
        return False
    return True


def run(
    source: str | Path | IO[bytes],
    spec: Spec[Any],
    *,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Read, check and (unless `dry_run`) apply a file; returns the plan of what it does.

    `expect` is the fingerprint of a previewed plan: when the plan differs (the records changed
    since the preview), nothing is written and a DomainError says to preview again.
    """
    errors = ErrorList()
    parsed, present, lines_of = _parse_rows(source, spec, name, progress, errors)
    found = spec.existing(sorted(lines_of)) if lines_of else {}
    for key, line in lines_of.items():
        if key not in found:
            errors.append(
                {
                    "line": line,
                    "error": _(
                        "id %(id)s is not a record you may change (unknown, or outside your area)"
                    )
                    % {"id": key},
                }
            )
    _fail(errors)
    if not parsed:
        raise ImportFailed(_("The file has no rows to import."), [])

    plan, work = _plan(spec, parsed, found, present)
    _fail(ErrorList(spec.check([(c.line, d, o) for c, d, o in work])))
    if expect is not None and expect != plan.fingerprint:
        raise DomainError(
            "preview_outdated",
            _("The records changed since the preview: check the file again before importing."),
        )
    if not work:
        return plan  # an unchanged file writes nothing
    if _apply(spec, work, errors, dry_run=dry_run):
        plan.applied = True
    return plan


# --- staging an upload between the preview and the confirmation ----------------------------


def _staging_dir() -> Path:
    return Path(settings.PROTECTED_MEDIA_ROOT) / "import-staging"


def stage(upload: Any, user: Viewer) -> str:
    """Keep an uploaded file until it is confirmed; returns a token bound to the user."""
    token = secrets.token_urlsafe(18)
    suffix = "".join(Path(str(upload.name)).suffixes[-2:])[:12]
    directory = _staging_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _sweep(directory)
    path = directory / f"{user.pk}-{token}{suffix}"
    upload.seek(0)
    with path.open("wb") as out:
        for chunk in iter(lambda: upload.read(1 << 16), b""):
            out.write(chunk)
    return f"{token}{suffix}"


def staged(token: str, user: Viewer) -> Path:
    """The staged file of a token, only for the user who uploaded it."""
    safe = token.replace("/", "").replace("\\", "").replace("..", "")
    path = _staging_dir() / f"{user.pk}-{safe}"
    if not safe or not path.is_file():
        raise DomainError(
            "preview_expired", _("The previewed file is no longer there: upload it again.")
        )
    return path


def unstage(token: str, user: Viewer) -> None:
    with contextlib.suppress(DomainError, OSError):
        staged(token, user).unlink()


# A staged file nobody confirmed is removed after a day.
STAGING_HOURS = 24


def _sweep(directory: Path) -> None:
    import time

    limit = time.time() - STAGING_HOURS * 3600
    for old in directory.iterdir():
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass


# --- the web flow: upload → preview → confirm -----------------------------------------------

Importer = Callable[..., Plan]


def web_import(
    request: Any,
    importer: Importer,
    *,
    title: str,
    upload: Any = None,
    back_url: str,
    hidden: dict[str, str] | None = None,
) -> tuple[HttpResponse | None, list[dict[str, Any]]]:
    """Run one step of a page's import and answer (response, errors).

    A POST with a file (`upload`, validated by the page's form) is checked as a dry run: the
    answer is the preview page, or (None, errors) when the file is refused. A POST with `token`
    and `fingerprint` (the preview's confirm button) applies exactly the previewed file: the staged
    copy, and only while the plan is the one shown. The response is a redirect to `back_url` once
    applied; (None, errors) with a message otherwise. `hidden` fields go back with the
    confirmation (e.g. which survey the file holds).
    """
    from django.contrib import messages
    from django.shortcuts import redirect, render

    token = request.POST.get("token", "")
    if token:
        try:
            path = staged(token, request.user)
            plan = importer(path, actor=request.user, expect=request.POST.get("fingerprint", ""))
        except ImportFailed as exc:
            messages.error(request, str(exc.message))
            return None, exc.errors
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return None, []
        unstage(token, request.user)
        messages.success(
            request,
            _("%(added)s rows added, %(updated)s updated, %(unchanged)s unchanged.")
            % {"added": len(plan.added), "updated": len(plan.updated), "unchanged": plan.unchanged},
        )
        return redirect(back_url), []
    try:
        plan = importer(upload, actor=request.user, name=upload.name, dry_run=True)
    except ImportFailed as exc:
        messages.error(request, str(exc.message))
        return None, exc.errors
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return None, []
    staged_token = stage(upload, request.user) if plan.writes else ""
    return (
        render(
            request,
            "core/import_preview.html",
            {
                "title": title,
                "plan": plan,
                "token": staged_token,
                "back_url": back_url,
                "hidden": hidden or {},
                "shown_updates": plan.updated[:PREVIEW_ROWS],
                "shown_added": plan.added[:PREVIEW_ROWS],
            },
        ),
        [],
    )


# The preview lists this many added and updated rows (the counts are always whole).
PREVIEW_ROWS = 200


# --- the API's answer ----------------------------------------------------------------------

from ninja import Schema  # noqa: E402


class FieldChangeOut(Schema):
    old: str
    new: str


class RowChangeOut(Schema):
    line: int
    id: int | None
    fields: dict[str, FieldChangeOut]


class RoundTripResult(Schema):
    """`imported` (added + updated) is kept for programs written before round trips."""

    applied: bool
    imported: int
    added: int
    updated: int
    unchanged: int
    changes: list[RowChangeOut]
    fingerprint: str


def api_result(plan: Plan) -> RoundTripResult:
    return RoundTripResult(imported=plan.writes if plan.applied else 0, **plan.as_dict())


# --- the command line -----------------------------------------------------------------------


def command_import(
    command: Any, importer: Importer, path: str, *, dry_run: bool, actor: Actor = None
) -> Plan:
    """Run an import for a management command: every bad row as `FILE:LINE: error` on stderr,
    the plan (and with --dry-run each changed field) on stdout."""
    import os

    from django.core.management.base import CommandError

    if not os.path.exists(path):
        raise CommandError(_("File not found: %(path)s") % {"path": path})
    try:
        plan = importer(path, actor=actor, dry_run=dry_run)
    except ImportFailed as exc:
        for error in exc.errors:
            command.stderr.write(f"{path}:{error['line']}: {error['error']}")
        if exc.more_line():
            command.stderr.write(exc.more_line())
        raise CommandError(str(exc.message)) from exc
    except DomainError as exc:
        raise CommandError(str(exc.message)) from exc
    if dry_run:
        for change in plan.updated:
            for name, (old, new) in change.changes.items():
                command.stdout.write(
                    f"{path}:{change.line}: id {change.key} {name}: {old!r} → {new!r}"
                )
        for change in plan.added:
            command.stdout.write(f"{path}:{change.line}: + {change.label}")
    counts = {"added": len(plan.added), "updated": len(plan.updated), "unchanged": plan.unchanged}
    if dry_run:
        summary = _(
            "%(added)s added, %(updated)s updated, %(unchanged)s unchanged (dry run: nothing "
            "was written)."
        )
    else:
        summary = _(
            "%(added)s added, %(updated)s updated, %(unchanged)s unchanged (applied; every row "
            "was checked first)."
        )
    command.stdout.write(summary % counts)
    return plan
