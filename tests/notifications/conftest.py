from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jaga.core.gateways import LoggingGateway
from tests.partners.conftest import meeting, pokdar_ab, programme  # noqa: F401
from tests.servicedesk.conftest import file_report, media_root, service, units  # noqa: F401


@pytest.fixture(autouse=True)
def _officer_contacts(alice: Any, bob: Any, charlie: Any) -> None:
    for user, phone in ((alice, "081200000001"), (bob, "081200000002"), (charlie, "081200000003")):
        user.email = f"{user.username}@polri.example"
        user.phone = phone
        user.save(update_fields=["email", "phone"])


@pytest.fixture
def dewi(village_a: Any) -> Any:
    """A second Bhabinkamtibmas of village A (the desk routes new reports to alice)."""
    from jaga.accounts.models import Role
    from tests.factories import PostingFactory, UserFactory

    user = UserFactory(username="dewi", email="dewi@polri.example", phone="081200000004")
    PostingFactory(user=user, role=Role.BHABIN, territory=village_a)
    return user


@pytest.fixture
def sent() -> Iterator[list[tuple[str, str]]]:
    """What the logging gateway sent during the test."""
    LoggingGateway.sent.clear()
    yield LoggingGateway.sent
    LoggingGateway.sent.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a block and everything it left for after the commit (events, queued tasks)."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
