"""Run every benchmark on a national-scale database and write BENCHMARKS.md (repository root).

Environment:
  BENCH_DATABASE_URL  PostgreSQL database to use (created if missing), default
                      postgres://postgres@127.0.0.1:5432/jaga_bench
  BENCH_INCIDENTS     incidents to generate (default 10,000,000), BENCH_MONTHS (default 36)
  BENCH_ONLY          comma-separated module names (e.g. bench_analytics) to run only those
  BENCH_CALIBRATION_REPS, BENCH_PIPELINE_REPS  replications of the evaluation's calibration
                      (direct, default 400) and of the end-to-end one (default 20)
The generated data is kept between runs (same seed, same data); drop the database to redo it.
"""

from __future__ import annotations

import datetime
import importlib
import os
import pkgutil
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Benchmarks that need their own data and run on their own (minutes each); their figures are
# kept in the documents named.
STANDALONE = [
    "## Standalone benchmarks",
    "",
    "- `python -m bench.incident_import [--rows N] [--versus-native ROUNDS] [--memory]`: generates",
    "  a CSV of incidents and imports it with `jaga incidents import`; `--versus-native` times it",
    "  against the native COPY / executemany on the same rows and indexes, interleaved, and prints",
    "  the ratio (figures in `docs/imports.md`, section Speed).",
    "- `python -m bench.keyed_update [--rows N] [--rounds R]`: counts added to existing roll-up",
    "  rows by their keys, `analytics.add_by_key` against a statement per row, interleaved",
    "  (figures in section National analytics, *Keyed updates*).",
    "- `python -m bench.replica_lag [COMMITS]`: how far the streaming replica of `make replica`",
    "  trails the primary (figures in `docs/scaling.md`).",
    "- `python -m bench.portal_suppression`: the public portal's small-count suppression on a",
    "  regency's tables (figures in `docs/portal.md`).",
    "- `python -m bench.pages [--runs N] [--levels national,polda,polres]`: every GET route without",
    "  parameters, warm, as leaders of the country, a Polda and a Polres on the national data",
    "  (section Pages at national data).",
    "- `python -m bench.throughput [--rounds R] [--block N] [--concurrency C]`: `jaga serve` on a",
    "  fresh PostgreSQL database under bounded loopback load, interleaved: the public JSON intake",
    "  against a bare endpoint that validates the same body and inserts one row (in the same",
    "  server, `bench.throughput_settings` only), and QR check-in of distinct invitations; rates,",
    "  p50/p95, CPU per request of gunicorn, PostgreSQL and the client (section Throughput).",
    "",
]


def setup_django() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jaga_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    os.environ.pop("DEBUG", None)  # DEBUG keeps every query in memory: not for 10 M rows
    sys.path.insert(0, str(HERE.parent))
    _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    try:
        pg = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pg = ""
    return [
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {mem}; {platform.platform()}",
        f"- Python {platform.python_version()}; {pg}",
        "- The two cores were shared with other work running at the same time: figures are "
        "medians of repeated runs, but expect some noise.",
    ]


def main() -> None:
    url = setup_django()
    only = {m for m in os.environ.get("BENCH_ONLY", "").split(",") if m}
    from bench import generate

    started = time.monotonic()
    ctx = generate.ensure_data()
    lines = ["# Jaga benchmarks", "", "## Machine", "", *machine(), ""]
    lines += [f"Database: `{url.rsplit('@', 1)[-1]}`", ""]
    lines += generate.describe(ctx)
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        print(f"== {info.name}", flush=True)
        lines += module.run(ctx)
    if not only or "calibration_warning" in only:
        from bench import calibration_warning

        print("== calibration_warning", flush=True)
        lines += calibration_warning.run(ctx)
    if not only or "calibration_evaluation" in only:
        from bench import calibration_evaluation

        print("== calibration_evaluation", flush=True)
        started_cal = time.monotonic()
        reps = int(os.environ.get("BENCH_CALIBRATION_REPS", "400"))
        result = calibration_evaluation.calibrate(reps)
        lines += calibration_evaluation.report(result, time.monotonic() - started_cal)
    if not only or "calibration_pipeline" in only:
        from bench import calibration_pipeline

        # The end-to-end form: planted registers through the imports and the commands, in
        # transactions rolled back (BENCH_PIPELINE_REPS, default 20: about 3 minutes).
        print("== calibration_pipeline", flush=True)
        lines += calibration_pipeline.run(ctx)
    lines += ["", f"Total run time: {time.monotonic() - started:.0f} s.", ""]
    lines += STANDALONE
    out = HERE.parent / "BENCHMARKS.md"
    out.write_text(keep_other_sections("\n".join(lines), out))
    print(f"wrote {out}")


def _sections(text: str) -> list[tuple[str, str]]:
    """(title, text) of each "## " section; the part before the first has the title ""."""
    found: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        if line.startswith("## "):
            found.append((line, []))
        found[-1][1].append(line)
    return [(title, "\n".join(body)) for title, body in found]


def keep_other_sections(new: str, path: Path) -> str:
    """The new text, followed by the sections of the old file that this run did not write (the
    standalone benchmarks' figures, measured by hand on their own)."""
    if not path.exists():
        return new
    written = {title for title, _body in _sections(new)}
    kept = [body for title, body in _sections(path.read_text()) if title and title not in written]
    return "\n".join([new.rstrip("\n"), *kept]).rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
