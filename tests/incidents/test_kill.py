"""kill -9 in the middle of `jaga incidents import` leaves the database exactly as it was.

The import runs as a real `jaga` process against a database file of its own (SQLite) and a
PostgreSQL database of its own; it is killed with SIGKILL when its progress bar passes a third of
the file. Before and after, `jaga backup` takes every table (incidents, roll-ups, audit, import
runs, ...): row counts and checksums must be identical.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import re
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jaga.incidents.models import Category
from jaga.territory.models import Level, Territory
from tests.core.test_backup import (  # noqa: F401
    JAGA,
    MIGRATE,
    ROOT,
    fresh_postgres,
    jaga,
    jaga_env,
    jaga_steps,
    ok,
)

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

ROWS = 24_000 if os.environ.get("JAGA_HEAVY_SHORT") else 200_000
PROGRESS = re.compile(rb"([\d,]+)/([\d,]+)")


def write_register(path: Path, rows: int, prefix: str) -> Path:
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03")
        .order_by("code")
        .values_list("code", flat=True)
    )
    categories = list(
        Category.objects.filter(is_active=True, children__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    start = datetime.datetime(2021, 1, 1, 8, 0)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["occurred_at", "village_code", "category", "source_ref", "description"])
        for i in range(rows):
            writer.writerow(
                [
                    (start + datetime.timedelta(minutes=37 * i)).isoformat(timespec="minutes"),
                    villages[i % len(villages)],
                    categories[i % len(categories)],
                    f"{prefix}-{i}",
                    "Laporan register",
                ]
            )
    return path


def manifest_tables(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return {label: (t["rows"], t["sha256"]) for label, t in manifest["tables"].items()}


def prepared(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """Migrated, the territory loaded, an earlier import in: every table's rows and checksum."""
    small = write_register(tmp_path / "small.csv", 300, "earlier")
    before = tmp_path / "before.zip"
    ok(
        jaga_steps(
            env,
            MIGRATE,
            ["territory", "load", "--regency", "35.03"],
            ["incidents", "import", "--no-progress", str(small)],
            ["backup", str(before)],
        )
    )
    return manifest_tables(before)


def kill_midway(env: dict[str, str], big: Path, log: Path) -> int:
    """Start the import, SIGKILL it past a third of the file; the rows it had reached."""
    with log.open("wb") as err:
        process = subprocess.Popen(
            [JAGA, "incidents", "import", str(big)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        reached = 0
        deadline = time.monotonic() + 600
        try:
            while process.poll() is None and time.monotonic() < deadline:
                found = PROGRESS.findall(log.read_bytes())
                if found:
                    done, total = (int(x.replace(b",", b"")) for x in found[-1])
                    reached = done
                    if done * 3 >= total:
                        break
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, (process.returncode, log.read_bytes()[-500:])
    return reached


def check_kill_leaves_database_as_before(url: str, tmp_path: Path) -> None:
    env = jaga_env(url, tmp_path)
    before = prepared(env, tmp_path)
    assert before["incidents.Incident"][0] == 300
    big = write_register(tmp_path / "big.csv", ROWS, "big")
    reached = kill_midway(env, big, tmp_path / "import.log")
    # On PostgreSQL the file is read into the database (and counted) before its rows are
    # written in one transaction, so the bar may reach the end before the commit: the SIGKILL
    # return code (checked in kill_midway) shows the import was stopped before it finished.
    assert 0 < reached <= ROWS
    ok(jaga(env, "backup", str(tmp_path / "after.zip")))
    after = manifest_tables(tmp_path / "after.zip")
    changed = {label for label in before if before[label] != after[label]}
    assert changed == set()


def test_kill_9_mid_import_leaves_a_sqlite_file_as_before(tmp_path: Path) -> None:
    check_kill_leaves_database_as_before(f"sqlite:///{tmp_path / 'jaga.sqlite3'}", tmp_path)


def test_kill_9_mid_import_leaves_a_postgresql_database_as_before(
    tmp_path: Path,
    fresh_postgres: Any,  # noqa: F811 - the fixture imported above
) -> None:
    url = fresh_postgres()
    check_kill_leaves_database_as_before(url, tmp_path)
