"""Benchmark: import a million rows of incident history, streaming, with flat memory.

    .venv/bin/python bench/incident_import.py                 # 1,000,000 rows, fresh SQLite
    .venv/bin/python bench/incident_import.py --rows 200000 --reimport
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_db .venv/bin/python bench/incident_import.py

Generates a CSV of synthetic rows over Trenggalek's 157 villages (five years, all categories,
a third with a point), imports it with `jaga.incidents.imports.import_incidents` (the same code as
`jaga incidents import`), and prints rows/s with the resident memory at checkpoints and at its
peak: memory must stay flat whatever the file's length. With SQLite, a throw-away data directory
is used; with DATABASE_URL, the database is migrated and its incidents are left in place.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def generate(path: Path, rows: int, villages: list[str], categories: list[str], seed: int) -> None:
    rng = random.Random(seed)
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    span = 5 * 365 * 24 * 3600
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "occurred_at",
                "village_code",
                "category",
                "source_ref",
                "latitude",
                "longitude",
                "description",
            ]
        )
        for n in range(rows):
            moment = start + datetime.timedelta(seconds=rng.randrange(span))
            has_point = n % 3 == 0
            writer.writerow(
                [
                    moment.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    rng.choice(villages),
                    rng.choice(categories),
                    f"BENCH-{n:08d}",
                    f"{rng.uniform(-8.33, -7.93):.5f}" if has_point else "",
                    f"{rng.uniform(111.45, 111.92):.5f}" if has_point else "",
                    "Laporan riwayat" if n % 5 == 0 else "",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reimport", action="store_true", help="Import the same file again.")
    parser.add_argument("--file", type=Path, help="Keep the generated CSV here.")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="jaga-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["JAGA_DATA_DIR"] = tmp.name
    # Not DEBUG: Django would keep every query of the import in memory.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jaga.incidents.imports import import_incidents
    from jaga.incidents.models import Category, Incident
    from jaga.territory.models import Level, Territory
    from jaga.territory.services import load_territory

    call_command("migrate", verbosity=0)
    if not Territory.objects.filter(code="35.03").exists():
        load_territory("35.03")
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03").values_list(
            "code", flat=True
        )
    )
    categories = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    path = args.file or Path(tmp.name) / "history.csv"
    clock = time.monotonic()
    generate(path, args.rows, villages, categories, args.seed)
    size = path.stat().st_size / 2**20
    print(f"generated {args.rows:,} rows ({size:,.0f} MiB) in {time.monotonic() - clock:.1f} s")
    print(f"database: {connection.vendor}; incidents before: {Incident.objects.count():,}")

    def run(label: str) -> None:
        checkpoints: list[tuple[int, float]] = []
        step = max(args.rows // 10, 1000)

        def progress(done: int) -> None:
            if done % step == 0 or done == args.rows:
                checkpoints.append((done, rss_mib()))
                sys.stderr.write(f"\r  {done:>10,} rows  RSS {checkpoints[-1][1]:7.1f} MiB")

        before = rss_mib()
        result = import_incidents(path, progress=progress)
        sys.stderr.write("\n")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss = [m for _, m in checkpoints]
        print(
            f"{label}: {result.lines:,} rows, {result.created:,} added, "
            f"{result.unchanged:,} unchanged in {result.seconds:.1f} s = "
            f"{result.lines / result.seconds:,.0f} rows/s"
        )
        print(
            f"  RSS before {before:.0f} MiB; during import min {min(rss):.0f} / max "
            f"{max(rss):.0f} MiB (first checkpoint {rss[0]:.0f}, last {rss[-1]:.0f}); "
            f"process peak {peak:.0f} MiB"
        )

    run("import")
    if args.reimport:
        run("re-import")
    print(f"incidents after: {Incident.objects.count():,}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
