"""The public intake and the bare endpoint in one process: CPU per request, statements, cProfile.

    python -m bench.intake_profile [--n 300] [--warm 30] [--fresh] [--profile FILE] [--top 40] [--sql 200]

The in-process companion of `bench.throughput`: the same settings (`bench.throughput_settings`),
the same data (its setup, on BENCH_PROFILE_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/jaga_intake_profile; `--fresh` drops, creates and sets it up),
the same bodies, sent through `django.test.Client` (no HTTP, no gunicorn). For each path it
reports the Python CPU per request of this process, the CPU of its PostgreSQL backend (from
/proc: the database runs on this machine), the statements per request (after the commit
included) and the tasks queued per request. Paths alternate in blocks of `--n`, three times.
With `--profile FILE` one more block of intakes runs under cProfile (CPU time) and the `--top`
functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.throughput import TICK, fresh_database, intake_body, seed, server_env

URL = os.environ.get(
    "BENCH_PROFILE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jaga_intake_profile"
)


def backend_ticks(pid: int) -> int:
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="requests per path and block")
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="drop, create and set up the DB")
    parser.add_argument("--profile", default="", help="write a cProfile of intakes here")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", type=int, default=0, help="print one request's SQL, cut here")
    args = parser.parse_args(argv)

    env = server_env(URL)
    env["ALLOWED_HOSTS"] += ",testserver"
    if args.fresh:
        fresh_database(URL)
        seed(env, 10)
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    client = Client()
    run = uuid.uuid4().hex[:6]
    counter = iter(range(10**9))

    def send(kind: str) -> None:
        i = next(counter)
        if kind == "intake":
            answer = client.post(
                "/api/v1/servicedesk/requests",
                intake_body(i),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"{run}-{i}",
            )
        else:
            answer = client.post(
                "/bench/bare-intake", intake_body(i), content_type="application/json"
            )
        if answer.status_code != 201:
            raise SystemExit(f"{kind}: {answer.status_code} {answer.content[:600]!r}")

    kinds = ["intake", "bare"]
    for kind in kinds:
        for _ in range(args.warm):
            send(kind)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])

    statements: dict[str, float] = {}
    tasks: dict[str, float] = {}
    for kind in kinds:
        queued = DBTaskResult.objects.count()
        with CaptureQueriesContext(connection) as captured:
            for _ in range(20):
                send(kind)
        statements[kind] = len(captured) / 20
        tasks[kind] = (DBTaskResult.objects.count() - queued) / 20
        if args.sql:
            with CaptureQueriesContext(connection) as captured:
                send(kind)
            print(f"{kind}:")
            for query in captured.captured_queries:
                print("   ", query["sql"][: args.sql])

    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    db: dict[str, list[float]] = {k: [] for k in kinds}
    for _round in range(3):
        for kind in kinds:
            before = (time.process_time(), backend_ticks(backend))
            for _ in range(args.n):
                send(kind)
            cpu[kind].append((time.process_time() - before[0]) / args.n * 1000)
            db[kind].append((backend_ticks(backend) - before[1]) * 1000 / TICK / args.n)

    print(f"{args.n} requests per path and block, 3 blocks, after {args.warm} warm-ups")
    print(
        "| path | Python CPU/req (blocks) | PostgreSQL CPU/req (blocks) | statements/req | tasks/req |"
    )
    print("|---|---|---|---|---|")
    for kind in kinds:
        print(
            f"| {kind} | {statistics.median(cpu[kind]):.2f} ms "
            f"({', '.join(f'{x:.2f}' for x in cpu[kind])}) "
            f"| {statistics.median(db[kind]):.2f} ms ({', '.join(f'{x:.2f}' for x in db[kind])}) "
            f"| {statements[kind]:.1f} | {tasks[kind]:.1f} |"
        )

    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.n):
            send("intake")
        profiler.disable()
        profiler.dump_stats(args.profile)
        stats: Any = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
