"""The scheduler: due times, once per period (restarts, two schedulers), failures, the command."""

from __future__ import annotations

import datetime
import io
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation

from jaga.core import schedule
from jaga.core.models import ScheduledRun

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=WIB)


@pytest.fixture
def calls() -> Iterator[list[tuple[str, datetime.date]]]:
    """Two jobs of our own in place of the apps' (restored afterwards)."""
    seen: list[tuple[str, datetime.date]] = []
    schedule.jobs()  # the apps' modules are imported once; then keep only ours
    saved = dict(schedule._jobs)
    schedule._jobs.clear()

    @schedule.every_day("t-daily", at="07:00", help="daily test job")
    def daily(day: datetime.date) -> str:
        seen.append(("daily", day))
        return "daily ran"

    @schedule.every_month("t-monthly", day=1, at="02:00", help="monthly test job")
    def monthly(first: datetime.date) -> str:
        seen.append(("monthly", first))
        return "monthly ran"

    yield seen
    schedule._jobs.clear()
    schedule._jobs.update(saved)


def test_jobs_run_from_their_time_once_per_period(calls: list[Any]) -> None:
    with time_machine.travel(at(2026, 12, 1, 1, 59), tick=False):
        assert schedule.run_due() == []
    with time_machine.travel(at(2026, 12, 1, 2, 0), tick=False):
        runs = schedule.run_due()
        assert [r.job for r in runs] == ["t-monthly"]
        assert runs[0].period == "2026-12" and runs[0].status == "done"
        assert runs[0].detail == "monthly ran"
        assert schedule.run_due() == []  # the same minute again: nothing
    with time_machine.travel(at(2026, 12, 1, 7, 30), tick=False):
        assert [r.job for r in schedule.run_due()] == ["t-daily"]
    with time_machine.travel(at(2026, 12, 2, 8, 0), tick=False):
        assert [r.job for r in schedule.run_due()] == ["t-daily"]  # a new day, not a new month
    with time_machine.travel(at(2027, 1, 1, 2, 0), tick=False):
        assert [r.job for r in schedule.run_due()] == ["t-monthly"]
    assert calls == [
        ("monthly", datetime.date(2026, 12, 1)),
        ("daily", datetime.date(2026, 12, 1)),
        ("daily", datetime.date(2026, 12, 2)),
        ("monthly", datetime.date(2027, 1, 1)),
    ]


def test_local_time_decides_the_day(calls: list[Any]) -> None:
    # 1 December 02:30 in Jakarta is still 30 November in UTC
    with time_machine.travel(datetime.datetime(2026, 11, 30, 19, 30, tzinfo=datetime.UTC)):
        assert [r.period for r in schedule.run_due()] == ["2026-12"]


def test_a_restarted_scheduler_catches_up_within_the_period_and_runs_nothing_twice(
    calls: list[Any],
) -> None:
    # down over the 1st; back on the 3rd: the month's job still runs, once
    with time_machine.travel(at(2026, 12, 3, 9, 0), tick=False):
        assert {r.job for r in schedule.run_due()} == {"t-monthly", "t-daily"}
        assert schedule.run_due() == []
    assert ScheduledRun.objects.filter(job="t-monthly").count() == 1


def test_a_second_scheduler_finds_the_period_claimed(calls: list[Any]) -> None:
    with time_machine.travel(at(2026, 12, 1, 8, 0), tick=False):
        job = schedule.get("t-monthly")
        # the other scheduler inserted its claim between our look at the clock and our run
        ScheduledRun.objects.create(job="t-monthly", period="2026-12")
        assert schedule.run_job(job) is None
    assert [c for c in calls if c[0] == "monthly"] == []


def test_a_failing_job_is_recorded_and_the_others_still_run(calls: list[Any]) -> None:
    @schedule.every_day("t-broken", at="06:00", help="fails")
    def broken(day: datetime.date) -> str:
        raise RuntimeError("gateway away")

    with time_machine.travel(at(2026, 12, 1, 8, 0), tick=False):
        runs = {r.job: r for r in schedule.run_due()}
        assert runs["t-broken"].status == "failed"
        assert "gateway away" in runs["t-broken"].detail
        assert runs["t-daily"].status == "done"
        assert schedule.run_due() == []  # not retried by itself


