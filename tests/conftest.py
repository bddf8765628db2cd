"""Shared fixtures: the real Trenggalek territory (loaded once per test database) and personas.

The personas follow one pattern everywhere (STYLE.md):
- alice: Bhabinkamtibmas of Kelurahan Tamanan (35.03.11.1002): owns the village's records;
- bob: Kapolsek Trenggalek (35.03.11): shares alice's scope through the district;
- charlie: Kapolsek Munjungan (35.03.02): outside, must get 404s for alice's and bob's records;
plus leader, satbinmas, admin and partner (Kecamatan Trenggalek).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from jaga.accounts.models import Role
from jaga.territory.models import Territory
from jaga.territory.services import load_territory
from tests.factories import PostingFactory, UserFactory

VILLAGE_A = "35.03.11.1002"  # Kelurahan Tamanan, Kecamatan Trenggalek
VILLAGE_B = "35.03.11.2001"  # a desa in Kecamatan Trenggalek
VILLAGE_C = "35.03.02.2008"  # Desa Munjungan, Kecamatan Munjungan
DISTRICT_AB = "35.03.11"
DISTRICT_C = "35.03.02"
REGENCY = "35.03"


# The moment the tests whose outcome depends on the date run at (`frozen_clock`): an ordinary
# weekday morning in Jakarta. JAGA_TEST_NOW (an ISO date-time with its offset) moves it, to check
# that they hold on a month's last evening, on 1 January or across a leap day too:
#   JAGA_TEST_NOW=2025-12-31T20:00:00+00:00 pytest ...
FROZEN_NOW = datetime.datetime.fromisoformat(
    os.environ.get("JAGA_TEST_NOW") or "2025-06-11T02:00:00+00:00"
)


@pytest.fixture
def frozen_clock() -> Iterator[datetime.datetime]:
    """Stop the clock at FROZEN_NOW for the test (and the fixtures it asks for after this one)."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        load_territory(REGENCY)
    yield
    # The browser tests' live server answers in threads, each with its own connection (kept for
    # CONN_MAX_AGE while the browser keeps the HTTP connection alive). On PostgreSQL a connection
    # still open when the worker ends stops pytest-django from dropping the test database.
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _file_roots(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded files of a test land in its own folders, never in the checkout's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"


@pytest.fixture(scope="module")
def _restore_after_flush(django_db_blocker):  # type: ignore[no-untyped-def]
    """A transactional test flushes the database: put the shared data (territory) back after the
    module. The flush's post_migrate re-created permissions and content types with new ids; the
    saved ones come back."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        Permission.objects.all().delete()
        ContentType.objects.all().delete()
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(saved)


@pytest.fixture
def regency(db) -> Territory:
    return Territory.objects.get(code=REGENCY)


@pytest.fixture
def district_ab(db) -> Territory:
    return Territory.objects.get(code=DISTRICT_AB)


@pytest.fixture
def district_c(db) -> Territory:
    return Territory.objects.get(code=DISTRICT_C)


@pytest.fixture
def village_a(db) -> Territory:
    return Territory.objects.get(code=VILLAGE_A)


@pytest.fixture
def village_b(db) -> Territory:
    return Territory.objects.get(code=VILLAGE_B)


@pytest.fixture
def village_c(db) -> Territory:
    return Territory.objects.get(code=VILLAGE_C)


def _person(username: str, role: str, code: str, **extra):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username, full_name=username.capitalize(), **extra)
    PostingFactory(
        user=user,
        role=role,
        territory=Territory.objects.get(code=code),
        valid_from=datetime.date(2020, 1, 1),
    )
    return user


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return _person("alice", Role.BHABIN, VILLAGE_A)


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return _person("bob", Role.POLSEK, DISTRICT_AB)


@pytest.fixture
def charlie(db):  # type: ignore[no-untyped-def]
    return _person("charlie", Role.POLSEK, DISTRICT_C)


@pytest.fixture
def leader(db):  # type: ignore[no-untyped-def]
    return _person("leader", Role.LEADER, REGENCY)


@pytest.fixture
def satbinmas(db):  # type: ignore[no-untyped-def]
    return _person("satbinmas", Role.SATBINMAS, REGENCY)


@pytest.fixture
def partner(db):  # type: ignore[no-untyped-def]
    return _person("partner", Role.PARTNER, DISTRICT_AB)


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def pass_second_factor(client: Client, user) -> None:  # type: ignore[no-untyped-def]
    """Mark the client's session as having proved a TOTP code (as django_otp.login does)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    """A logged-in client; leaders and administrators have also passed two-factor login."""
    from jaga.accounts import twofactor

    client = Client()
    client.force_login(user)
    if user.is_staff or twofactor.required(user):
        pass_second_factor(client, user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:  # type: ignore[no-untyped-def]
    return client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:  # type: ignore[no-untyped-def]
    return client_for(bob)


@pytest.fixture
def charlie_client(charlie) -> Client:  # type: ignore[no-untyped-def]
    return client_for(charlie)


@pytest.fixture
def leader_client(leader) -> Client:  # type: ignore[no-untyped-def]
    return client_for(leader)


@pytest.fixture
def satbinmas_client(satbinmas) -> Client:  # type: ignore[no-untyped-def]
    return client_for(satbinmas)


@pytest.fixture
def admin_client_(admin_user) -> Client:  # type: ignore[no-untyped-def]
    return client_for(admin_user)


@pytest.fixture(autouse=True)
def _shared_cache(request):  # type: ignore[no-untyped-def]
    """The cache (rate-limit counters) is a database table, so a test's counts roll back with its
    transaction. Transactional tests don't roll back and the table is no model that flush
    empties: clear it after them."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        from django.core.cache import cache

        # This fixture may tear down after the database fixture blocked access again.
        with request.getfixturevalue("django_db_blocker").unblock():
            cache.clear()


@pytest.fixture(autouse=True)
def _no_tile_server(settings):  # type: ignore[no-untyped-def]
    """Tests run without network: maps draw village centres and cells, no basemap tiles."""
    settings.MAP_TILE_URL = ""


# The day village A (Tamanan) ended: split into village B and a new village (`ended_village`).
ENDED_ON = datetime.date(2024, 6, 1)
SPLIT_OFF = "35.03.11.2099"


@pytest.fixture
def ended_village(admin_user):  # type: ignore[no-untyped-def]
    """Village A ended by a pemekaran on ENDED_ON: split into village B and Tamanan Baru
    (SPLIT_OFF), through the service `jaga territory split` calls."""
    from jaga.territory.pemekaran import split_village

    split_village(
        VILLAGE_A, [VILLAGE_B, SPLIT_OFF], ENDED_ON, actor=admin_user,
        names={SPLIT_OFF: "Tamanan Baru"},
    )  # fmt: skip
    return Territory.objects.get(code=VILLAGE_A)
