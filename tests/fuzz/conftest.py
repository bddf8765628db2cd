"""Fixtures of the generated-input (fuzz) suite.

`JAGA_HEAVY_SHORT=1` (what CI runs) keeps every generated test short; `JAGA_FUZZ_EXAMPLES=N`
runs each with N examples instead (see docs/fuzzing.md).
"""

from __future__ import annotations

import os

import pytest

from jaga.accounts.models import Role
from jaga.accounts.services import create_api_token
from jaga.territory.models import PoliceUnit, PoliceUnitKind
from tests.conftest import VILLAGE_A, _person


def max_examples(long: int, short: int) -> int:
    """How many examples a generated test tries: short in CI, long by default, or as asked."""
    if os.environ.get("JAGA_FUZZ_EXAMPLES"):
        return int(os.environ["JAGA_FUZZ_EXAMPLES"])
    return short if os.environ.get("JAGA_HEAVY_SHORT") else long


@pytest.fixture
def resident(db):  # type: ignore[no-untyped-def]
    """A resident (`warga`): a public account posted in alice's village."""
    return _person("warga", Role.PUBLIC, VILLAGE_A)


def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _token, raw = create_api_token(user, "fuzz", actor=user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def polsek(district_ab, regency) -> PoliceUnit:  # type: ignore[no-untyped-def]
    polres = PoliceUnit.objects.create(kind=PoliceUnitKind.POLRES, name="Polres", code="pr")
    polres.territories.add(regency)
    unit = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek", code="ps", parent=polres
    )
    unit.territories.add(district_ab)
    return unit
