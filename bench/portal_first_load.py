"""First load of the public portal's pages, each in a fresh process (cold imports, cold caches).

`python -m bench.portal_first_load [--runs 3] [--stale]` on a database holding the demo (`jaga
demo` publishes its closed months; `DATABASE_URL` selects SQLite or PostgreSQL). For the regency,
a district and a village page it starts a new Python process that sets Django up, then times
the first GET through the test client (the whole request: middleware, view, template) and counts
its queries. Django's start-up and the import of every app's URLs (which a server worker does
once, before its first request: numpy, scipy, statsmodels, ninja ...) are timed apart. `--stale` first deletes the stored row of
the last closed month, as just after a month closes: the page must then show the previous month
with the "being prepared" note, queue the publishing task and still compute nothing (run
`jaga report publish --all --missing` afterwards to put the row back).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

PAGES = [
    ("regency", "/publik/35.03/"),
    ("district", "/publik/35.03.11/"),
    ("village", "/publik/35.03.11.1002/"),
]

CHILD = r"""
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.test.utils import setup_test_environment
from django.urls import get_resolver
setup_test_environment()  # the test client then hands back the template context
loading = time.perf_counter()
get_resolver().url_patterns  # what a server does once per worker: import every app's URLs
loading = time.perf_counter() - loading
client = Client(HTTP_ACCEPT_LANGUAGE="id")
with CaptureQueriesContext(connection) as queries:
    started = time.perf_counter()
    response = client.get(sys.argv[1])
    seconds = time.perf_counter() - started
context = response.context or {}
print(json.dumps({
    "status": response.status_code,
    "urlconf": loading,
    "seconds": seconds,
    "queries": len(queries),
    "bytes": len(response.content),
    "month": str(context.get("month")),
    "preparing": bool(context.get("preparing")),
}))
"""


def first_load(path: str) -> dict[str, object]:
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "TASKS_IMMEDIATE": "0"}
    env.setdefault("MAP_TILE_URL", "")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def drop_last_closed_month() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    import django

    django.setup()
    from django.core.cache import cache

    from jaga.reports import portal
    from jaga.reports.models import PublicFigures

    month = portal.last_complete_month()
    PublicFigures.objects.filter(regency_code="35.03", month=month).delete()
    cache.delete(f"portal:publishing:35.03:{month:%Y-%m}")
    return f"{month:%Y-%m}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stale", action="store_true")
    args = parser.parse_args()
    if args.stale:
        print(f"deleted the stored figures of {drop_last_closed_month()}")
    database = os.environ.get("DATABASE_URL", "sqlite (default)").split("@")[-1]
    print(f"database: {database}")
    for name, path in PAGES:
        runs = [first_load(path) for _ in range(args.runs)]
        seconds = [float(r["seconds"]) for r in runs]  # type: ignore[arg-type]
        last = runs[-1]
        print(
            f"{name:9} {path:26} first load median {statistics.median(seconds):.3f} s "
            f"(max {max(seconds):.3f}; URLconf import {float(last['urlconf']):.1f} s apart), "  # type: ignore[arg-type]
            f"{last['queries']} queries, {last['bytes']} bytes, "
            f"month {last['month']}, preparing note {last['preparing']}, HTTP {last['status']}"
        )


if __name__ == "__main__":
    main()
