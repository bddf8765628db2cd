from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield
