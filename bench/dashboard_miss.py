"""The national and Polda dashboard (page and API) warm and right after one new incident.

    cd <tree> && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<copy> \
        python <this file> [--runs 3] [--label after] [--profile out.prof]

Run from the tree to measure (it imports the code of the working directory), so that the code
before and after a change can be run alternately against the same copy of the national
database. Signs in the national and Polda leaders of `bench.pages`, opens each route twice (what
a server process reads once), then times `--runs` requests of each route three ways:

- warm: nothing written in between;
- now: one incident recorded through `record_incident` (the product's service: the incident,
  its roll-up rows, its regency's version) just before each request, dated an hour ago, so after
  the month the dashboard shows (live recording's usual case);
- month: the same, dated in the month the dashboard shows (its figures move).

Each incident is in a village of Kabupaten Trenggalek (35.03, in both units). The incidents
written stay in the database: use a copy. `--profile` keeps a cProfile of the "month" requests.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.getcwd())

URLS = ("/analitik/", "/api/v1/analytics/dashboard")
LEVELS = {"national": "ID", "polda": "35"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    from bench.pages import leader, setup

    setup()
    from django.test import Client

    from tests.conftest import pass_second_factor

    clients = {}
    for level, code in LEVELS.items():
        client, user = Client(), leader(level, code)
        client.force_login(user)
        pass_second_factor(client, user)
        clients[level] = client
    record = recorder()

    def get(level: str, url: str) -> float:
        started = time.perf_counter()
        response = clients[level].get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        return elapsed * 1000

    routes = [(level, url) for level in clients for url in URLS]
    for level, url in routes:  # what a process reads once
        get(level, url)
        get(level, url)
    profile: Any = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
    times: dict[tuple[str, str, str], list[float]] = {}
    for kind in ("warm", "now", "month"):
        for level, url in routes:
            for _ in range(args.runs):
                if kind != "warm":
                    record(kind)
                if profile and kind == "month":
                    profile.enable()
                times.setdefault((kind, level, url), []).append(get(level, url))
                if profile and kind == "month":
                    profile.disable()
    for (kind, level, url), ts in times.items():
        print(
            f"{args.label:6} {kind:5} {level:8} {url:30} median {statistics.median(ts):6.0f}  "
            f"all {' '.join(f'{t:.0f}' for t in ts)}"
        )
    load = " ".join(open("/proc/loadavg").read().split()[:3])  # noqa: SIM115
    print(f"{args.label} load {load} at {datetime.datetime.now(datetime.UTC):%H:%M:%S} UTC")
    if profile:
        profile.dump_stats(args.profile)


def recorder() -> Any:
    """A function recording one incident in 35.03, dated `now` or in the month shown."""
    from django.utils import timezone

    from jaga.analytics.units import last_complete_month
    from jaga.incidents.models import Category, Incident
    from jaga.incidents.services import record_incident
    from jaga.territory.models import Territory

    villages = list(
        Territory.objects.filter(level="village", regency_code="35.03").order_by("code")[:50]
    )
    categories = list(Category.objects.filter(children__isnull=True).order_by("code")[:5])
    source = Incident._meta.get_field("source").choices[0][0]  # type: ignore[index]
    shown = last_complete_month()
    count = [0]

    def record(when: str) -> None:
        count[0] += 1
        n = count[0]
        if when == "now":
            at = timezone.now() - datetime.timedelta(hours=1)
        else:
            at = timezone.make_aware(datetime.datetime(shown.year, shown.month, 15, 10, n % 50))
        record_incident(
            category=categories[n % len(categories)],
            village=villages[n % len(villages)],
            occurred_at=at,
            source=source,
            source_ref=f"bench-miss-{os.getpid()}-{time.time_ns()}",
        )

    return record


if __name__ == "__main__":
    main()
