"""How far the streaming replica trails the primary (docs/scaling.md).

    make replica && python -m bench.replica_lag [COMMITS]

Against the local replica of `tools/pg_replica.py` (port 5440) and the primary of DATABASE_URL's
server (default postgres@127.0.0.1:5432), in a scratch database `jaga_bench_lag`:

- **single commits**: COMMITS (default 500) transactions of one row each, back to back; after each
  commit the primary's WAL position is taken and the replica polled (a tight loop) until it has
  replayed it: the time from COMMIT returning to the row being readable on the replica;
- **a bulk write**: 200,000 rows (about 40 MB of WAL, the size of a big import's batch) in one
  transaction, and the time until the replica has replayed all of it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from urllib.parse import urlsplit

import psycopg

DB = "jaga_bench_lag"


def conninfo(port: int, dbname: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url) if url.startswith("postgres") else None
    host = (parts.hostname if parts else None) or "127.0.0.1"
    user = (parts.username if parts else None) or "postgres"
    return f"host={host} port={port} user={user} dbname={dbname}"


def wait_replayed(replica: psycopg.Connection, lsn: str) -> None:
    while True:
        row = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()
        if row and row[0]:
            return


def main() -> None:
    commits = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    primary_port = urlsplit(os.environ.get("DATABASE_URL", "")).port or 5432
    replica_port = int(os.environ.get("JAGA_REPLICA_PORT", "5440"))
    with psycopg.connect(conninfo(primary_port, "postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    primary = psycopg.connect(conninfo(primary_port, DB), autocommit=True)
    primary.execute("CREATE TABLE lag (id bigserial PRIMARY KEY, at timestamptz, body text)")
    lsn = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + 60
    while True:  # the new database reaches the replica
        try:
            replica = psycopg.connect(conninfo(replica_port, DB), autocommit=True)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    wait_replayed(replica, lsn)

    lags = []
    for n in range(commits):
        primary.execute("INSERT INTO lag (at, body) VALUES (now(), %s)", [f"row {n}"])
        done = time.perf_counter()
        lsn = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
        wait_replayed(replica, lsn)
        lags.append(time.perf_counter() - done)
    lags.sort()
    print(
        f"single commits ({commits}): median {statistics.median(lags) * 1000:.2f} ms, "
        f"p95 {lags[int(0.95 * len(lags)) - 1] * 1000:.2f} ms, max {lags[-1] * 1000:.2f} ms"
    )

    before = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
    start = time.perf_counter()
    primary.execute(
        "INSERT INTO lag (at, body) SELECT now(), repeat('x', 100) FROM generate_series(1, 200000)"
    )
    written = time.perf_counter() - start
    after = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
    wal = primary.execute("SELECT pg_wal_lsn_diff(%s, %s)", [after, before]).fetchone()[0]  # type: ignore[index]
    wait_replayed(replica, after)
    behind = time.perf_counter() - start - written
    print(
        f"bulk write: 200,000 rows, {float(wal) / 1e6:.0f} MB of WAL written in {written:.2f} s; "
        f"replayed on the replica {behind * 1000:.0f} ms after the commit"
    )
    replica.close()
    primary.close()
    with psycopg.connect(conninfo(primary_port, "postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
