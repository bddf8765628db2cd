"""Reads a hot path makes on every request, compiled to SQL once per process.

Django compiles a queryset to SQL each time it runs it (`SQLCompiler.as_sql`: the select list,
the joins, the ordering), and for a short lookup that costs more CPU than the database spends
answering it. `Prepared` compiles the queryset once per database (and per `key` the caller
gives, e.g. today's date), remembers where the values of the call sit among the parameters, and
for each call runs the same SQL with the new values and reads the rows back into model instances
the way the queryset's own iterator does (`ModelIterable`: the same converters, the same
`select_related` objects). Same statement, same result, no compilation. Each thread compiles its
own (a compiled statement keeps its connection, which is per thread).

Only values that reach the database unchanged can vary between calls: strings and integers
(a `CharField` or an id). Anything else (a date, a list) goes into `key` and makes its own
compiled statement.

`insert(obj)` is the same for a new row: what `Model.objects.create` / `save(force_insert=True)`
does, with the INSERT's text made once per model and database. Each value goes through the same
field methods as in `save()` (`pre_save`, `get_db_prep_save`); a model whose saving does more
(its own `save()`, `pre_save` / `post_save` receivers, a parent table, database defaults or
generated columns) is saved by `save()` itself.

`cursor(alias)` is a cursor for such statements, run again and again with new values: on
PostgreSQL (unless `JAGA_PREPARED_STATEMENTS` is off) it binds the values on the server and
prepares each statement once per connection, so the database parses and plans it once, not on
every request, and psycopg sends the values beside the statement instead of quoting them into it.
Everything else keeps Django's cursor (client-side binding, which any SQL the ORM writes accepts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)

# Stand-ins for the call's values while compiling: unlike any real value, found among the
# compiled parameters by identity of content (each must appear exactly once).
_STR_MARK = "\x1fjaga-prepared-slot-{}\x1f"
_INT_MARK = -7_300_000_000_000_000_000


@dataclass
class _Compiled:
    sql: str
    params: list[Any]
    positions: list[int]
    compiler: SQLCompiler
    converters: dict[int, Any]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]


class Prepared(Generic[M]):
    """`Prepared(Territory, lambda code: Territory.objects.filter(code=code), str)`, then
    `.all(code)` or `.first(code)`: the rows the queryset would give for that code. With
    `key`, `build` gets it as its last argument (`.all(code, key=today)`)."""

    def __init__(
        self, model: type[M], build: Callable[..., models.QuerySet[M]], *kinds: type
    ) -> None:
        if any(kind not in (str, int) for kind in kinds):
            raise TypeError("only str and int values can vary between calls")
        self._model = model
        self._build = build
        self._kinds = kinds
        # Per thread: a compiled statement keeps the connection it was compiled for.
        self._local = threading.local()

    def all(self, *values: str | int, key: Hashable = None) -> list[M]:
        return self._run(values, key, first=False)

    def first(self, *values: str | int, key: Hashable = None) -> M | None:
        """What `queryset.first()` gives: the first row by the queryset's order (by pk when it
        has none)."""
        found = self._run(values, key, first=True)
        return found[0] if found else None

    def _marks(self) -> list[str | int]:
        return [
            _STR_MARK.format(i) if kind is str else _INT_MARK - i
            for i, kind in enumerate(self._kinds)
        ]

    def _compile(self, alias: str, first: bool, key: Hashable) -> _Compiled:
        marks = self._marks()
        queryset = self._build(*marks, key) if key is not None else self._build(*marks)
        if first:
            queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = []
        for mark in marks:
            if params.count(mark) != 1:
                raise ValueError(f"a prepared value must appear once in the statement: {sql}")
            positions.append(params.index(mark))
        select, klass_info = compiler.select, compiler.klass_info
        columns = [s[0] for s in select[: compiler.col_count]]
        if compiler.has_extra_select or compiler.has_composite_fields(columns):
            raise ValueError("a prepared read reads plain model rows only")
        assert klass_info is not None
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=params,
            positions=positions,
            compiler=compiler,
            converters=compiler.get_converters(columns),
            init_list=[f[0].target.attname for f in select[start:end]],
            start=start,
            end=end,
            # django-stubs describes a later Django (a fetch_mode argument); 5.2 takes three.
            populators=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
        )

    def _run(self, values: tuple[str | int, ...], key: Hashable, first: bool) -> list[M]:
        if len(values) != len(self._kinds):
            raise TypeError(f"expected {len(self._kinds)} values, got {len(values)}")
        plain: list[str | int] = []
        for value, kind in zip(values, self._kinds, strict=True):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(f"a prepared value must be a {kind.__name__}: {value!r}")
            plain.append(kind(value))  # a str or int subclass (SafeString, a choice) as itself
        model = self._model
        alias = router.db_for_read(model) or "default"
        cache = getattr(self._local, "compiled", None)
        if cache is None:
            cache = self._local.compiled = {}
        compiled = cache.get((alias, first, key))
        if compiled is None:
            if len(cache) >= 32:  # keys that pass (yesterday's date): start again
                cache.clear()
            compiled = cache[(alias, first, key)] = self._compile(alias, first, key)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, plain, strict=True):
            params[position] = value
        with cursor(alias) as statement:
            statement.execute(compiled.sql, params)
            rows = statement.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        found = []
        for row in rows:
            obj = model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


# ---------------------------------------------------------------- prepared statements


def _preparing_classes() -> tuple[type, type]:
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Server-side binding, and every statement prepared on its first run (psycopg keeps
        the last `prepared_max` per connection and deallocates the oldest)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    class PreparingDebugWrapper(CursorDebugWrapper):
        """What Django logs (DEBUG, `CaptureQueriesContext`): the statement with its values
        written in, as for its own cursors (psycopg keeps no such text of a bound one)."""

        def execute(self, sql: Any, params: Any = None) -> Any:
            with self.debug_sql(_readable(self.db, sql, params), params):
                return CursorWrapper.execute(self, sql, params)

    return PreparingCursor, PreparingDebugWrapper


def _readable(connection: Any, sql: str, params: Any) -> str:
    if params is None:
        return sql
    try:
        return str(connection.ops.compose_sql(sql, params))
    except Exception:  # noqa: BLE001 (a value psycopg cannot write as text: log the statement)
        return sql


_PREPARING: list[tuple[type, type]] = []
# A threshold no statement reaches by count: only those run with `prepare=True` are prepared.
_ASKED_ONLY = 2**31 - 1


def cursor(alias: str = "default") -> CursorWrapper:
    """A cursor for a statement this process runs again and again (see the module's text): on
    PostgreSQL prepared once per connection, elsewhere Django's own cursor. Only for statements
    written for it: the values are typed on the server, so a `%s` the database cannot type from
    its place (`SELECT %s`) is refused."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or not settings.JAGA_PREPARED_STATEMENTS:
        return connection.cursor()
    if not _PREPARING:
        _PREPARING.append(_preparing_classes())
    cursor_class, debug_class = _PREPARING[0]
    # What `connection.cursor()` does, with this cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django opens its connections with preparing off (None), which psycopg takes as
            # "never", even when asked. Django's own cursors bind on the client and never
            # prepare whatever the threshold; this one asks for every statement it runs.
            connection.connection.prepare_threshold = _ASKED_ONLY
        raw = cursor_class(connection.connection)
        _same_time_zone(connection, raw)
        if connection.queries_logged:
            connection.validate_thread_sharing()
            return debug_class(raw, connection)  # type: ignore[no-any-return]
        return connection._prepare_cursor(raw)  # type: ignore[attr-defined,no-any-return]


def _same_time_zone(connection: Any, raw: Any) -> None:
    # As Django's `create_cursor`: the connection's time zone for timestamps read back.
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, raw)


