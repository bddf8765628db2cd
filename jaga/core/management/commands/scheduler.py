"""`jaga scheduler`: run the scheduled jobs (docs/schedules.md).

Without options it runs until SIGTERM or SIGINT, waking every minute; `--once` runs what is due
and exits; `--list` shows the jobs, their last run and when each is next due; `--run NAME` runs one
job now, whatever its schedule says.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core import schedule
from jaga.core.models import ScheduledRun
from jaga.core.numbers import say_number


class Command(BaseCommand):
    help = "Run the scheduled jobs (monthly Anev, public figures, desk reminders, early warning)."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--once", action="store_true", help="Run the due jobs once and exit.")
        what.add_argument("--list", action="store_true", help="List the jobs and their runs.")
        what.add_argument("--run", metavar="NAME", help="Run one job now and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help="Seconds between two looks at the clock (default 60).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list()
            return
        if options["run"]:
            try:
                job = schedule.get(options["run"])
            except KeyError:
                names = ", ".join(j.name for j in schedule.jobs())
                raise CommandError(
                    _("No job “%(name)s”. Jobs: %(jobs)s.")
                    % {"name": options["run"], "jobs": names}
                ) from None
            run = schedule.run_job(job, manual=True)
            assert run is not None  # a manual run has a period of its own
            self._report(run)
            if run.status == ScheduledRun.Status.FAILED:
                raise CommandError(
                    _("%(job)s failed: %(detail)s") % {"job": job.name, "detail": run.detail}
                )
            return
        if options["once"]:
            runs = schedule.run_due()
            for run in runs:
                self._report(run)
            if not runs:
                self.stdout.write(_("Nothing is due."))
            return
        self._serve(options["interval"])

    def _serve(self, interval: float) -> None:
        stop = threading.Event()

        def ask_to_stop(signum: int, _frame: Any) -> None:
            self.stdout.write(
                _("Signal %(signal)s: stopping after this tick.")
                % {"signal": signal.Signals(signum).name}
            )
            stop.set()

        previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        names = ", ".join(j.name for j in schedule.jobs())
        self.stdout.write(
            _("Scheduler started (%(jobs)s); looking every %(seconds)s s.")
            % {"jobs": names, "seconds": say_number(interval, 0 if interval.is_integer() else 1)}
        )
        self.stdout.flush()
        try:
            schedule.loop(stop, interval=interval, on_run=self._report)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(_("Scheduler stopped."))

    def _report(self, run: ScheduledRun) -> None:
        self.stdout.write(
            _("%(job)s [%(period)s] %(status)s: %(detail)s")
            % {
                "job": run.job,
                "period": run.period,
                "status": run.get_status_display().lower(),
                "detail": run.detail,
            }
        )
        self.stdout.flush()

    def _list(self) -> None:
        now = timezone.now()
        today = timezone.localdate(now)
        for job in schedule.jobs():
            when = (
                _("daily at %(time)s") % {"time": f"{job.at:%H:%M}"}
                if job.every == schedule.DAY
                else _("monthly on day %(day)s at %(time)s")
                % {"day": job.day, "time": f"{job.at:%H:%M}"}
            )
            last = schedule.last_run(job)
            current = ScheduledRun.objects.filter(
                job=job.name, period=job.period_key(today)
            ).exists()
            nxt = job.next_due(now) if current or now >= job.due_at(today) else job.due_at(today)
            if not current and now >= job.due_at(today):
                nxt = now  # due now: the next tick runs it
            values = {
                "job": job.name,
                "when": when,
                "next": f"{timezone.localtime(nxt):%Y-%m-%d %H:%M}",
                "help": job.help,
            }
            if last is None:
                line = _("%(job)s: %(when)s; never run; next %(next)s - %(help)s") % values
            else:
                line = _(
                    "%(job)s: %(when)s; last %(last)s [%(period)s] %(status)s; next %(next)s - "
                    "%(help)s"
                ) % {
                    **values,
                    "last": f"{timezone.localtime(last.started_at):%Y-%m-%d %H:%M}",
                    "period": last.period,
                    "status": last.get_status_display().lower(),
                }
            self.stdout.write(line)
