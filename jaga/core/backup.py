"""A portable, complete backup of Jaga's database (and optionally its media files), and its restore.

The archive is a zip file:

- `manifest.json`: the format name and version, the applied migrations, and for every table its
  columns, row count and the SHA-256 of its data file; `checksum` is the SHA-256 of the manifest's
  canonical JSON without that field;
- `data/<app_label.Model>.jsonl`: one JSON list per row, the columns in manifest order, rows in
  primary-key order; values are written in a form that does not depend on the database (ISO dates,
  decimals as strings, bytes as base64), so a backup of SQLite restores into PostgreSQL and back;
- `media/<path>` (with `--media`): the uploaded files, listed with their SHA-256 in the manifest.

Every table of every installed model is in it, the audit log, users, postings and sessions too.
Restore inserts every row verbatim (ids, timestamps and audit hashes kept) with raw inserts that run
no `save()`, no signal and no `auto_now`; the audit log goes in in id order and is never updated.
It runs in one transaction: a wrong row (a dangling reference, a duplicate) leaves the database as
it was. It refuses an archive of another format version, with a wrong checksum, or made at another
migration state, and a database that already holds records unless `force` is given.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError

FORMAT = "jaga-backup"
FORMAT_VERSION = 1
BATCH = 1000
# Models whose rows mean "this database is in use": restore over them needs `force`.
IN_USE_MODELS = ("accounts.User", "territory.Territory", "core.AuditLog")
# Written last on restore, in id order: the audit log is append-only (and hash-chained).
AUDIT_MODEL = "core.AuditLog"


# ---------------------------------------------------------------- values


def _encoder(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    if kind in {"DateTimeField", "DateField", "TimeField"}:
        return lambda v: v.isoformat()
    if kind == "DecimalField":
        return str
    if kind == "UUIDField":
        return str
    if kind == "DurationField":
        return lambda v: v // datetime.timedelta(microseconds=1)
    if kind == "BinaryField":
        return lambda v: base64.b64encode(bytes(v)).decode("ascii")
    return lambda v: v


def _decoder(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return datetime.datetime.fromisoformat
    if kind == "DateField":
        return datetime.date.fromisoformat
    if kind == "TimeField":
        return datetime.time.fromisoformat
    if kind == "DecimalField":
        return decimal.Decimal
    if kind == "UUIDField":
        return uuid.UUID
    if kind == "DurationField":
        return lambda v: datetime.timedelta(microseconds=v)
    if kind == "BinaryField":
        return base64.b64decode
    return lambda v: v


def backup_models() -> list[type[models.Model]]:
    """Every table Django manages: concrete models and many-to-many tables, in a stable order."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    return sorted(found, key=lambda m: m._meta.label)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.local_concrete_fields)