# ---------------------------------------------------------------- inserts


@dataclass
class _Insert:
    sql: str
    fields: list[models.Field[Any, Any]]
    auto_field: models.Field[Any, Any] | None  # the key the database gives, if any
    returning: bool


# Per process: the statement's text only (no connection), the same for every thread.
_inserts: dict[tuple[type[models.Model], str], _Insert | None] = {}


def _plain_insert(model: type[models.Model], alias: str) -> _Insert | None:
    """The INSERT of a new row of `model` (without its key when the database gives it), or None
    when saving it does more than one INSERT of its own fields."""
    meta = model._meta
    auto_field = meta.auto_field
    fields = [f for f in meta.local_concrete_fields if f is not auto_field]
    if (
        model.save is not models.Model.save
        or meta.proxy
        or meta.parents
        or meta.order_with_respect_to is not None
        or len(meta.pk_fields) != 1
        or meta.db_returning_fields != ([auto_field] if auto_field is not None else [])
        or any(f.generated or f.has_db_default() or hasattr(f, "get_placeholder") for f in fields)
    ):
        return None
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    returning = auto_field is not None and connection.features.can_return_columns_from_insert
    if returning:
        # Not in django-stubs; every backend that can return columns has it.
        suffix, _params = connection.ops.return_insert_columns([auto_field])  # type: ignore[attr-defined]
        sql += " " + suffix
    return _Insert(sql=sql, fields=fields, auto_field=auto_field, returning=returning)


