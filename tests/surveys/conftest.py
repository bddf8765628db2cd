from __future__ import annotations

import pytest

from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory

SCORES = {f"u{i}": 3 for i in range(1, 10)}
TRUST = {
    "safe_home": 4,
    "safe_night": 3,
    "trust_police": 4,
    "would_report": 5,
    "knows_bhabin": True,
    "was_visited": False,
}


@pytest.fixture
def polsek(db, district_ab) -> PoliceUnit:
    unit = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="polsek-trenggalek"
    )
    unit.territories.add(district_ab)
    return unit


@pytest.fixture
def munjungan_village(db) -> Territory:
    return Territory.objects.get(code="35.03.02.2008")
