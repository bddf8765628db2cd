"""Throughput of the production server under bounded loopback load, side by side in one run.

    python -m bench.throughput [--rounds 5] [--block 400] [--concurrency 8] [--workers N] [--batch 50]

Starts `jaga serve` (gunicorn with the production settings, the task worker and the scheduler)
on a fresh PostgreSQL database (BENCH_THROUGHPUT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/jaga_throughput, dropped and created), sets up Polres
Trenggalek with `jaga polres create`, an officer with an API token, one activity and enough
distinct invitations, then drives the server from this process with a fixed number of concurrent
HTTP/1.1 connections (asyncio, raw sockets, one request per connection as gunicorn's sync workers
close it). Each round runs one block of each, the order rotating between rounds:

- intake: `POST /api/v1/servicedesk/requests`, the public JSON intake (rate limit, routing,
  tracking code, audit, event, roll-up), a distinct report each time;
- bare: `POST /bench/bare-intake`, the floor: the same body validated by the same schema and one
  row inserted, in the same server (it exists only in `bench.throughput_settings`);
- checkin: `POST /api/v1/programmes/activities/{id}/checkin` with `Authorization: Bearer`, the
  first scan of a distinct invitation each time;
- batch: `POST /api/v1/programmes/activities/{id}/checkins`, a scanner's queue of `--batch`
  first scans of distinct invitations per request (what a door scanner sends when it is back in
  signal, or a gate sending every second); counted per scan, every scan answered "done".

Every answer must be a 2xx (zero errors, or the run fails). Reported per kind: requests a second,
p50 / p95 latency, CPU per request of the gunicorn processes, of the database's backends, of the
task worker and scheduler that `jaga serve` runs beside them (what the requests queue runs there,
on the same cores; from /proc) and of this client; and intake/bare, the ratio of the rates in each
round (median).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
VILLAGE = "35.03.11.1002"  # Kelurahan Tamanan, Kecamatan Trenggalek
REGENCY = "35.03"
SERVICE = "knalpot_brong"


def fresh_database(url: str) -> None:
    import psycopg

    base, _sep, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DEBUG", "REDIS_URL", "DATABASE_REPLICA_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.throughput_settings",
        DATABASE_URL=url,
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Every request comes from 127.0.0.1: the limit is counted (the same cache writes as in
        # production) but set high enough never to refuse.
        PUBLIC_RATE_LIMIT=str(10**9),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="ERROR",
        JAGA_LOG_LEVEL="WARNING",
    )
    return env


SEED = f"""
import datetime, json, sys
from django.utils import timezone
from jaga.accounts.models import Posting, Role, User
from jaga.accounts.services import create_api_token
from jaga.analytics.rollups import bump_metric
from jaga.core.codes import random_code
from jaga.partners.models import Person
from jaga.programs import services as programs
from jaga.programs.models import Invitation
from jaga.servicedesk.models import Service
from jaga.territory.models import Territory
from jaga.territory.polres import create_polres
from jaga.territory.services import load_territory

n = int(sys.argv[1])
load_territory("35.03")
create_polres("35.03")
regency = Territory.objects.get(code="35.03")
village = Territory.objects.get(code="{VILLAGE}")
user = User.objects.create_user("satbinmas", password="bench-only-password-1234", full_name="S")
Posting.objects.create(user=user, role=Role.SATBINMAS, territory=regency,
                       valid_from=datetime.date(2020, 1, 1))
_token, raw = create_api_token(user, "scanner", actor=user)
from jaga.programs.models import Programme
programme = Programme.objects.order_by("id").first()
activity = programs.record_activity(
    actor=user, programme=programme, kind="meeting", title="Rapat besar",
    starts_at=timezone.now() + datetime.timedelta(minutes=30), village=village, area=regency,
    checkin_opens_minutes=240, checkin_closes_minutes=240)
people = Person.objects.bulk_create(
    Person(full_name=f"Warga {{i}}", village=village, regency_code=village.regency_code)
    for i in range(n))
now = timezone.now()
invitations = Invitation.objects.bulk_create(
    Invitation(activity=activity, person=p, code=random_code(12), sent_at=now) for p in people)
