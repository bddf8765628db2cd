"""The monthly early-warning job stores the alarms it raised, once each."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from jaga.analytics.models import RaisedAlarm
from jaga.core import events, schedule
from jaga.core.models import AuditLog
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
from tests.analytics.conftest import LAST_MONTH

pytestmark = pytest.mark.django_db


def test_the_monthly_run_stores_new_alarms_and_announces_them_once(
    surge,
    village_a,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    polres = PoliceUnit.objects.create(kind=PoliceUnitKind.POLRES, name="Polres T", code="p-t")
    polres.territories.add(Territory.objects.get(code="35.03"))
    heard: list[events.Event] = []
    listener = heard.append
    events.subscribe(events.ALARM_RAISED)(listener)
    # 1 November 2026, 04:00 in Jakarta: October has just closed
    first = datetime.datetime(
        2026, 11, 1, 4, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
    )
    try:
        with (
            time_machine.travel(first, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            runs = [r for r in schedule.run_due() if r.job == "early-warning"]
            assert runs[0].detail == "peringatan dini 2026-10 untuk 1 Polres masuk antrean"
        mine = RaisedAlarm.objects.filter(village=village_a)
        assert {a.category_code for a in mine} == {"pencurian"}  # one alarm per village and problem
        assert all(a.run_month == LAST_MONTH for a in mine)
        assert {e.data["village_code"] for e in heard} >= {village_a.code}
        assert all("name" not in e.data for e in heard)
        assert AuditLog.objects.filter(action="analytics.alarm_raised").count() == len(heard)
        # run again by hand: the same alarms are not stored or announced twice
        count = RaisedAlarm.objects.count()
        heard.clear()
        with (
            time_machine.travel(first, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            schedule.run_job(schedule.get("early-warning"), manual=True)
        assert RaisedAlarm.objects.count() == count and heard == []
    finally:
        events.unsubscribe(events.ALARM_RAISED, listener)