def table_rows(model: type[models.Model], using: str = "default") -> Iterator[list[Any]]:
    """The table's rows as JSON-ready lists, in primary-key order (what the backup writes)."""
    fields = _fields(model)
    encoders = [_encoder(f) for f in fields]
    query = (
        model._base_manager.using(using).order_by("pk").values_list(*[f.attname for f in fields])
    )
    for row in query.iterator(chunk_size=BATCH):
        yield [None if v is None else enc(v) for enc, v in zip(encoders, row, strict=True)]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _row_line(row: list[Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def applied_migrations(using: str = "default") -> list[list[str]]:
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


# ---------------------------------------------------------------- backup


@dataclass
class BackupResult:
    tables: int
    rows: int
    media_files: int


def create_backup(
    target: Path | IO[bytes], *, media: bool = False, using: str = "default"
) -> BackupResult:
    """Write the whole database (and with `media` the uploaded files) to a zip archive."""
    tables: dict[str, dict[str, Any]] = {}
    total = 0
    media_files: dict[str, str] = {}
    connection = connections[using]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # One snapshot for all tables while others keep writing.
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic(using=using):
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            migrations_state = applied_migrations(using)
            for model in backup_models():
                label = model._meta.label
                digest = hashlib.sha256()
                count = 0
                with archive.open(f"data/{label}.jsonl", "w", force_zip64=True) as out:
                    for row in table_rows(model, using):
                        line = _row_line(row)
                        digest.update(line)
                        out.write(line)
                        count += 1
                tables[label] = {
                    "table": model._meta.db_table,
                    "columns": [f.column for f in _fields(model)],
                    "rows": count,
                    "sha256": digest.hexdigest(),
                }
                total += count
        if media:
            for label, root in _media_roots().items():
                found = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
                for path in found:
                    name = f"{label}/{path.relative_to(root).as_posix()}"
                    file_digest = hashlib.sha256()
                    with path.open("rb") as src, archive.open(f"media/{name}", "w") as out:
                        while chunk := src.read(1 << 20):
                            file_digest.update(chunk)
                            out.write(chunk)
                    media_files[name] = file_digest.hexdigest()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": datetime.datetime.now(tz=datetime.UTC).isoformat(),
            "vendor": connection.vendor,
            "migrations": migrations_state,
            "tables": tables,
            "media": media_files,
        }
        manifest["checksum"] = hashlib.sha256(_canonical(manifest)).hexdigest()
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupResult(tables=len(tables), rows=total, media_files=len(media_files))


# ---------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    tables: int
    rows: int
    media_files: int
    replaced: list[str] = field(default_factory=list)


def _refuse(code: str, message: str) -> DomainError:
    return DomainError(code, message)


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The archive's manifest, checked: format, version and checksum."""
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise _refuse("not_a_backup", _("This file is not a Jaga backup.")) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("not_a_backup", _("This file is not a Jaga backup."))
    if manifest.get("version") != FORMAT_VERSION:
        raise _refuse(
            "backup_version",
            _("This backup has format version %(found)s; this Jaga reads version %(ours)s.")
            % {"found": manifest.get("version"), "ours": FORMAT_VERSION},
        )
    claimed = manifest.pop("checksum", None)
    if claimed != hashlib.sha256(_canonical(manifest)).hexdigest():
        raise _refuse(
            "backup_checksum", _("The backup's checksum does not match: the file is damaged.")
        )
    return manifest


def _check_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every data and media file is there and has the checksum the manifest gives."""
    for label, info in manifest["tables"].items():
        _check_member(archive, f"data/{label}.jsonl", info["sha256"])
    for name, sha in manifest["media"].items():
        _check_member(archive, f"media/{name}", sha)


def _check_member(archive: zipfile.ZipFile, name: str, sha: str) -> None:
    digest = hashlib.sha256()
    try:
        with archive.open(name) as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise _refuse(
            "backup_checksum",
            _("The backup is damaged: %(name)s is missing or unreadable.") % {"name": name},
        ) from exc
    if digest.hexdigest() != sha:
        raise _refuse(
            "backup_checksum",
            _("The backup is damaged: the checksum of %(name)s does not match.") % {"name": name},
        )


def _check_schema(manifest: dict[str, Any], using: str) -> list[type[models.Model]]:
    ours = applied_migrations(using)
    theirs = manifest["migrations"]
    if ours != theirs:
        missing = sorted({tuple(m) for m in theirs} - {tuple(m) for m in ours})
        extra = sorted({tuple(m) for m in ours} - {tuple(m) for m in theirs})
        raise _refuse(
            "backup_schema",
            _(
                "The backup was made at another version of Jaga's database (migrations only in "
                "the backup: %(missing)s; only here: %(extra)s). Restore it with the Jaga "
                "version that made it."
            )
            % {
                "missing": ", ".join(".".join(m) for m in missing) or "—",
                "extra": ", ".join(".".join(m) for m in extra) or "—",
            },
        )
    by_label = {m._meta.label: m for m in backup_models()}
    if set(by_label) != set(manifest["tables"]):
        raise _refuse("backup_schema", _("The backup's tables are not this Jaga's tables."))
    for label, model in by_label.items():
        if manifest["tables"][label]["columns"] != [f.column for f in _fields(model)]:
            raise _refuse(
                "backup_schema",
                _("The columns of %(table)s differ from the backup's.") % {"table": label},
            )
    return list(by_label.values())


def database_in_use(using: str = "default") -> list[str]:
    """The models that hold records (users, territories, audit entries); empty if none do."""
    return [
        label
        for label in IN_USE_MODELS
        if apps.get_model(label)._base_manager.using(using).exists()
    ]


def _insert_rows(model: type[models.Model], lines: IO[bytes], using: str) -> int:
    fields = _fields(model)
    decoders = [_decoder(f) for f in fields]
    names = [f.attname for f in fields]
    batch: list[models.Model] = []
    count = 0
    manager = model._base_manager.db_manager(using)
    for line in io.TextIOWrapper(lines, encoding="utf-8"):
        values = json.loads(line)
        obj = model(
            **{
                name: None if v is None else dec(v)
                for name, dec, v in zip(names, decoders, values, strict=True)
            }
        )
        batch.append(obj)
        if len(batch) >= BATCH:
            # raw=True: the values as they are (no auto_now, no pre_save), as loaddata does.
            manager._insert(batch, fields=fields, raw=True, using=using)  # type: ignore[attr-defined]
            count += len(batch)
            batch = []
    if batch:
        manager._insert(batch, fields=fields, raw=True, using=using)  # type: ignore[attr-defined]
        count += len(batch)
    return count


def restore_backup(
    source: Path | IO[bytes], *, force: bool = False, using: str = "default"
) -> RestoreResult:
    """Replace the database's contents with the backup's, all or nothing."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse("not_a_backup", _("This file is not a Jaga backup.")) from exc
    with archive:
        manifest = read_manifest(archive)
        _check_members(archive, manifest)
        backup_list = _check_schema(manifest, using)
        _check_media_paths(manifest)
        in_use = database_in_use(using)
        if in_use and not force:
            raise _refuse(
                "database_not_empty",
                _(
                    "The database already holds records (%(tables)s). Restore into an empty "
                    "database (after `jaga migrate`), or add --force to replace everything."
                )
                % {"tables": ", ".join(in_use)},
            )
        # The audit log last, so that everything its rows point at is in place.
        ordered = sorted(backup_list, key=lambda m: m._meta.label == AUDIT_MODEL)
        try:
            total = _replace_rows(archive, ordered, using)
        except DatabaseError as exc:
            raise _refuse(
                "backup_rows",
                _("The backup's rows do not fit together (%(error)s); nothing was changed.")
                % {
                    "error": str(exc).strip().splitlines()[0]
                    if str(exc).strip()
                    else type(exc).__name__
                },
            ) from exc
        ContentType.objects.clear_cache()
        # Whatever the shared cache holds was computed from the rows just replaced, and the
        # version tables the cached figures are keyed by (`jaga.analytics.dashcache`) are not in
        # the archive: their numbers start again, so an old entry could match a new key.
        cache.clear()
        media_count = _restore_media(archive, manifest)
    return RestoreResult(tables=len(ordered), rows=total, media_files=media_count, replaced=in_use)


def _audit_maintenance(using: str) -> AbstractContextManager[Any]:
    """The audit log's switch past its append-only triggers, for `--force` over a used database.

    Restore only inserts audit rows (in id order, hashes as they are); deleting the old ones when
    replacing a database needs `jaga.core.audit.maintenance`, where the audit chain provides it.
    """
    from jaga.core import audit

    switch = getattr(audit, "maintenance", None)
    return switch(using) if switch is not None else nullcontext()


def _replace_rows(archive: zipfile.ZipFile, ordered: list[type[models.Model]], using: str) -> int:
    connection = connections[using]
    total = 0
    with _audit_maintenance(using), transaction.atomic(using=using):
        for model in reversed(ordered):
            # Raw deletes: no cascade in Python, no signal; the references are checked at
            # commit (Django's foreign keys are deferred), when the backup's rows are back.
            model._base_manager.using(using).all()._raw_delete(using)
        for model in ordered:
            with archive.open(f"data/{model._meta.label}.jsonl") as lines:
                total += _insert_rows(model, lines, using)
        # Every reference checked now, inside the transaction (also when it is a savepoint).
        connection.check_constraints(table_names=[m._meta.db_table for m in ordered])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), ordered):
                cursor.execute(sql)
    return total


def _media_roots() -> dict[str, Path]:
    """The folders of uploaded files: public media and the private files served only through
    access-checked views (photos, signed documents). An archive names each file under its
    folder's label."""
    return {
        "media": Path(settings.MEDIA_ROOT),
        "protected": Path(settings.PROTECTED_MEDIA_ROOT),
    }


def _media_target(name: str) -> Path | None:
    """Where a file of the archive goes back, or None if it would land outside its folder."""
    label, _sep, rest = name.partition("/")
    root = _media_roots().get(label)
    if root is None or not rest:
        return None
    path = root / rest
    if not path.resolve().is_relative_to(root.resolve()):
        return None
    return path


def _check_media_paths(manifest: dict[str, Any]) -> None:
    for name in manifest["media"]:
        if _media_target(name) is None:
            raise _refuse("backup_media", _("The backup names a file outside the media folder."))


def _restore_media(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> int:
    for name in manifest["media"]:
        path = _media_target(name)
        assert path is not None  # checked before anything was written
        path.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(f"media/{name}") as src, path.open("wb") as out:
            shutil.copyfileobj(src, out)
    return len(manifest["media"])