bump_metric(village, activity.starts_at, "attendance.invited", n, key=programme.code)
service = Service.objects.get(code="{SERVICE}")
print(json.dumps({{"token": raw, "activity": activity.pk, "codes": [i.code for i in invitations]}}))
"""


def jaga(env: dict[str, str], *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jaga.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        **kw,
    )


def seed(env: dict[str, str], invitations: int) -> dict[str, Any]:
    jaga(env, "migrate", "--no-input")
    code = "import django; django.setup()\n" + SEED
    out = subprocess.run(
        [sys.executable, "-c", code, str(invitations)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"setting up the data failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def gunicorn_pids(serve_pid: int) -> list[int]:
    """gunicorn's master and its workers under `jaga serve`."""
    masters = [p for p in children(serve_pid) if "gunicorn" in cmdline(p)]
    pids = list(masters)
    for master in masters:
        pids += children(master)
    return pids


def backend_pids(url: str) -> list[int]:
    import psycopg

    base, _sep, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
        rows = db.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [int(r[0]) for r in rows]


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"jaga serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                sock.sendall(
                    b"GET /api/v1/servicedesk/services HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
                )
                if sock.recv(64).split(b"\r\n", 1)[0].endswith(b" 200 OK"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("jaga serve did not answer")


# ---------------------------------------------------------------- the client


def post(path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    data = json.dumps(body).encode()
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def one(port: int, raw: bytes) -> tuple[int, float, bytes]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    answer = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - start
    status = int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0
    return status, elapsed, answer


async def block(
    port: int, requests: list[bytes], concurrency: int
) -> list[tuple[int, float, bytes]]:
    queue = list(reversed(requests))
    results: list[tuple[int, float, bytes]] = []

    async def lane() -> None:
        while queue:
            raw = queue.pop()
            results.append(await one(port, raw))

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return results


def intake_body(i: int) -> dict[str, Any]:
    return {
        "service_code": SERVICE,
        "village_code": VILLAGE,
        "description": f"Suara musik keras dari rumah nomor {i} sampai larut malam, mengganggu warga.",
        "name": "Warga",
        "phone": f"0812{i:08d}",
        "answers": {"waktu": "malam"},
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--block", type=int, default=400, help="requests per kind and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: jaga serve's)"
    )
    parser.add_argument("--batch", type=int, default=50, help="scans per batch request")
    args = parser.parse_args(argv)

    url = os.environ.get(
        "BENCH_THROUGHPUT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jaga_throughput"
    )
    fresh_database(url)
    env = server_env(url)
    t0 = time.monotonic()
    batch_requests = max(1, args.block // args.batch)
    # The single scans, the batches and their warm-ups each use distinct invitations.
    seeded = seed(
        env, args.rounds * (args.block + batch_requests * args.batch) + 100 + 4 * args.batch
    )
    print(f"setup: {time.monotonic() - t0:.1f} s ({len(seeded['codes'])} invitations)", flush=True)

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jaga.cli",
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-log",
        "",
    ]
    if args.workers:
        command += ["--workers", str(args.workers)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_ready(port, proc)
        web = gunicorn_pids(proc.pid)
        # The task worker and the scheduler: what the requests queue runs there, on the same cores.
        others = [p for p in children(proc.pid) if p not in web]
        others += [c for p in others for c in children(p)]
        token = seeded["token"]
        checkin_path = f"/api/v1/programmes/activities/{seeded['activity']}/checkin"
        batch_path = f"/api/v1/programmes/activities/{seeded['activity']}/checkins"
        auth = {"Authorization": f"Bearer {token}"}
        codes = iter(seeded["codes"])
        run = uuid.uuid4().hex[:6]
        counter = iter(range(10**9))

        def make(kind: str) -> bytes:
            if kind == "intake":
                return post(
                    "/api/v1/servicedesk/requests",
                    intake_body(next(counter)),
                    {"Idempotency-Key": f"{run}-{next(counter)}"},
                )
            if kind == "bare":
                return post("/bench/bare-intake", intake_body(next(counter)))
            if kind == "batch":
                scans = [{"code": next(codes)} for _ in range(args.batch)]
                return post(batch_path, {"scans": scans}, auth)
            return post(checkin_path, {"code": next(codes)}, auth)

        def failed(kind: str, result: tuple[int, float, bytes]) -> bool:
            if not 200 <= result[0] < 300:
                return True
            return kind == "batch" and b'"done": %d,' % args.batch not in result[2]

        kinds = ["intake", "bare", "checkin", "batch"]
        per_request = {"batch": args.batch}
        # Warm every worker (imports, connections, caches) outside the measurement.
        for kind in kinds:
            n = 4 if kind == "batch" else 40
            warm = asyncio.run(block(port, [make(kind) for _ in range(n)], args.concurrency))
            bad = [r for r in warm if failed(kind, r)]
            if bad:
                raise SystemExit(f"{kind} warm-up failed: {bad[0][2][:600]!r}")
        stats: dict[str, dict[str, Any]] = {
            k: {
                "n": 0,
                "wall": 0.0,
                "lat": [],
                "web": 0,
                "db": 0,
                "worker": 0,
                "client": 0.0,
                "rates": [],
            }
            for k in kinds
        }
        ratios = []
        batch_ratios = []
        load_before = os.getloadavg()
        for r in range(args.rounds):
            order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
            rates: dict[str, float] = {}
            for kind in order:
                count = batch_requests if kind == "batch" else args.block
                requests = [make(kind) for _ in range(count)]
                db = backend_pids(url)
                before = (cpu_ticks(web), cpu_ticks(db), time.process_time(), time.perf_counter())
                worker_before = cpu_ticks(others)
                results = asyncio.run(block(port, requests, args.concurrency))
                wall = time.perf_counter() - before[3]
                client = time.process_time() - before[2]
                db_after = cpu_ticks(db)
                web_after = cpu_ticks(web)
                worker_after = cpu_ticks(others)
                bad = [x for x in results if failed(kind, x)]
                if bad:
                    raise SystemExit(f"{kind}: {len(bad)} errors, first: {bad[0][2][:600]!r}")
                s = stats[kind]
                items = len(results) * per_request.get(kind, 1)
                s["n"] += items
                s["wall"] += wall
                s["lat"] += [x[1] for x in results]
                s["web"] += web_after - before[0]
                s["worker"] += worker_after - worker_before
                s["db"] += db_after - before[1]
                s["client"] += client
                rates[kind] = items / wall
                s["rates"].append(rates[kind])
            ratios.append(rates["intake"] / rates["bare"])
            batch_ratios.append(rates["batch"] / rates["checkin"])
            print(
                f"round {r + 1}: "
                + ", ".join(f"{k} {rates[k]:.0f}/s" for k in kinds)
                + f"; intake/bare {ratios[-1]:.2f}",
                flush=True,
            )
        load_after = os.getloadavg()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    print()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}; workers: {len(web) - 1}; "
        f"concurrency {args.concurrency}; {args.rounds} rounds x {args.block} requests per kind"
    )
    print(
        "load average before/after: "
        + " ".join(f"{x:.2f}" for x in load_before)
        + " / "
        + " ".join(f"{x:.2f}" for x in load_after)
    )
    print()
    print(
        "| path | requests (scans) | rate (median of rounds) | p50 of a request | p95 | gunicorn CPU/req (scan) | PostgreSQL CPU/req (scan) | worker CPU/req (scan) | client CPU/req (scan) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        s = stats[kind]
        ms = 1000 / TICK / s["n"]
        print(
            f"| {kind} | {s['n']} | {statistics.median(s['rates']):.0f}/s "
            f"| {percentile(s['lat'], 0.5) * 1000:.1f} ms | {percentile(s['lat'], 0.95) * 1000:.1f} ms "
            f"| {s['web'] * ms:.2f} ms | {s['db'] * ms:.2f} ms | {s['worker'] * ms:.2f} ms | {s['client'] / s['n'] * 1000:.2f} ms |"
        )
    print()
    print(
        f"intake/bare (rates in the same round): median {statistics.median(ratios):.2f} "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
    )
    print(
        f"batch/checkin, scans a second (same round): median {statistics.median(batch_ratios):.1f} "
        f"(rounds: {', '.join(f'{x:.1f}' for x in batch_ratios)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
