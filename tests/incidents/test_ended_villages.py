"""One incident recorded by a service (a desk report confirmed, a raid's finding) follows the
imports' rule: a village a pemekaran ended takes the incidents before its end, not later ones."""

from __future__ import annotations

import datetime

import pytest

from jaga.core.errors import DomainError
from jaga.incidents.models import Category, Incident
from jaga.incidents.services import record_incident
from tests.conftest import SPLIT_OFF

pytestmark = pytest.mark.django_db


def _record(village, occurred_at, ref):  # type: ignore[no-untyped-def]
    return record_incident(
        category=Category.objects.get(code="miras"),
        village=village,
        occurred_at=occurred_at,
        source="desk",
        source_ref=ref,
    )


def test_an_incident_from_the_end_on_is_refused(ended_village):
    # 2024-05-31 18:00 UTC is 2024-06-01 01:00 in Trenggalek (WIB): the local day counts.
    with pytest.raises(DomainError) as err:
        _record(ended_village, datetime.datetime(2024, 5, 31, 18, 0, tzinfo=datetime.UTC), "D-1")
    assert err.value.code == "village_ended" and f"Tamanan Baru ({SPLIT_OFF})" in str(
        err.value.message
    )
    assert not Incident.objects.exists()
    before = _record(
        ended_village, datetime.datetime(2024, 5, 31, 16, 0, tzinfo=datetime.UTC), "D-2"
    )
    assert before.village_id == ended_village.pk
