from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.localserver import LocalServer, local_server
from tests.servicedesk.conftest import file_report, media_root, service, units  # noqa: F401


@pytest.fixture
def server(settings: Any) -> Iterator[LocalServer]:
    """A receiving system on 127.0.0.1 (allowed here like in development)."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with local_server() as running:
        yield running
