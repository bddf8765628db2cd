"""`jaga serve`: production in one command.

Starts and supervises three processes:

- **web**: gunicorn serving `jaga.wsgi` (``--workers`` processes, default 2 x CPUs + 1);
- **worker**: `jaga db_worker`, the task worker (Anev reports, publishing a closed month, imports)
  and the announcer of new public reports (`jaga.core.outbox` drains);
- **scheduler**: `jaga scheduler` (the monthly and daily jobs), when this Jaga has that command.

If any of them ends, for whatever reason, the others are stopped and `jaga serve` exits with a
non-zero code, so that systemd (``Restart=on-failure``) starts everything afresh; nothing keeps
running half-way. SIGTERM or SIGINT (Ctrl-C) stop all three cleanly (gunicorn finishes the
requests in flight, the worker its task) and `jaga serve` exits 0.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

# How long a child may take to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 40
POLL_SECONDS = 0.2


def default_workers() -> int:
    """gunicorn's own advice: two per CPU this process may use, plus one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return 2 * cpus + 1


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM if `jaga serve` itself is killed -9."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


class Command(BaseCommand):
    help = (
        "Run Jaga in production: gunicorn, the task worker and the scheduler, supervised "
        "(one ends: all stop, exit 1; SIGTERM: all stop cleanly, exit 0)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("JAGA_BIND", "127.0.0.1:8000"),
            help="Address gunicorn listens on (HOST:PORT or unix:PATH; env JAGA_BIND).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "0") or 0) or default_workers(),
            help="gunicorn worker processes (env WEB_CONCURRENCY; default 2 x CPUs + 1).",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=int(os.environ.get("JAGA_WEB_TIMEOUT", "120")),
            help="Seconds a request may take before gunicorn restarts its worker.",
        )
        parser.add_argument(
            "--access-log",
            default=os.environ.get("JAGA_ACCESS_LOG", "-"),
            help="gunicorn access log file ('-' for standard output, '' for none).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the task worker."
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not start the scheduler."
        )

    def children(self, options: dict[str, Any]) -> list[Child]:
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "jaga.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--timeout",
            str(options["timeout"]),
            "--graceful-timeout",
            "30",
            "--no-control-socket",
        ]
        if options["access_log"]:
            web += ["--access-logfile", options["access_log"]]
        jaga = [sys.executable, "-m", "jaga.cli"]
        result = [Child("web", web)]
        if not options["no_worker"]:
            result.append(Child("worker", [*jaga, "db_worker", "--no-reload", "-v", "1"]))
        if not options["no_scheduler"] and "scheduler" in get_commands():
            result.append(Child("scheduler", [*jaga, "scheduler"]))
        return result

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1."))
        children = self.children(options)
        stopping: list[int] = []

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            stopping.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in children:
                child.process = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
                    child.argv, preexec_fn=_die_with_parent
                )
                self.stdout.write(
                    _("jaga serve: %(name)s started, pid %(pid)s")
                    % {"name": child.name, "pid": child.process.pid}
                )
            self.stdout.flush()
            died = self.watch(children, stopping)
        finally:
            self.stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if died is not None:
            name, code = died
            raise CommandError(
                _("jaga serve: %(name)s ended (exit code %(code)s); stopped everything.")
                % {"name": name, "code": code},
                returncode=1,
            )
        self.stdout.write(_("jaga serve: stopped."))

    def watch(self, children: list[Child], stopping: list[int]) -> tuple[str, int] | None:
        """Wait for a signal (None) or for a child to end (its name and exit code)."""
        while not stopping:
            for child in children:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    if stopping:  # Ctrl-C reached the children too: a stop, not a death
                        return None
                    self.stderr.write(
                        _("jaga serve: %(name)s ended with exit code %(code)s")
                        % {"name": child.name, "code": code}
                    )
                    return child.name, code
            time.sleep(POLL_SECONDS)
        return None

    def stop(self, children: list[Child]) -> None:
        """SIGTERM to every child still running, then wait; SIGKILL whoever outlasts the grace."""
        running = [c.process for c in children if c.process and c.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
