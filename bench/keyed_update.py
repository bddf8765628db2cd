"""Benchmark: adding counts to existing roll-up rows by their keys (`analytics.add_by_key`).

    .venv/bin/python -m bench.keyed_update [--rows 120000] [--rounds 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python -m bench.keyed_update

What an import or a batch of reports does when its months are already counted: every key it
counts has a row, and its count is added to that row. In one transaction, rolled back after each
timed step, the village roll-up gets `--rows` rows (200 villages x 60 months x 10 categories at
the default), then a delta is added to each by its key, two ways interleaved round by round on
the same rows: one UPDATE statement per row (`executemany`, what `add_to_rollups` did before)
and `add_by_key` as it is. Prints each step's seconds and the medians' ratio. With SQLite a
throw-away data directory is used; with DATABASE_URL the database is migrated and left as it
was. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="jaga-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["JAGA_DATA_DIR"] = tmp.name
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    os.environ.pop("DEBUG", None)  # DEBUG keeps every query in memory
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from jaga.analytics.models import MonthlyIncidentCount
    from jaga.analytics.rollups import add_by_key

    call_command("migrate", verbosity=0)
    table = MonthlyIncidentCount._meta.db_table
    months = [datetime.date(2000 + k // 12, 1 + k % 12, 1) for k in range(60)]
    keys = [
        (village, month, category)
        for village in range(1, args.rows // 600 + 2)
        for month in months
        for category in range(1, 11)
    ][: args.rows]

    def per_row(updates: list[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET count = count + %s"  # noqa: S608 - the model's table
                " WHERE village_id = %s AND month = %s AND category_id = %s",
                updates,
            )

    def timed(step: Callable[[list[tuple[Any, ...]]], None]) -> float:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # The villages and categories are made up: their keys are checked at a commit
                # that never comes.
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                else:
                    cursor.execute("PRAGMA defer_foreign_keys = ON")
                cursor.executemany(
                    f"INSERT INTO {table} (village_id, month, category_id, count,"  # noqa: S608
                    " province_code, regency_code, district_code)"
                    " VALUES (%s, %s, %s, 1, '35', '35.03', '35.03.01')",
                    keys,
                )
            started = time.perf_counter()
            step([(2, *key) for key in keys])
            spent = time.perf_counter() - started
            transaction.set_rollback(True)
        return spent

    steps = {
        "statement per row": per_row,
        "add_by_key": lambda u: add_by_key(MonthlyIncidentCount, u),
    }
    spent: dict[str, list[float]] = {name: [] for name in steps}
    print(f"database: {connection.vendor}; {len(keys):,} rows, each given a delta by its key")
    for round_ in range(args.rounds):
        order = list(steps) if round_ % 2 == 0 else list(reversed(steps))
        for name in order:
            spent[name].append(timed(steps[name]))
            print(f"round {round_ + 1}: {name}: {spent[name][-1]:.2f} s", flush=True)
    medians = {name: statistics.median(times) for name, times in spent.items()}
    for name, median in medians.items():
        print(f"{name}: median {median:.2f} s = {median / len(keys) * 1e6:.1f} µs a row")
    print(
        f"add_by_key / statement per row: {medians['add_by_key'] / medians['statement per row']:.2f}"
    )


if __name__ == "__main__":
    main()
