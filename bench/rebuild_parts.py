"""Time the incident roll-ups' rebuild statement by statement (issue 13 item 4).

    BENCH_DATABASE_URL=postgres://.../jaga_bench_rb python -m bench.rebuild_parts new|anew|old [--reader full|light|none]

`new` runs `jaga.analytics.rebuild.rebuild_incidents` as it is (on roll-ups that are right: the
recount finds nothing to write), `anew` the same made to build both tables anew and swap them in
(the path taken when many rows differ); `old` runs the one of commit
OLD_COMMIT (indexes dropped and put back around TRUNCATE + INSERT ... SELECT), with the village
roll-up's single-column index on village_id present as it was then (created outside the timing
when missing; `new` drops it, as migration analytics 0008 does). Every statement is timed through
a Django execute wrapper, with the WAL it wrote; a reader process meanwhile sums the roll-ups
every 0.2 s and reports its slowest read and what it saw (old or new totals, never a half):
`full` (the default) counts the whole village table each time, `light` reads one regency's
rows through the indexes as a page would.

Never on a database others read: the rebuild replaces the roll-up tables.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OLD_COMMIT = "ae40ed2"
# The reader's statement: `full` counts the whole village roll-up (a scan of 7.6 million rows,
# most of a core on a two-core machine, as the earlier sessions' figures were taken), `light` reads
# one regency's rows through the indexes, as the pages do (`--reader full|light|none`).
READS = {
    "full": (
        "SELECT (SELECT count(*) FROM analytics_monthlyincidentcount), "
        "(SELECT sum(count) FROM analytics_monthlyincidentcount WHERE regency_code = %s), "
        "(SELECT sum(count) FROM analytics_areamonthlycount WHERE area_code = %s)"
    ),
    "light": (
        "SELECT (SELECT sum(count) FROM analytics_monthlyincidentcount WHERE regency_code = %s), "
        "(SELECT sum(count) FROM analytics_areamonthlycount WHERE area_code = %s)"
    ),
}


def reader(url: str, stop: Any, out: Any, read: str) -> None:
    import psycopg

    seen: set[tuple[Any, ...]] = set()
    slowest = 0.0
    reads = 0
    with psycopg.connect(url, autocommit=True) as conn:
        regency = conn.execute(
            "SELECT regency_code FROM analytics_monthlyincidentcount LIMIT 1"
        ).fetchone()[0]
        while not stop.is_set():
            started = time.monotonic()
            seen.add(tuple(conn.execute(read, [regency, regency]).fetchone()))
            slowest = max(slowest, time.monotonic() - started)
            reads += 1
            time.sleep(0.2)
    out.put({"reads": reads, "slowest_s": round(slowest, 2), "seen": sorted(seen)})


def main() -> None:
    mode = sys.argv[1]
    kind = sys.argv[sys.argv.index("--reader") + 1] if "--reader" in sys.argv else "full"
    if kind not in (*READS, "none"):
        raise SystemExit(f"--reader: one of {', '.join(READS)}, none")
    url = os.environ["BENCH_DATABASE_URL"]
    if "_rb" not in url.rsplit("/", 1)[1]:
        raise SystemExit("a scratch copy only (its name has _rb in it)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    os.environ.pop("DEBUG", None)
    sys.path.insert(0, str(HERE.parent))
    import logging

    import django

    django.setup()
    logging.basicConfig(level=logging.INFO, format="    %(message)s")
    from django.db import connection

    from jaga.analytics import rebuild

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'analytics_monthlyincidentcount' "
            "AND indexdef LIKE '%%(village_id)'"
        )
        found = cursor.fetchone()
        if mode == "old" and not found:
            cursor.execute(
                "CREATE INDEX analytics_monthlyincidentcount_village_id_idx "
                "ON analytics_monthlyincidentcount (village_id)"
            )
        if mode != "old" and found:
            cursor.execute(f'DROP INDEX "{found[0]}"')
        cursor.execute("CHECKPOINT")
    if mode == "old":
        source = subprocess.run(
            ["git", "show", f"{OLD_COMMIT}:jaga/analytics/rebuild.py"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        module = types.ModuleType("jaga.analytics.rebuild_before")
        sys.modules[module.__name__] = module
        exec(compile(source, "rebuild_before.py", "exec"), module.__dict__)  # noqa: S102
        run = module.rebuild_incidents
    else:
        if mode == "anew":  # as if most rows differed: both tables built anew and swapped in
            rebuild.ALWAYS_ANEW = True
        run = rebuild.rebuild_incidents

    parts: list[tuple[str, float, int]] = []

    def wal() -> int:
        return int(
            connection.connection.execute(
                "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
            ).fetchone()[0]
        )

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        before, started = wal(), time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.monotonic() - started
            if took > 0.05:
                parts.append((" ".join(sql.split())[:110], took, wal() - before))

    stop = multiprocessing.Event()
    out: Any = multiprocessing.Queue()
    proc = None
    if kind != "none":
        proc = multiprocessing.Process(target=reader, args=(url, stop, out, READS[kind]))
        proc.start()
        time.sleep(1)
    load = os.getloadavg()[0]
    started = time.monotonic()
    with connection.execute_wrapper(timer):
        written = run()
    total = time.monotonic() - started
    seen = None
    if proc is not None:
        time.sleep(1)
        stop.set()
        seen = out.get()
        proc.join()
    print(
        f"{mode}: {written} village rows in {total:.1f} s, load {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f}, reader {kind}"
    )
    for sql, took, wal_bytes in parts:
        print(f"  {took:7.2f} s  {wal_bytes / 2**20:7.0f} MB WAL  {sql}")
    print(f"  reader: {seen}")


if __name__ == "__main__":
    main()
