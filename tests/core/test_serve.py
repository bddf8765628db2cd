"""`jaga serve` in a real subprocess: gunicorn answers, the task worker and the scheduler run
(the scheduler's first tick runs what is due), and the three stay together: one child killed stops all with a non-zero exit; SIGTERM stops all cleanly (exit 0)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.heavy  # boots gunicorn twice (about a minute), like test_shared_limits

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (already ended, not yet reaped by a parent) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: list[int], seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in pids if alive(pid)]


@pytest.fixture
def environment(tmp_path_factory: Any) -> dict[str, str]:
    """A database of each test's own: a scheduler started by an earlier test may have claimed
    the runs due today, and the next test's scheduler would then have nothing to run."""
    data = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "serve-test-key-" + "x" * 40,
        "JAGA_DATA_DIR": str(data),
        "MEDIA_ROOT": str(data / "media"),
        "DJANGO_SETTINGS_MODULE": "jaga.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    # always a SQLite file of its own: the command is what is tested, not the database
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "JAGA_TESTING"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "jaga.cli", "migrate", "--no-input", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    return env


def start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, int]]:
    port = free_port()
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "jaga.cli", "serve", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=30) as response:  # noqa: S310
                assert response.status == 200
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(log.read_text()) from None
            time.sleep(0.3)
    pids = {m[0]: int(m[1]) for m in re.findall(r"(\w+) dijalankan, pid (\d+)", log.read_text())}
    return process, base, pids


def test_serve_answers_then_stops_all_when_a_child_dies(environment: Any, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    process, base, pids = start(environment, log)
    try:
        assert {"web", "worker"} <= set(pids)
        with urllib.request.urlopen(base + "/akun/masuk/", timeout=30) as response:  # noqa: S310
            assert response.status == 200
            assert b"csrfmiddlewaretoken" in response.read()
        assert alive(pids["worker"])
        os.kill(pids["worker"], signal.SIGKILL)
        assert process.wait(timeout=90) != 0
        assert wait_gone(list(pids.values())) == []
        assert "worker berhenti dengan kode keluar" in log.read_text()
        with pytest.raises(OSError):
            urllib.request.urlopen(base + "/healthz", timeout=5)  # noqa: S310
    finally:
        if process.poll() is None:
            process.kill()


def test_sigterm_stops_all_cleanly(environment: Any, tmp_path: Path) -> None:
    from django.utils import timezone

    from jaga.core import schedule

    log = tmp_path / "serve.log"
    process, _base, pids = start(environment, log)
    # the jobs due now (the served database has no runs yet)
    now = timezone.now()
    due = [j.name for j in schedule.jobs() if now >= j.due_at(timezone.localdate(now))]
    try:
        # The scheduler runs inside `jaga serve`: it starts, and its first tick runs what is due
        # (after 01:00 local time at least the daily closing of resolved reports).
        assert {"web", "worker", "scheduler"} <= set(pids)
        # A tick that fails (SQLite busy under load) is tried again a minute later: room for two.
        deadline = time.monotonic() + 150
        while not all(f"{name} [" in log.read_text() for name in due):
            assert time.monotonic() < deadline, (due, log.read_text())
            time.sleep(0.3)
        assert "Penjadwal berjalan (" in log.read_text()  # jaga scheduler speaks Indonesian
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=90) == 0, log.read_text()
        assert wait_gone(list(pids.values())) == []
        assert "jaga serve: berhenti." in log.read_text()  # Indonesian, as every command
        assert "Penjadwal berhenti." in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
