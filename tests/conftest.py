"""Shared fixtures: the real Trenggalek territory (loaded once per test database) and personas.

The personas follow one pattern everywhere (STYLE.md):
- alice: Bhabinkamtibmas of Kelurahan Tamanan (35.03.11.1002): owns the village's records;
- bob: Kapolsek Trenggalek (35.03.11): shares alice's scope through the district;
- charlie: Kapolsek Munjungan (35.03.02): outside, must get 404s for alice's and bob's records;
plus leader, satbinmas, admin and partner (Kecamatan Trenggalek).
"""

from __future__ import annotations

import datetime

import pytest
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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        load_territory(REGENCY)


@pytest.fixture(autouse=True)
def _file_roots(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded files of a test land in its own folders, never in the checkout's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"


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


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
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
