from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jaga.analytics.models import MonthlyIncidentCount
from jaga.core.errors import DomainError
from jaga.incidents.models import Category, Incident
from jaga.incidents.services import record_incident

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2024, 3, 5, 21, 0, tzinfo=datetime.UTC)


def _record(village, ref, **extra):
    return record_incident(
        category=Category.objects.get(code="knalpot_brong"),
        village=village,
        occurred_at=extra.pop("occurred_at", WHEN),
        source=extra.pop("source", "desk"),
        source_ref=ref,
        **extra,
    )


def test_the_categories_are_seeded_in_a_tree():
    assert Category.objects.filter(parent__isnull=True).count() == 4
    assert Category.objects.get(code="miras").parent.code == "konvensional"
    assert Category.objects.get(code="narkoba").group == "transnasional"


def test_an_incident_is_counted_in_the_monthly_rollup(village_a):
    _record(village_a, "R1")
    row = MonthlyIncidentCount.objects.get()
    assert (row.month, row.count, row.district_code) == (datetime.date(2024, 3, 1), 1, "35.03.11")


def test_the_same_source_record_is_counted_once(village_a):
    first = _record(village_a, "R1")
    again = _record(village_a, "R1")
    assert first == again
    assert Incident.objects.count() == 1
    assert MonthlyIncidentCount.objects.get().count == 1


def test_a_raid_that_confirms_a_report_is_the_same_incident(village_a):
    report = _record(village_a, "R1")
    raid = _record(village_a, "OP-7", source="operation", same_as=report)
    assert raid == report
    assert Incident.objects.count() == 1
    assert MonthlyIncidentCount.objects.get().count == 1
    assert _record(village_a, "OP-7", source="operation") == report


@pytest.mark.usefixtures("frozen_clock")
def test_bad_incidents_are_refused(village_a, district_ab):
    with pytest.raises(DomainError):
        _record(district_ab, "X")
    with pytest.raises(DomainError):
        _record(village_a, "Y", latitude=51.5, longitude=-0.1)
    with pytest.raises(DomainError):
        record_incident(
            category=Category.objects.get(code="miras"),
            village=village_a,
            occurred_at=timezone.now() + datetime.timedelta(days=2),
            source="field",
            source_ref="Z",
        )
    assert not Incident.objects.exists()


def test_the_same_incident_is_found_near_in_time_and_unconfirmed(village_a, village_b):
    from jaga.incidents.services import same_incident

    brong = Category.objects.get(code="knalpot_brong")
    far = _record(village_a, "D-far")  # 5 March 21:00
    near = record_incident(
        category=brong,
        village=village_a,
        occurred_at=WHEN + datetime.timedelta(days=2),
        source="desk",
        source_ref="D-near",
    )
    assert near != far  # two desk reports are two reports
    _record(village_b, "D-other-village")
    moment = WHEN + datetime.timedelta(days=2, hours=3)
    found = same_incident(village=village_a, category=brong, moment=moment, source="operation")
    assert found == near
    assert _record(village_a, "OP-1", source="operation") == far
    # near is now the only desk incident unconfirmed by a raid within reach of `moment`
    again = same_incident(village=village_a, category=brong, moment=moment, source="operation")
    assert again == near
    assert (
        same_incident(
            village=village_a,
            category=brong,
            moment=moment + datetime.timedelta(days=9),
            source="operation",
        )
        is None
    )
    assert same_incident(village=village_a, category=brong, moment=moment, source="desk") is None
