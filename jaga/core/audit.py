"""The append-only audit log: every service that changes data calls `log_action`.

Tamper evidence: each row stores `row_hash`, the SHA-256 of its canonical content (time, actor,
action, object, territory, before, after, note) together with `prev_hash`, the hash of the row
before it (by id). Appends are serialised (an advisory lock on PostgreSQL, SQLite's write lock) so
two writers never hang their rows on the same predecessor. `verify_chain` walks the chain.

Below the ORM, triggers refuse UPDATE, DELETE and TRUNCATE of the table (migration 0004) unless the
connection is in `maintenance()`, which only flushing a test database and `jaga restore` use.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from jaga.core import prepared
from jaga.core.models import AuditLog
from jaga.core.types import Actor, signed_in

# Fields that hold personal data are logged as changed, never with their value.
REDACTED_FIELDS = {"password", "nik", "nik_hash", "phone", "email", "key_hash", "secret"}


# Values taken as they are, by exact type (the common case, checked first; a subclass goes the
# long way below and ends the same).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj`, JSON-ready, personal data redacted."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        name = field.attname
        value = getattr(obj, name)
        if field.name in REDACTED_FIELDS:
            data[field.name] = "***" if value else value
        elif isinstance(value, FieldFile):
            # An empty FieldFile raises ValueError on `.url`: read only its name.
            data[field.name] = value.name or ""
        else:
            data[field.name] = _jsonable(value)
    return data


def log_action(
    action: str,
    obj: models.Model,
    *,
    actor: Actor = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
    territory_code: str = "",
    note: str = "",
    along: Along | Sequence[Along] | None = None,
) -> AuditLog:
    """Write one audit row. Call inside the service's transaction, after taking the row locks it
    needs: on PostgreSQL the audit lock is held from here until the transaction commits.
    `along`: statements run in the same round trip, just before the lock (see `Along`). An `obj`
    without its key yet is one a statement of `along` writes: its row is made once they have
    run (their `done` set the key), with `after` called then."""

    def entry() -> AuditLog:
        return audit_entry(
            action,
            obj,
            actor=actor,
            before=before,
            after=after() if callable(after) else after,
            territory_code=territory_code,
            note=note,
        )

    if obj.pk is None and along is not None:
        with transaction.atomic(using=DEFAULT_DB_ALIAS, savepoint=False):
            _lock_chain_along(connections[DEFAULT_DB_ALIAS], _listed(along))
            if obj.pk is None:
                raise ValueError("the statements along the lock gave the object no key")
            return append_many([entry()], _locked=True)[0]
    return append(entry(), along=along)


def _listed(along: Along | Sequence[Along]) -> Sequence[Along]:
    return [along] if isinstance(along, Along) else along


def audit_entry(
    action: str,
    obj: models.Model,
    *,
    actor: Actor = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    territory_code: str = "",
    note: str = "",
) -> AuditLog:
    """The audit row `log_action` writes, not yet chained: for `append_many`."""
    return AuditLog(
        actor=signed_in(actor),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        territory_code=territory_code,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        note=note,
    )


# --- the hash chain ---------------------------------------------------------------------------

# pg_advisory_xact_lock key: "jaga" in ASCII. Every append takes it, so the chain never forks.
AUDIT_LOCK_KEY = 0x6A616761
HASHED_FIELDS = (
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "territory_code",
    "before",
    "after",
    "note",
)


def _plain(value: Any) -> Any:
    # PostgreSQL's jsonb gives 1e16 back as 10000000000000000: hash integral floats as integers.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def canonical(entry: AuditLog) -> bytes:
    """The bytes a row's hash covers. Keep in step with migration 0003, which chains old rows."""
    at = entry.at
    if timezone.is_naive(at):
        at = timezone.make_aware(at, datetime.UTC)
    content = {
        "at": at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "territory_code": entry.territory_code,
        "before": _plain(entry.before),
        "after": _plain(entry.after),
        "note": entry.note,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def compute_hash(entry: AuditLog) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _lock_chain(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        with prepared.cursor(connection.alias) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
    # SQLite: Jaga opens every transaction IMMEDIATE, so this transaction already holds the
    # database's only write lock.


def _column(name: str) -> str:
    return str(AuditLog._meta.get_field(name).column)  # type: ignore[union-attr]


def _last_hash(connection: BaseDatabaseWrapper) -> str:
    """The chain's head: the hash of the row with the highest id ("" for an empty log). The
    statement `AuditLog.objects.order_by("-id").values_list("row_hash")[:1]` makes, written
    once: every audited write reads it."""
    quote = connection.ops.quote_name
    meta = AuditLog._meta
    with prepared.cursor(connection.alias) as cursor:
        cursor.execute(
            f"SELECT {quote(_column('row_hash'))} FROM {quote(meta.db_table)}"  # noqa: S608
            f" ORDER BY {quote(_column('id'))} DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return str(row[0]) if row else ""


@dataclasses.dataclass
class Along:
    """A data-changing statement with RETURNING (`UPDATE ... RETURNING ...`) that `append` runs
    in the same round trip as the chain's lock, just before taking it: the lock is held until
    the commit, and one round trip fewer inside it is more audited writes a second. `rows`
    holds what the statement returned (one dict per row, by column name).

    Several go in one statement (`along=[first, second]`, in their order). On PostgreSQL each is
    a statement of one WITH, named `name`: a later one may read an earlier one's rows by that
    name (`INSERT ... SELECT report.id ... FROM report`); elsewhere they run one by one, and
    must not."""

    sql: str
    params: Sequence[Any]
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    name: str = "run"
    # Called with `rows` once the statement has run (a new row's key onto its object, say).
    done: Callable[[list[dict[str, Any]]], None] | None = None


def _lock_chain_along(connection: BaseDatabaseWrapper, along: Sequence[Along]) -> None:
    with prepared.cursor(connection.alias) as cursor:
        if connection.vendor != "postgresql":
            for each in along:
                cursor.execute(each.sql, list(each.params))
                names = [c[0] for c in cursor.description or []]
                each.rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
                if each.done is not None:
                    each.done(each.rows)
            return
        named = {each.name for each in along}
        if len(named) != len(along) or not all(n.isidentifier() and n != "done" for n in named):
            raise ValueError("statements run along the lock need names of their own")
        # `done` aggregates every row each statement returned before the outer row exists, so
        # all of them have run and taken their locks before the chain's (the order every other
        # writer takes them in; a statement of a WITH that nothing reads would run after).
        statements = ", ".join(f"{each.name} AS ({each.sql})" for each in along)
        returned = ", ".join(
            f"(SELECT COALESCE(json_agg({n}), '[]'::json) FROM {n}) AS {n}"  # noqa: S608
            for n in (each.name for each in along)
        )
        params = [value for each in along for value in each.params]
        cursor.execute(
            f"WITH {statements} SELECT done.*, pg_advisory_xact_lock(%s)"  # noqa: S608
            f" FROM (SELECT {returned}) AS done",
            [*params, AUDIT_LOCK_KEY],
        )
        row = cursor.fetchone()
    for each, rows in zip(along, row[: len(along)], strict=True):
        each.rows = json.loads(rows) if isinstance(rows, str) else list(rows)
    for each in along:
        if each.done is not None:
            each.done(each.rows)


def _insert_onto_head(connection: BaseDatabaseWrapper, entry: AuditLog, using: str) -> bool:
    """PostgreSQL, one entry, the chain already locked: read the head and insert the entry
    hashed onto it in one statement. The hash is SHA-256 of the same canonical bytes: the bytes
    before and after the previous hash are made here, the database puts the head between them;
    the row it wrote is then checked against `compute_hash`. False (nothing written) if the
    entry's own text contains the stand-in for the previous hash."""
    stand_in = secrets.token_hex(16)
    entry.prev_hash = stand_in
    mark = json.dumps(stand_in).encode()
    data = canonical(entry)
    if data.count(mark) != 1:
        return False
    before, after = data.split(mark)
    meta = AuditLog._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(_column("id"))
    prev, digest = quote(_column("prev_hash")), quote(_column("row_hash"))
    fields = [
        f
        for f in meta.concrete_fields
        if (entry.pk is not None or not f.primary_key) and f.name not in ("prev_hash", "row_hash")
    ]
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    columns = ", ".join(quote(_column(f.name)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with prepared.cursor(connection.alias) as cursor:
        cursor.execute(
            f"WITH head AS (SELECT COALESCE((SELECT {digest} FROM {table}"  # noqa: S608
            f" ORDER BY {pk} DESC LIMIT 1), '') AS hash)"
            f" INSERT INTO {table} ({columns}, {prev}, {digest}) VALUES ({marks},"
            " (SELECT hash FROM head), encode(sha256(%s::bytea"
            " || convert_to('\"' || (SELECT hash FROM head) || '\"', 'UTF8') || %s::bytea), 'hex'))"
            f" RETURNING {pk}, {prev}, {digest}",
            [*values, before, after],
        )
        entry.pk, entry.prev_hash, entry.row_hash = cursor.fetchone()
    entry._state.adding = False
    entry._state.db = using
    # `canonical(entry)` now that prev_hash is the head's: the same bytes with the head's hash
    # (hex: JSON writes it as it is) where the stand-in was.
    expected = hashlib.sha256(before + json.dumps(entry.prev_hash).encode() + after).hexdigest()
    if entry.row_hash != expected:  # never: the same bytes; refuse to commit if so
        raise DatabaseError("the audit row's hash does not match its content")
    return True


def append(entry: AuditLog, *, along: Along | Sequence[Along] | None = None) -> AuditLog:
    """Hash `entry` onto the end of the chain and insert it."""
    return append_many([entry], along=along)[0]


def append_many(
    entries: list[AuditLog],
    *,
    along: Along | Sequence[Along] | None = None,
    _locked: bool = False,
) -> list[AuditLog]:
    """Hash `entries` onto the end of the chain in their order and insert them: one lock, one
    read of the last hash and one INSERT for the lot (a batch of check-ins, say). On PostgreSQL a
    single entry is read onto the head and inserted in one statement. `along`: see `Along`."""
    if not entries:
        return entries
    using = DEFAULT_DB_ALIAS
    connection = connections[using]
    with transaction.atomic(using=using, savepoint=False):
        if _locked:  # `log_action` took the lock with its statements, in this transaction
            pass
        elif along is not None:
            _lock_chain_along(connection, _listed(along))
        else:
            _lock_chain(connection)
        now = timezone.now()
        for entry in entries:
            entry.at = entry.at or now
            # JSON values are stored and read back; hash what a reader will see.
            entry.before = (
                json.loads(json.dumps(entry.before)) if entry.before is not None else None
            )
            entry.after = json.loads(json.dumps(entry.after)) if entry.after is not None else None
        if (
            len(entries) == 1
            and connection.vendor == "postgresql"
            and _insert_onto_head(connection, entries[0], using)
        ):
            return entries
        prev = _last_hash(connection)
        for entry in entries:
            entry.prev_hash = prev
            entry.row_hash = prev = compute_hash(entry)
        if len(entries) == 1:
            entries[0].save(using=using, force_insert=True)
        else:
            # One multi-row INSERT: the ids follow the list's order, as the chain does.
            AuditLog.objects.using(using).bulk_create(entries)
    return entries


@dataclasses.dataclass
class ChainReport:
    count: int
    head: str
    broken: AuditLog | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_chain(using: str = DEFAULT_DB_ALIAS, batch: int = 2000) -> ChainReport:
    """Walk the chain in id order; stop at the first row that does not match.

    An edited row fails its own hash; a deleted row leaves its successor pointing at a hash that
    is not its predecessor's; a reordered or inserted row breaks the link after it.
    """
    prev = ""
    count = 0
    rows = AuditLog.objects.using(using).order_by("id")
    for entry in rows.iterator(chunk_size=batch):
        if entry.prev_hash != prev:
            return ChainReport(count, prev, entry, "link")
        if entry.row_hash != compute_hash(entry):
            return ChainReport(count, prev, entry, "content")
        prev = entry.row_hash
        count += 1
    return ChainReport(count, prev)


# --- maintenance: the only way past the triggers ------------------------------------------------

MAINTENANCE_SETTING = "jaga.audit_maintenance"


def sqlite_maintenance_flag(connection: BaseDatabaseWrapper) -> int:
    return 1 if getattr(connection, "jaga_audit_maintenance", False) else 0


@contextmanager
def maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this connection delete or truncate audit rows while the block runs.

    For restoring a backup and flushing a test database only: the rows removed here are gone from
    the chain. On PostgreSQL this sets the session setting `jaga.audit_maintenance = 'on'`, which
    the triggers check; on SQLite a flag on the connection, read by the `jaga_audit_maintenance()`
    SQL function the triggers call (a connection without that function, such as the sqlite3 shell,
    cannot pass them at all).
    """
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [MAINTENANCE_SETTING])
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', false)", [MAINTENANCE_SETTING])
            except DatabaseError:
                # The block's transaction failed: its rollback undoes the 'on' set inside it.
                pass
    else:
        connection.jaga_audit_maintenance = True  # type: ignore[attr-defined]
        try:
            yield
        finally:
            connection.jaga_audit_maintenance = False  # type: ignore[attr-defined]
