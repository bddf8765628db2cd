"""The desk's daily jobs, run by the scheduler through the task queue."""

from __future__ import annotations

import datetime
from typing import Any

import time_machine
from django.utils import timezone

from jaga.core import schedule
from jaga.servicedesk import services
from jaga.servicedesk.models import ServiceRequest, Status


def test_the_daily_jobs_remind_overdue_reports_and_close_expired_ones(
    file_report: Any, village_a: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        late = file_report(village_a)
        done = file_report(village_a)
        services.transition_request(done, Status.ASSIGNED, actor=bob, assignee=bob)
        services.transition_request(done, Status.RESOLVED, actor=bob, note="Sudah ditertibkan.")
    ServiceRequest.objects.filter(pk=late.pk).update(due_at=start + datetime.timedelta(hours=1))
    # weeks later, past the due time and the reopening period, after 07:00 local time
    later = start + datetime.timedelta(days=40)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        runs = {r.job: r for r in schedule.run_due() if r.job.startswith("desk-")}
        assert set(runs) == {"desk-remind-overdue", "desk-close-resolved"}
        assert all(r.status == "done" for r in runs.values())
        assert schedule.run_due() == []  # once a day
    late.refresh_from_db()
    done.refresh_from_db()
    assert late.reminded_at == later
    assert done.status == Status.CLOSED
    assert timezone.localtime(later).hour >= 7


def test_the_overdue_reminder_goes_every_day_even_when_the_worker_is_earlier_than_yesterday(
    file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Day 1 the worker reached the task at 07:00:45 local time, day 2 at 07:00:10: under 24
    # hours apart, yet a new day. A second run on the same day reminds nobody.
    wib = datetime.timezone(datetime.timedelta(hours=7))
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=wib)
    with time_machine.travel(start, tick=False):
        late = file_report(village_a)
    ServiceRequest.objects.filter(pk=late.pk).update(due_at=start + datetime.timedelta(hours=1))
    day1 = datetime.datetime(2026, 12, 3, 7, 0, 45, tzinfo=wib)
    day2 = datetime.datetime(2026, 12, 4, 7, 0, 10, tzinfo=wib)
    for moment, expected in ((day1, 1), (day1 + datetime.timedelta(hours=5), 0), (day2, 1)):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks():
            assert services.remind_overdue() == expected, moment
    late.refresh_from_db()
    assert late.reminded_at == day2
