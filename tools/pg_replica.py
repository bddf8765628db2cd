# ruff: noqa: S603, S607 (our own PostgreSQL tools, absolute paths or PATH)
"""A second PostgreSQL on this machine, streaming from the local one (docs/scaling.md).

    python tools/pg_replica.py start    # pg_basebackup into var/pg-replica, start on port 5440
    python tools/pg_replica.py status   # replay position and lag (bytes, seconds)
    python tools/pg_replica.py stop     # stop it (the data directory stays; `--remove` deletes it)

`make replica` / `make replica-stop` call it. The primary is taken from DATABASE_URL (host, port,
user; default postgres@127.0.0.1:5432). It must allow replication connections from 127.0.0.1: when
`pg_hba.conf` has no such rule, `start` adds `host replication all 127.0.0.1/32 trust` (only for a
primary that already trusts 127.0.0.1) and reloads it. Started as root, the server runs as the
`postgres` user, as PostgreSQL requires. Exit code 2: this machine cannot run a replica (no
PostgreSQL binaries, no primary); anything else non-zero is a failure.

Then `DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5440/<same database>` sends reads there
(jaga/core/dbrouter.py).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("JAGA_REPLICA_DIR", str(ROOT / "var" / "pg-replica")))
PORT = int(os.environ.get("JAGA_REPLICA_PORT", "5440"))
HBA_RULE = "host replication all 127.0.0.1/32 trust"


class CannotRun(Exception):
    """This machine cannot run a replica (exit code 2)."""


def primary() -> tuple[str, int, str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        return parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres"
    return "127.0.0.1", 5432, "postgres"


def binary(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise CannotRun(f"{name} not found (install postgresql, e.g. postgresql-15)")
    return found


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def sql(query: str, port: int | None = None) -> str:
    host, primary_port, user = primary()
    out = subprocess.run(
        [binary("psql"), "-h", host, "-p", str(port or primary_port), "-U", user, "-d", "postgres"]
        + ["-Atc", query],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def running() -> bool:
    ready = subprocess.run(
        [binary("pg_isready"), "-h", "127.0.0.1", "-p", str(PORT), "-q"], check=False
    )
    return ready.returncode == 0


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Two test processes starting the replica at once: one builds it, the other waits."""
    DATA.parent.mkdir(parents=True, exist_ok=True)
    with open(DATA.parent / "pg-replica.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def allow_replication() -> None:
    rules = sql(
        "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
        " AND (address IS NULL OR address = '127.0.0.1' OR address = 'all')"
    )
    if int(rules or 0):
        return
    trusted = sql(
        "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND auth_method = 'trust'"
        " AND address = '127.0.0.1'"
    )
    if not int(trusted or 0):
        raise CannotRun(
            f"the primary has no replication rule; add '{HBA_RULE}' (or one with a password) "
            "to its pg_hba.conf and reload it"
        )
    hba = Path(sql("SHOW hba_file"))
    try:
        with hba.open("a") as handle:
            handle.write(f"\n# Jaga's local streaming replica (tools/pg_replica.py)\n{HBA_RULE}\n")
    except OSError as exc:
        raise CannotRun(f"cannot add '{HBA_RULE}' to {hba}: {exc}") from exc
    sql("SELECT pg_reload_conf()")
    time.sleep(0.5)


def base_backup() -> None:
    host, port, user = primary()
    if DATA.exists():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(DATA, "postgres", "postgres")
    DATA.chmod(0o700)
    subprocess.run(
        as_postgres(
            [binary("pg_basebackup"), "-h", host, "-p", str(port), "-U", user, "-D", str(DATA)]
            + ["-R", "-X", "stream", "-c", "fast"]
        ),
        check=True,
    )
    # A Debian cluster keeps its configuration in /etc: the copy gets a minimal one of its own.
    conf = DATA / "postgresql.conf"
    conf.write_text(
        f"port = {PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{DATA}'\n"
        "hot_standby = on\nmax_connections = 100\nshared_buffers = 128MB\n"
        "max_wal_senders = 10\nwal_level = replica\n"
    )
    (DATA / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
    )
    if os.geteuid() == 0:
        for path in (conf, DATA / "pg_hba.conf"):
            shutil.chown(path, "postgres", "postgres")


def start() -> None:
    with locked():
        if running():
            print(f"replica already running on port {PORT}")
            return
        try:
            sql("SELECT 1")
        except (subprocess.CalledProcessError, CannotRun) as exc:
            raise CannotRun(f"no primary PostgreSQL at {primary()[:2]}") from exc
        allow_replication()
        if not (DATA / "standby.signal").exists():
            base_backup()
        log = DATA / "server.log"
        result = subprocess.run(
            as_postgres([binary("pg_ctl"), "-D", str(DATA), "-l", str(log), "-w", "start"]),
            check=False,
        )
        if result.returncode != 0:
            # a stale copy (the primary recycled the WAL it needs): take a fresh one, once
            base_backup()
            subprocess.run(
                as_postgres([binary("pg_ctl"), "-D", str(DATA), "-l", str(log), "-w", "start"]),
                check=True,
            )
        print(f"replica streaming on 127.0.0.1:{PORT} (data {DATA})")


def stop(remove: bool) -> None:
    with locked():
        if (DATA / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([binary("pg_ctl"), "-D", str(DATA), "-m", "fast", "-w", "stop"]),
                check=False,
            )
        if remove and DATA.exists():
            shutil.rmtree(DATA)
        print("replica stopped" + (" and removed" if remove else ""))


def status() -> None:
    if not running():
        print(f"no replica on port {PORT}")
        sys.exit(1)
    print(
        sql(
            "SELECT 'replaying ' || pg_last_wal_replay_lsn() || ', last replayed transaction '"
            " || coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp()))"
            "::text, '?') || ' s ago'",
            PORT,
        )
    )
    print(
        sql(
            "SELECT client_addr || ' ' || state || ', replay lag '"
            " || coalesce(replay_lag::text, '0') || ', bytes behind '"
            " || pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--remove", action="store_true", help="stop: also delete the data")
    args = parser.parse_args()
    try:
        if args.action == "start":
            start()
        elif args.action == "stop":
            stop(args.remove)
        else:
            status()
    except CannotRun as exc:
        print(f"pg_replica: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
