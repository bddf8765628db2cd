from __future__ import annotations

from tests.partners.conftest import (  # noqa: F401
    fkpm_a,
    meeting,
    person_a,
    person_b,
    person_c,
    pokdar_ab,
    programme,
    resident_a,
)
