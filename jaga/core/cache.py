"""Django's database cache with an atomic `incr`, the default shared store of Jaga's counters.

The stock DatabaseCache increments with a read and a write: two workers counting at once lose a
count, and a rate limit then lets more through. Here only the value is rewritten, so the expiry of
the window stays as `add` set it, and no count is lost. On PostgreSQL a counter is usually one
statement: the UPDATE adds to the stored value itself (a counter `incr` has written is stored as
pickle's text form of an integer, `I42\\n.`, which the database reads and writes; Django's `get`
reads it as any pickle), so concurrent increments queue on the row's lock and each adds to what
the one before wrote. The counter `add` wrote first (binary pickle) takes the general path once:
outside a transaction a compare-and-swap (it changes the row only if the value and expiry read
are still there, else the counter is read again), two statements without a transaction of their
own; inside a caller's transaction, and on SQLite, the row is locked (SELECT … FOR UPDATE;
SQLite's IMMEDIATE transaction already holds the write lock) and rewritten.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.db import connections, models, router, transaction
from django.utils import timezone

from jaga.core import prepared

# Compare-and-swap tries before the counter is locked instead (each lost try means another
# worker counted in between: under a burst on one counter, locking is then the cheaper way).
SWAP_TRIES = 4


class DatabaseCache(_DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cache_key = self.make_and_validate_key(key, version=version)
        if connection.vendor == "postgresql":
            counted = self._add_in_place(connection, table, cache_key, delta)
            if counted is not None:
                return counted
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            for _try in range(SWAP_TRIES):
                counted = self._swap(connection, table, key, cache_key, delta)
                if counted is not None:
                    return counted
        # PostgreSQL: the counter's transaction commits without waiting for the WAL flush
        # (`synchronous_commit = off` for this transaction only, set by the same statement). Its
        # row lock is held until the commit, and every request of one address (a rate limit)
        # counts on the same row: waiting for the disk there queued them all behind each flush.
        # A crash may lose the last fraction of a second of counts of a cache; nothing else.
        # Only when the counter's transaction is its own: inside a caller's transaction the
        # setting would reach the caller's writes.
        relaxed = (
            "set_config('synchronous_commit', 'off', true), "
            if connection.vendor == "postgresql" and not connection.in_atomic_block
            else ""
        )
        with transaction.atomic(using=db), connection.cursor() as cursor:
            # Read and lock the row in one statement, then rewrite only its value.
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')}, {relaxed}1 FROM {table}"  # noqa: S608
                f" WHERE {quote('cache_key')} = %s{lock}",
                [cache_key],
            )
            row = cursor.fetchone()
            if row is not None:
                # As Django's own `get` reads it (SQLite gives text back).
                expression = models.Expression(output_field=models.DateTimeField())
                expires = row[1]
                for converter in connection.ops.get_db_converters(
                    expression
                ) + expression.get_db_converters(connection):
                    expires = converter(expires, expression, connection)
                # Expiry is stored to the second, and `add` compares it so: a row `add` still
                # sees as live is counted here too (else `add` fails and so does `incr`). The row
                # is left for `add` / `set` to overwrite.
                if expires < timezone.now().replace(microsecond=0):
                    row = None
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            new_value, encoded = self._added(row[0], delta)
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",  # noqa: S608
                [encoded, cache_key],
            )
        return int(new_value)

    def _added(self, stored: str, delta: int) -> tuple[Any, str]:
        """A stored counter plus `delta`: the new value and its stored form (Django's, with an
        integer in pickle's text form, which `_add_in_place` can add to)."""
        new_value = pickle.loads(base64.b64decode(stored.encode())) + delta  # noqa: S301 (our rows)
        protocol = 0 if type(new_value) is int else self.pickle_protocol
        return new_value, base64.b64encode(pickle.dumps(new_value, protocol)).decode("latin1")

    def _add_in_place(self, connection: Any, table: str, cache_key: str, delta: int) -> int | None:
        """PostgreSQL: add `delta` to a live counter stored as pickle's text form of an integer
        (`I<digits>\\n.`, base64 as every value) in one UPDATE, and return the new count. None
        (nothing written) if the row is missing, expired or stored otherwise. The new value is
        computed from the row the UPDATE locked (a concurrent increment is waited for and added
        to), so no count is lost. Outside a caller's transaction the statement is its own and
        commits without waiting for the WAL flush (as below)."""
        quote = connection.ops.quote_name
        value, key, expires = quote("value"), quote("cache_key"), quote("expires")
        text = f"encode(decode({value}, 'base64'), 'escape')"
        number = f"rtrim(substr({text}, 2), E'\\n.')::bigint"
        relaxed = (
            "" if connection.in_atomic_block else ", set_config('synchronous_commit', 'off', true)"
        )
        with prepared.cursor(connection.alias) as cursor:
            cursor.execute(
                f"UPDATE {table} SET {value} = encode(convert_to("  # noqa: S608
                f"'I' || ({number} + %s)::text || E'\\n.', 'UTF8'), 'base64')"
                f" WHERE {key} = %s AND {expires} >= %s AND {text} ~ '^I-?[0-9]{{1,10}}\\n[.]$'"
                f" RETURNING {number}{relaxed}",
                [int(delta), cache_key, timezone.now().replace(microsecond=0)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row is not None else None

    def _swap(
        self, connection: Any, table: str, key: Any, cache_key: str, delta: int
    ) -> int | None:
        """PostgreSQL, outside a transaction: read the counter, then write value + delta only if
        the row still holds what was read. None if another worker changed it in between."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table}"  # noqa: S608
                f" WHERE {quote('cache_key')} = %s",
                [cache_key],
            )
            row = cursor.fetchone()
            # Expiry is stored to the second, and `add` compares it so (see below).
            if row is None or row[1] < timezone.now().replace(microsecond=0):
                raise ValueError(f"Key '{key}' not found.")
            new_value, encoded = self._added(row[0], delta)
            # The statement is its own transaction: it commits without waiting for the WAL flush
            # (as the locked path below; a crash may lose the last counts of a cache).
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s"  # noqa: S608
                f" WHERE {quote('cache_key')} = %s AND {quote('value')} = %s"
                f" AND {quote('expires')} = %s"
                " RETURNING set_config('synchronous_commit', 'off', true)",
                [encoded, cache_key, row[0], row[1]],
            )
            return int(new_value) if cursor.fetchone() is not None else None

    def decr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version)
