from __future__ import annotations

import datetime
import uuid

import pytest

from jaga.fieldwork import services
from jaga.programs.models import Programme

WHEN = datetime.datetime(2024, 3, 5, 21, 0, tzinfo=datetime.UTC)


@pytest.fixture
def tbkb(db) -> Programme:
    return Programme.objects.create(code="TBKB", name="Trenggalek Bebas Knalpot Brong")


@pytest.fixture
def make_visit(alice, village_a):  # type: ignore[no-untyped-def]
    def make(**extra):  # type: ignore[no-untyped-def]
        fields = {
            "actor": alice,
            "village": village_a,
            "visited_on": datetime.date(2024, 3, 5),
            "household_head": "Pak Slamet",
            "topic": "security",
            "concerns": "Balap liar di jalan desa setiap malam Minggu",
        }
        fields.update(extra)
        return services.record_visit(**fields)

    return make


@pytest.fixture
def make_operation(bob, village_a, tbkb):  # type: ignore[no-untyped-def]
    def make(**extra):  # type: ignore[no-untyped-def]
        fields = {
            "actor": bob,
            "programme": tbkb,
            "village": village_a,
            "started_at": WHEN,
            "place": "Alun-alun Trenggalek",
            "team_size": 8,
            "vehicles_checked": 120,
            "people_checked": 140,
            "findings": [
                {"target": "knalpot_brong", "quantity": 12, "follow_up": "ticket"},
                {"target": "miras", "quantity": "4.5", "follow_up": "confiscation"},
            ],
            "client_key": uuid.uuid4(),
        }
        fields.update(extra)
        return services.record_operation(**fields)

    return make
