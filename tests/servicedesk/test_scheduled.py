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