def test_the_command_lists_runs_once_and_runs_by_name(calls: list[Any]) -> None:
    out = io.StringIO()
    with time_machine.travel(at(2026, 12, 1, 3, 0), tick=False), translation.override("en"):
        call_command("scheduler", "--list", stdout=out)
        assert "t-monthly: monthly on day 1 at 02:00; never run; next 2026-12-01 03:00" in (
            out.getvalue()
        )
        call_command("scheduler", "--once", stdout=out)
        assert "t-monthly [2026-12] done: monthly ran" in out.getvalue()
        out = io.StringIO()
        call_command("scheduler", "--list", stdout=out)
        assert "[2026-12] done; next 2027-01-01 02:00" in out.getvalue()
        assert "t-daily: daily at 07:00; never run; next 2026-12-01 07:00" in out.getvalue()
        call_command("scheduler", "--run", "t-monthly", stdout=out)
        assert ScheduledRun.objects.filter(job="t-monthly", manual=True).count() == 1
        with pytest.raises(CommandError, match="No job “nope”"):
            call_command("scheduler", "--run", "nope")
    assert [c for c in calls if c[0] == "monthly"] == [("monthly", datetime.date(2026, 12, 1))] * 2


def test_the_command_speaks_indonesian_like_the_other_commands(calls: list[Any]) -> None:
    """Every line of `jaga scheduler` goes through gettext: Indonesian (LANGUAGE_CODE), the
    production jobs' descriptions and run records too; English only when English is active."""

    @schedule.every_day("t-broken", at="01:00", help="fails")
    def broken(day: datetime.date) -> str:
        raise RuntimeError("gateway away")

    def run(*args: str) -> list[str]:
        out = io.StringIO()
        call_command("scheduler", *args, stdout=out)
        return out.getvalue().splitlines()

    with time_machine.travel(at(2026, 12, 1, 3, 0), tick=False):
        assert run("--list")[-1] == (
            "t-monthly: setiap bulan tanggal 1 pukul 02:00; belum pernah berjalan; berikutnya "
            "2026-12-01 03:00 - monthly test job"
        )
        assert run("--once") == ["t-broken [2026-12-01] gagal: RuntimeError: gateway away",
                                 "t-monthly [2026-12] selesai: monthly ran"]  # fmt: skip
        assert run("--once") == ["Tidak ada yang jatuh tempo."]
        assert (
            "terakhir 2026-12-01 03:00 [2026-12] selesai; berikutnya 2027-01-01 02:00"
            in run("--list")[-1]
        )
        with pytest.raises(
            CommandError, match="Tidak ada tugas “nope”. Tugas: t-broken, t-daily, t-monthly."
        ):
            run("--run", "nope")
        with pytest.raises(CommandError, match="t-broken gagal: RuntimeError: gateway away"):
            run("--run", "t-broken")


def test_the_production_jobs_are_described_in_indonesian() -> None:
    out = io.StringIO()
    call_command("scheduler", "--list", stdout=out)
    listed = out.getvalue()
    for line in (
        "Peringatan dini atas bulan yang baru ditutup untuk setiap Polres",
        "Laporan Anev bulan yang baru ditutup untuk setiap Polres",
        "Mengingatkan petugas akan laporan mereka yang terlambat",
    ):
        assert line in listed
    for word in ("daily at", "monthly on", "never run", "next 20", "Remind officers"):
        assert word not in listed, word


def test_the_loop_stops_cleanly_on_sigterm(calls: list[Any], monkeypatch: Any) -> None:
    ticks = []
    real = schedule.run_due

    def tick_then_terminate(now: Any = None) -> Any:
        try:
            runs = real(now)
            ticks.append(len(runs))
        finally:
            # As the production command would on shutdown; also after a failed tick, so a
            # failure shows as one instead of the loop waiting its hour.
            signal.raise_signal(signal.SIGTERM)
        return runs

    monkeypatch.setattr(schedule, "run_due", tick_then_terminate)
    previous = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()
    with time_machine.travel(at(2026, 12, 1, 8, 0), tick=False):
        call_command("scheduler", "--interval", "3600", stdout=out)
    assert ticks == [2]  # one tick finished, then it stopped without waiting the hour
    text = out.getvalue()
    assert text.startswith("Penjadwal berjalan (t-daily, t-monthly); memeriksa setiap 3.600 detik.")
    assert "Sinyal SIGTERM: berhenti setelah putaran ini." in text
    assert text.rstrip().endswith("Penjadwal berhenti.")
    assert signal.getsignal(signal.SIGTERM) is previous
    assert set(ScheduledRun.objects.values_list("status", flat=True)) == {"done"}


def test_the_apps_register_the_production_jobs() -> None:
    names = {j.name for j in schedule.jobs()}
    assert {
        "anev-monthly",
        "portal-publish",
        "desk-remind-overdue",
        "desk-close-resolved",
        "early-warning",
    } <= names
