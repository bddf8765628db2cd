"""The monthly Anev: asked by the scheduler on the 1st for every Polres, sent to its leaders."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from jaga.core import events, schedule
from jaga.core.gateways import LoggingGateway
from jaga.reports import services
from jaga.reports.models import JobStatus, ReportJob
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory

pytestmark = pytest.mark.django_db
WIB = datetime.timezone(datetime.timedelta(hours=7))


@pytest.fixture
def polres(db):
    unit = PoliceUnit.objects.create(kind=PoliceUnitKind.POLRES, name="Polres T", code="p-t")
    unit.territories.add(Territory.objects.get(code="35.03"))
    return unit


def test_the_first_of_the_month_writes_and_sends_the_anev_to_the_leaders(
    polres, demo_month, leader, bob, django_capture_on_commit_callbacks
):
    leader.email, leader.phone = "kapolres@example.org", "081200000001"
    leader.save()
    bob.email = "kapolsek@example.org"
    bob.save()
    heard: list[events.Event] = []
    listener = heard.append
    events.subscribe(events.ANEV_READY)(listener)
    LoggingGateway.sent.clear()
    try:
        with (
            time_machine.travel(datetime.datetime(2022, 2, 1, 2, 30, tzinfo=WIB), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            runs = [r for r in schedule.run_due() if r.job == "anev-monthly"]
            assert runs[0].detail == "Anev 2022-01 untuk 1 Polres masuk antrean"
    finally:
        events.unsubscribe(events.ANEV_READY, listener)
    job = ReportJob.objects.get()
    assert job.territory.code == "35.03" and job.month == demo_month
    assert job.status == JobStatus.DONE and job.requested_by is None
    # the leader is told (e-mail and SMS/WhatsApp), with a link from SITE_URL; the Polsek is not
    assert [m.to for m in mail.outbox] == [["kapolres@example.org"]]
    assert f"/laporan/anev/{job.code}/" in mail.outbox[0].body
    assert [to for to, _text in LoggingGateway.sent] == ["081200000001"]
    assert [(e.name, e.object_id) for e in heard] == [(events.ANEV_READY, job.code)]


def test_a_polres_without_figures_for_the_month_gets_no_report(
    polres, leader, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(datetime.datetime(2022, 2, 1, 2, 30, tzinfo=WIB), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        runs = [r for r in schedule.run_due() if r.job == "anev-monthly"]
    assert runs[0].status == "done"
    assert not ReportJob.objects.exists() and mail.outbox == []


def test_asking_the_months_anev_again_sends_nothing_twice(
    polres, demo_month, leader, django_capture_on_commit_callbacks
):
    # The scheduled run, then an operator's `jaga scheduler --run anev-monthly` the same day, then
    # the worker running a delivery a second time: one report, one e-mail, one message.
    leader.email, leader.phone = "kapolres@example.org", "081200000001"
    leader.save()
    LoggingGateway.sent.clear()
    with (
        time_machine.travel(datetime.datetime(2022, 2, 1, 2, 30, tzinfo=WIB), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert [r.job for r in schedule.run_due() if r.job == "anev-monthly"] == ["anev-monthly"]
        manual = schedule.run_job(schedule.get("anev-monthly"), manual=True)
        assert manual is not None and manual.status == "done"
    job = ReportJob.objects.get()
    assert job.delivered_at is not None
    assert services.deliver_anev(job.pk) == 0
    assert [m.to for m in mail.outbox] == [["kapolres@example.org"]]
    assert [to for to, _text in LoggingGateway.sent] == ["081200000001"]


def test_a_failed_anev_is_asked_again_by_a_later_run(
    polres, demo_month, leader, django_capture_on_commit_callbacks
):
    leader.email = "kapolres@example.org"
    leader.save()
    first = services.scheduled_anev("35.03", demo_month)
    assert first is not None
    services.move_job(first.pk, JobStatus.FAILED, error="PDF renderer away")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.scheduled_anev("35.03", demo_month)
    assert again is not None and again.pk != first.pk
    again.refresh_from_db()
    assert again.status == JobStatus.DONE and [m.to for m in mail.outbox] == [
        ["kapolres@example.org"]
    ]
