"""The limits hold across processes: two gunicorn workers on one database (a file SQLite, or a
fresh PostgreSQL database on a PostgreSQL run; the database cache) count together. Before, each worker counted alone (LocMem), so the public
intake accepted 60 of 100 reports against a limit of 20."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[2]
SHORT = os.environ.get("JAGA_HEAVY_SHORT", "") not in {"", "0"}
LIMIT = 10 if SHORT else 20
POSTS = 40 if SHORT else 100

SEED = """
from jaga.accounts.models import User
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
from jaga.territory.services import load_territory
load_territory("35.03")
polres = PoliceUnit.objects.create(kind=PoliceUnitKind.POLRES, name="Polres", code="polres-t")
polres.territories.add(Territory.objects.get(code="35.03"))
polsek = PoliceUnit.objects.create(
    kind=PoliceUnitKind.POLSEK, name="Polsek", code="polsek-t", parent=polres
)
polsek.territories.add(Territory.objects.get(code="35.03.11"))
User.objects.create_user("alice", password="correct horse battery")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database_url() -> str | None:
    """On a PostgreSQL run, a fresh database of its own for the server (the test database is
    inside a transaction nobody else sees); on SQLite None: a file in the data directory.

    Named per xdist worker: this module's tests may run in both workers, each with its own server
    (one shared name had both workers drop and migrate the same database at once)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    base, _sep, name = url.rpartition("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{name.split('?', 1)[0]}_two_workers_{worker}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def count_reports(server: dict[str, Any]) -> int:
    query = "SELECT COUNT(*) FROM servicedesk_servicerequest"
    if server["database_url"]:
        import psycopg

        with psycopg.connect(server["database_url"]) as db:
            return int(db.execute(query).fetchone()[0])  # type: ignore[index]
    with sqlite3.connect(server["db"]) as db:
        return int(db.execute(query).fetchone()[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Any:
    data = tmp_path_factory.mktemp("two-workers")
    database_url = fresh_database_url()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "two-workers-test-key-" + "x" * 40,
        "JAGA_DATA_DIR": str(data),
        "MEDIA_ROOT": str(data / "media"),
        "PUBLIC_RATE_LIMIT": str(LIMIT),
        "PUBLIC_RATE_WINDOW": "3600",
        "JAGA_TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "TASKS_IMMEDIATE": "1",
        "DJANGO_SETTINGS_MODULE": "jaga.settings",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "JAGA_TESTING"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-v", "0", "-c", SEED], env=env, check=True, cwd=ROOT)
    port = free_port()
    log = data / "access.log"
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jaga.wsgi:application",
            "--workers",
            "2",
            "--no-control-socket",
            "--timeout",
            "120",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(s)s %(m)s %(U)s",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(base + "/akun/masuk/", timeout=60).read()  # noqa: S310
                break
            except OSError:  # refused while booting, or a slow first answer
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        yield {
            "base": base,
            "db": data / "jaga.sqlite3",
            "database_url": database_url,
            "log": log,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
        if database_url:
            import psycopg

            base, _sep, name = database_url.rpartition("/")
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def call(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def worker_pids(log: Path, path: str) -> set[str]:
    time.sleep(0.5)  # let the workers flush their access lines
    return {line.split()[0] for line in log.read_text().splitlines() if line.endswith(path)}


def test_the_intake_limit_holds_across_two_workers(server: Any) -> None:
    url = server["base"] + "/api/v1/servicedesk/requests"
    body = json.dumps(
        {
            "service_code": "knalpot_brong",
            "village_code": "35.03.11.1002",
            "description": "Knalpot brong tiap malam.",
            "anonymous": True,
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.20"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _n: call(url, body, headers), range(POSTS)))
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: LIMIT, 429: POSTS - LIMIT}, statuses
    assert count_reports(server) == LIMIT
    assert len(worker_pids(server["log"], "/api/v1/servicedesk/requests")) == 2
    # another client behind the same proxy is not affected
    other = {**headers, "X-Forwarded-For": "198.51.100.21"}
    assert call(url, body, other)[0] == 201


def login_form(base: str) -> tuple[str, str]:
    with urllib.request.urlopen(base + "/akun/masuk/", timeout=30) as response:  # noqa: S310
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        html = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return cookie, match.group(1)


def test_login_failures_count_across_two_workers(server: Any) -> None:
    base = server["base"]
    cookie, token = login_form(base)

    def attempt(password: str, address: str) -> int:
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "alice", "password": password}
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": address,
        }
        return call(base + "/akun/masuk/", data, headers)[0]

    with ThreadPoolExecutor(max_workers=5) as pool:
        failures = list(pool.map(lambda _n: attempt("salah", "203.0.113.9"), range(5)))
    assert Counter(failures)[200] + Counter(failures)[429] == 5
    assert len(worker_pids(server["log"], "/akun/masuk/")) == 2
    # the fifth failure locked alice from that address, whichever worker answers
    assert [attempt("correct horse battery", "203.0.113.9") for _ in range(4)] == [429] * 4
    # while alice from elsewhere logs in (302 to the home page)
    assert attempt("correct horse battery", "198.51.100.30") in {200, 302}
