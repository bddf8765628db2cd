"""Every staff page and API read at national data, warm, as leaders at three levels.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jaga_bench python -m bench.pages \
        [--runs 5] [--levels national,polda,polres] [--only /analitik/,/api/v1/analytics/rollups]

On the national bench database (`python -m bench`, or `bench/generate.py` through it: 83,762
villages, 10 M incidents, their roll-ups), signs in a leader of the national unit (a posting on
the country row), of a Polda (Jawa Timur) and of a Polres (Kabupaten Trenggalek), each a
superuser-free account created once (`bench-national`, `bench-polda`, `bench-polres`), and opens
every GET route of the access matrix that takes no parameter (`tests/accounts/test_access_matrix`:
pages and API operations; the evaluation, which must be asked a question, is left out) the way
the browser or an API client would, through Django's test client in this process. Each route is
opened once to warm what a server process keeps, then `--runs` times; the median time, the
slowest, the queries of one run and the status are printed as a table, slowest first. The
figures a page caches for minutes (the early-warning panel) count as warm.

Only the register, the roll-ups, the territory and the population are national-size; the desk,
partners, programmes and field work hold nothing in this database, so their pages measure the
framework and the scope filters, not their data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LEVELS = {"national": "ID", "polda": "35", "polres": "35.03"}


def setup() -> None:
    from bench.__main__ import setup_django

    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    setup_django()


def leader(name: str, code: str) -> Any:
    import datetime

    from jaga.accounts.models import Posting, Role, User
    from jaga.territory.models import Territory
    from jaga.territory.polres import ensure_country

    ensure_country()

    user, _created = User.objects.get_or_create(
        username=f"bench-{name}", defaults={"full_name": f"Bench {name}"}
    )
    if not Posting.objects.filter(user=user).exists():
        Posting.objects.create(
            user=user,
            role=Role.LEADER,
            territory=Territory.objects.get(code=code),
            valid_from=datetime.date(2020, 1, 1),
        )
    return user


def routes() -> list[Any]:
    sys.path.insert(0, str(ROOT))
    from tests.accounts.test_access_matrix import ROUTES

    return [
        r
        for r in ROUTES
        if r.method == "GET"
        and not r.params
        and not r.public
        and r.id != "GET /api/v1/analytics/evaluation"
        and "leader" in r.roles
        and r.id != "accounts:api_token"  # a POST-only form
    ]


def url_of(route: Any, code: str) -> str:
    from django.urls import reverse

    if route.kind == "page":
        return reverse(route.id)
    query = {"service_code": "knalpot_brong", "programme": "POLMAS", "month": "2026-10"}
    args = {k: query.get(k, code) for k in route.query}
    return route.path + ("?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else "")


def measure(client: Any, url: str, runs: int) -> tuple[int, list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> Any:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    get()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = get()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as seen:
        get()
    return response.status_code, times, len(seen.captured_queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--levels", default=",".join(LEVELS))
    parser.add_argument(
        "--only", default="", help="comma-separated parts of URLs: measure only routes matching one"
    )
    args = parser.parse_args(argv)
    setup()
    from django.test import Client

    from tests.conftest import pass_second_factor

    rows = []
    refused = []
    started = time.monotonic()
    for level in args.levels.split(","):
        client = Client()
        user = leader(level, LEVELS[level])
        client.force_login(user)
        pass_second_factor(client, user)  # leaders sign in with a second factor
        code = LEVELS[level] if level != "national" else "35"
        for route in routes():
            url = url_of(route, code)
            if args.only and not any(part in url for part in args.only.split(",")):
                continue
            status, times, queries = measure(client, url, args.runs)
            if status >= 400:
                refused.append(f"{level} {url} {status}")
                continue
            rows.append(
                (level, route.id, url, status, statistics.median(times), max(times), queries)
            )
            print(
                f"{level:8} {statistics.median(times) * 1000:8.1f} ms  {status}  {url}", flush=True
            )
    rows.sort(key=lambda r: -r[4])
    print()
    print(
        f"{len(rows)} route x level pairs, {args.runs} warm runs each, {time.monotonic() - started:.0f} s"
    )
    over = [r for r in rows if r[4] > 0.3]
    print(f"over 300 ms (median): {len(over)}; load average now {os.getloadavg()[0]:.1f}")
    print(f"not measured (answered 4xx to a leader): {', '.join(refused) or 'none'}")
    print()
    print("| level | route | status | median | slowest | queries |")
    print("|---|---|---|---|---|---|")
    for level, _route_id, url, status, median, slowest, queries in rows:
        print(
            f"| {level} | `{url}` | {status} | {median * 1000:.0f} ms | {slowest * 1000:.0f} ms "
            f"| {queries} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
