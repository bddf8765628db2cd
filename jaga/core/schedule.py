"""A small scheduler: jobs that run once a day or once a month and enqueue background tasks.

Apps declare their jobs in a `schedules.py` module (found like `admin.py`) with `@every_day(...)`
or `@every_month(...)`; `jaga scheduler` (started by the production command) wakes every minute
and runs whatever is due. A job's function only enqueues django-tasks (the worker does the
work), so a scheduler tick is quick.

Once per period: a run is claimed by inserting its `ScheduledRun(job, period)` row, unique on the
pair; a second scheduler (or one restarted after the run) finds the row and leaves the job alone.
A job missed while no scheduler ran (down on the 1st at 02:00) still runs when the scheduler comes
back within the same period (later that day, or later that month). A failed run stays recorded as
failed and is not retried by itself (an operator looks and runs it again with
`jaga scheduler --run NAME`). Times are local (settings.TIME_ZONE, Asia/Jakarta).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules

from jaga.core.models import ScheduledRun
from jaga.core.months import add_months

log = logging.getLogger("jaga.schedule")

DAY = "day"
MONTH = "month"
# A job's action gets the start of its period (the day, or the 1st of the month) and returns a
# short line for the run's record (what it enqueued).
Action = Callable[[datetime.date], str]


@dataclass(frozen=True)
class Job:
    name: str
    every: str  # DAY or MONTH
    at: datetime.time  # local time of day the job becomes due
    action: Action
    help: str | Promise  # gettext_lazy: said in the language of whoever lists the jobs
    day: int = 1  # day of the month (MONTH jobs)

    def period_start(self, today: datetime.date) -> datetime.date:
        return today if self.every == DAY else today.replace(day=1)

    def period_key(self, today: datetime.date) -> str:
        start = self.period_start(today)
        return start.isoformat() if self.every == DAY else start.strftime("%Y-%m")

    def due_at(self, today: datetime.date) -> datetime.datetime:
        """When the job becomes due in the period that holds `today` (aware, local)."""
        day = today if self.every == DAY else today.replace(day=self.day)
        return timezone.make_aware(datetime.datetime.combine(day, self.at))

    def next_due(self, now: datetime.datetime) -> datetime.datetime:
        """The next time the job becomes due after the current period's (for --list)."""
        today = timezone.localdate(now)
        if self.every == DAY:
            return self.due_at(today + datetime.timedelta(days=1))
        return self.due_at(add_months(today, 1))


_jobs: dict[str, Job] = {}
_discovered = False


def register(job: Job) -> Job:
    if job.every not in (DAY, MONTH):
        raise ValueError(f"job {job.name}: every must be {DAY!r} or {MONTH!r}")
    if job.every == MONTH and not 1 <= job.day <= 28:
        raise ValueError(f"job {job.name}: day of the month must be 1..28")
    _jobs[job.name] = job
    return job


def every_day(name: str, *, at: str, help: str | Promise) -> Callable[[Action], Action]:
    """Decorator: run `fn(day)` once a day, from `at` ("HH:MM", local time)."""

    def wrap(fn: Action) -> Action:
        register(Job(name, DAY, datetime.time.fromisoformat(at), fn, help))
        return fn

    return wrap


def every_month(
    name: str, *, day: int = 1, at: str, help: str | Promise
) -> Callable[[Action], Action]:
    """Decorator: run `fn(first_of_month)` once a month, from `day` at `at` (local time)."""

    def wrap(fn: Action) -> Action:
        register(Job(name, MONTH, datetime.time.fromisoformat(at), fn, help, day=day))
        return fn

    return wrap


def jobs() -> list[Job]:
    """Every registered job (the apps' `schedules.py` modules are imported on first use)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("schedules")
        _discovered = True
    return sorted(_jobs.values(), key=lambda j: (j.every, j.at, j.name))


def get(name: str) -> Job:
    for job in jobs():
        if job.name == name:
            return job
    raise KeyError(name)


def last_run(job: Job) -> ScheduledRun | None:
    return ScheduledRun.objects.filter(job=job.name).order_by("-started_at", "-id").first()


def _claim(job: Job, period: str, *, manual: bool) -> ScheduledRun | None:
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(job=job.name, period=period, manual=manual)
    except IntegrityError:
        return None  # another scheduler (or an earlier run of this one) has it


def run_job(
    job: Job, *, now: datetime.datetime | None = None, manual: bool = False
) -> ScheduledRun | None:
    """Claim the job's current period and run it; None when the period was already claimed.
    A manual run (`--run NAME`) is recorded under its own period key and always runs."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = job.period_key(today)
    if manual:
        period = f"{period} manual {now:%Y%m%dT%H%M%S.%f}"
    run = _claim(job, period, manual=manual)
    if run is None:
        return None
    try:
        detail = job.action(job.period_start(today))
    except Exception as exc:  # recorded; the scheduler keeps running the other jobs
        log.exception("scheduled job %s (%s) failed", job.name, period)
        run.status = ScheduledRun.Status.FAILED
        run.detail = f"{type(exc).__name__}: {exc}"
    else:
        run.status = ScheduledRun.Status.DONE
        run.detail = detail
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "detail", "finished_at"])
    return run


def due(now: datetime.datetime | None = None) -> list[Job]:
    """The jobs due now whose current period has no run yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = [j for j in jobs() if now >= j.due_at(today)]
    claimed = set(
        ScheduledRun.objects.filter(
            job__in=[j.name for j in candidates],
            period__in={j.period_key(today) for j in candidates},
        ).values_list("job", "period")
    )
    return [j for j in candidates if (j.name, j.period_key(today)) not in claimed]


def run_due(now: datetime.datetime | None = None) -> list[ScheduledRun]:
    """Run every due job once (one scheduler tick)."""
    done = []
    for job in due(now):
        run = run_job(job, now=now)
        if run is not None:
            done.append(run)
    return done


def loop(
    stop: threading.Event,
    *,
    interval: float = 60.0,
    on_run: Callable[[ScheduledRun], None] | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set (SIGTERM / SIGINT in the command). A
    tick in progress finishes first: a stop never leaves a claimed run half-recorded."""
    from django.db import close_old_connections, connection

    while not stop.is_set():
        # Drop connections the database has let go; never the one an enclosing transaction
        # holds (a caller inside `atomic`, as the tests are): closing it loses the transaction.
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            for run in run_due():
                if on_run is not None:
                    on_run(run)
        except Exception:  # e.g. the database is away for a moment: try again next tick
            log.exception("scheduler tick failed")
        stop.wait(interval)
