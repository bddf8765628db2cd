"""Django's database cache with an atomic `incr`, the default shared store of Jaga's counters.

The stock DatabaseCache increments with a read and a write: two workers counting at once lose a
count, and a rate limit then lets more through. Here the row is locked (SELECT … FOR UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock) and only the value is
rewritten, so the expiry of the window stays as `add` set it.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.db import connections, router, transaction


class DatabaseCache(_DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote('cache_key')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",  # noqa: S608
                    [self.make_and_validate_key(key, version=version)],
                )
            value = self.get(key, self._missing_key, version=version)  # drops an expired row
            if value is self._missing_key:
                raise ValueError(f"Key '{key}' not found.")
            new_value = value + delta
            encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol)).decode(
                "latin1"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",  # noqa: S608
                    [encoded, self.make_and_validate_key(key, version=version)],
                )
        return int(new_value)

    def decr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version)