def insert(obj: M, *, using: str | None = None, send_signals: bool = True) -> M:
    """Insert the new row `obj` and set the key the database gave it: what
    `save(force_insert=True)` does. `send_signals=False` is for a caller that has done what the
    model's `pre_save` receivers do (said at the call); without receivers it changes nothing."""
    alias = using or router.db_for_write(type(obj), instance=obj)
    statement = insert_statement(obj, using=alias, send_signals=send_signals)
    if statement is None:
        obj.save(force_insert=True, using=alias)
        return obj
    sql, params = statement
    compiled = _inserts[(type(obj), alias)]
    assert compiled is not None
    with transaction.mark_for_rollback_on_error(alias), cursor(alias) as run:
        run.execute(sql, params)
        if compiled.auto_field is not None:
            if compiled.returning:
                pk = run.fetchone()[0]
            else:
                table, column = obj._meta.db_table, str(compiled.auto_field.column)
                pk = connections[alias].ops.last_insert_id(run, table, column)
            setattr(obj, compiled.auto_field.attname, pk)
    inserted(obj, alias)
    return obj


def insert_statement(
    obj: models.Model,
    *,
    using: str | None = None,
    send_signals: bool = True,
    source: str = "",
    from_source: dict[str, str] | None = None,
    null_literals: bool = False,
) -> tuple[str, list[Any]] | None:
    """The INSERT `insert(obj)` runs, as SQL and values, not run; None where `insert` would
    leave the row to `save()`. With `source` and `from_source` ({field: column}), those fields
    take their values from the rows of `source` (a statement before it in the same WITH:
    `INSERT ... SELECT report.id, %s, ... FROM report`), for one round trip instead of two.
    `null_literals`: a NULL is written into the statement, not sent as a value (a statement of
    many values, most of them NULL: psycopg keeps its conversion of a statement only up to 50
    values; one statement text per pattern of NULLs)."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    key = (model, alias)
    if key not in _inserts:
        _inserts[key] = _plain_insert(model, alias)
    compiled = _inserts[key]
    if (
        compiled is None
        # A key of the database's own given anyway, or none given where the database gives none.
        or (obj.pk is not None) == (compiled.auto_field is not None)
        or (send_signals and (pre_save.has_listeners(model) or post_save.has_listeners(model)))
    ):
        return None
    # As save() does: a related object saved after it was assigned gives its key now.
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    connection = connections[alias]
    taken = from_source or {}
    params, values = [], []
    for field in compiled.fields:
        if field.name in taken:
            values.append(f"{source}.{connection.ops.quote_name(taken[field.name])}")
            continue
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):  # an expression: compiled by save() itself
            return None
        value = field.get_db_prep_save(value, connection=connection)
        if value is None and null_literals:
            values.append("NULL")
            continue
        params.append(value)
        values.append("%s")
    if not taken and not null_literals:
        return compiled.sql, params
    if set(taken) - {f.name for f in compiled.fields}:
        raise ValueError(f"not fields of {model.__name__}: {sorted(taken)}")
    head, returning = compiled.sql.split(" VALUES (", 1)
    returning = returning.split(")", 1)[1] if compiled.returning else ""
    if not taken:
        return f"{head} VALUES ({', '.join(values)}){returning}", params
    if not source.isidentifier():
        raise ValueError(f"not the name of a statement: {source!r}")
    return f"{head} SELECT {', '.join(values)} FROM {source}{returning}", params  # noqa: S608


def inserted(obj: models.Model, alias: str) -> None:
    """`obj`, its key set, now a saved row of the database `alias` (what save() leaves)."""
    obj._state.adding = False
    obj._state.db = alias
