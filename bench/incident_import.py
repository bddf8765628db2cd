"""Benchmark: import a million rows of incident history, streaming, with flat memory.

    .venv/bin/python bench/incident_import.py                 # 1,000,000 rows, fresh SQLite
    .venv/bin/python bench/incident_import.py --rows 200000 --reimport
    .venv/bin/python bench/incident_import.py --rows 1000000 --versus-native 3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_db .venv/bin/python bench/incident_import.py

`--versus-native ROUNDS` times, interleaved in one run on the same rows and the same indexes,
`jaga incidents import` against the native bulk path of the database (the rows already
converted in memory, then one-transaction `executemany` on SQLite or psycopg 3 `cursor.copy`
on PostgreSQL, straight into the incident table); the register and its roll-ups are emptied
before every timed step. It prints both rates, their ratio per round and the median.
`--memory` imports the file in a fresh process and prints its peak resident memory (run it for
two file sizes: the peak must not grow with the file).

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
    parser.add_argument("--versus-native", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--memory", action="store_true", help="Peak memory of one import.")
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

    if args.memory:
        server = _ServerMemory() if connection.vendor == "postgresql" else None
        result = import_incidents(path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"memory: {args.rows:,} rows ({size:,.0f} MiB file) in {result.seconds:.1f} s, "
            f"process peak {peak:.0f} MiB"
            + (f"; PostgreSQL backend: {server.stop()}" if server is not None else "")
        )
        tmp.cleanup()
        return
    if args.versus_native:
        versus_native(path, args.versus_native)
        tmp.cleanup()
        return
    run("import")
    if args.reimport:
        run("re-import")
    print(f"incidents after: {Incident.objects.count():,}")
    tmp.cleanup()


class _ServerMemory:
    """The private memory (RssAnon) of this connection's PostgreSQL backend, sampled every 50 ms
    from /proc (same machine, readable by root): its peak over the import. Shared buffers are
    left out: they are the server's fixed cache, not this import's."""

    def __init__(self) -> None:
        import threading

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.start = self.peak = self._anon()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _anon(self) -> float:
        with open(f"/proc/{self.pid}/status") as handle:
            for line in handle:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _sample(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, self._anon())

    def stop(self) -> str:
        self.done.set()
        self.thread.join()
        return f"private memory {self.start:.0f} MiB before, peak {self.peak:.0f} MiB"


def _empty_register() -> None:
    from django.db import connection, transaction

    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
    from jaga.incidents.models import ImportRun, Incident, IncidentLink

    with transaction.atomic():
        IncidentLink.objects.all().delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {Incident._meta.db_table} CASCADE")
        else:
            Incident.objects.all()._raw_delete("default")
        MonthlyIncidentCount.objects.all().delete()
        AreaMonthlyCount.objects.all().delete()
        ImportRun.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Incident._meta.db_table}")


def _native_rows(path: Path) -> list[tuple[object, ...]]:
    """The file's rows as the register stores them (untimed): what the native path inserts."""
    from django.utils import timezone

    from jaga.incidents.imports import parse_moment
    from jaga.incidents.models import Category
    from jaga.territory.models import Level, Territory

    villages = {
        code: (pk, regency, district)
        for code, pk, regency, district in Territory.objects.filter(
            level=Level.VILLAGE
        ).values_list("code", "id", "regency_code", "district_code")
    }
    categories = dict(Category.objects.values_list("code", "id"))
    now = timezone.now()
    rows = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for when, village, category, ref, lat, lon, text in reader:
            pk, regency, district = villages[village]
            rows.append(
                (
                    categories[category],
                    pk,
                    regency,
                    district,
                    parse_moment(when),
                    "import",
                    ref,
                    float(lat) if lat else None,
                    float(lon) if lon else None,
                    2,
                    text,
                    now,
                    None,
                )
            )
    return rows


def versus_native(path: Path, rounds: int) -> None:
    import statistics

    from django.db import connection, transaction

    from jaga.incidents.imports import import_incidents
    from jaga.incidents.services import insert_incidents

    rows = _native_rows(path)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the page cache the import gives itself
            cursor.execute("PRAGMA cache_size = -131072")
    print(f"native path: {'COPY' if connection.vendor == 'postgresql' else 'executemany'}")
    ratios = []
    for n in range(rounds):
        timings: dict[str, float] = {}
        order = ["native", "import"] if n % 2 == 0 else ["import", "native"]
        for step in order:
            _empty_register()
            clock = time.monotonic()
            if step == "native":
                with transaction.atomic():
                    insert_incidents(rows)
            else:
                import_incidents(path)
            timings[step] = time.monotonic() - clock
        native, imported = len(rows) / timings["native"], len(rows) / timings["import"]
        ratios.append(imported / native)
        print(
            f"round {n + 1}: native {timings['native']:.2f} s = {native:,.0f} rows/s; "
            f"import {timings['import']:.2f} s = {imported:,.0f} rows/s; ratio {ratios[-1]:.2f}",
            flush=True,
        )
    print(f"median ratio import/native over {rounds} rounds: {statistics.median(ratios):.2f}")
    _empty_register()


if __name__ == "__main__":
    main()
