"""Fixtures for the partnership apps (partners and programs share them)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jaga.partners import services as partners
from jaga.partners.models import OrgKind
from jaga.programs import services as programs

# Born 12 May 1980 (women: day + 40), registered in Kecamatan Trenggalek (35.03.11).
NIK_MAN = "3503111205800001"
NIK_WOMAN = "3503115205800002"


@pytest.fixture
def person_a(village_a, satbinmas):  # type: ignore[no-untyped-def]
    return partners.create_person(
        actor=satbinmas,
        full_name="Sutrisno",
        village=village_a,
        gender="m",
        birth_year=1970,
        education="sma",
        community_roles=["masyarakat"],
        position="Ketua RW",
        nik=NIK_MAN,
    )


@pytest.fixture
def resident_a(village_a, satbinmas):  # type: ignore[no-untyped-def]
    return partners.create_person(
        actor=satbinmas, full_name="Warsini", village=village_a, gender="f", education="sd"
    )


@pytest.fixture
def person_b(village_b, satbinmas):  # type: ignore[no-untyped-def]
    return partners.create_person(
        actor=satbinmas, full_name="Parno", village=village_b, gender="m", education="smp"
    )


@pytest.fixture
def person_c(village_c, satbinmas):  # type: ignore[no-untyped-def]
    return partners.create_person(
        actor=satbinmas, full_name="Jumadi", village=village_c, gender="m", education="sd"
    )


@pytest.fixture
def fkpm_a(village_a, satbinmas):  # type: ignore[no-untyped-def]
    return partners.found_fkpm(
        actor=satbinmas,
        name="FKPM Tamanan",
        local_name="Guyub Rukun",
        territory=village_a,
        signed_on=datetime.date(2021, 3, 1),
        police="AKP Agus Prasetyo (Kapolsek Trenggalek)",
        government="Lurah Tamanan",
        community=["Sutrisno", "Kyai Mahfud"],
    )


@pytest.fixture
def pokdar_ab(district_ab, satbinmas):  # type: ignore[no-untyped-def]
    return partners.create_organisation(
        actor=satbinmas,
        kind=OrgKind.POKDAR,
        name='Pokdar Kamtibmas "Citra Bhayangkara" Trenggalek',
        territory=district_ab,
    )


@pytest.fixture
def programme(satbinmas):  # type: ignore[no-untyped-def]
    return programs.create_programme(
        actor=satbinmas, code="FKPM", name="Forum Kemitraan Polisi dan Masyarakat"
    )


@pytest.fixture
def meeting(programme, village_a, district_ab, satbinmas):  # type: ignore[no-untyped-def]
    return programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat FKPM Tamanan",
        starts_at=timezone.make_aware(datetime.datetime(2024, 3, 5, 9, 0)),
        village=village_a,
        area=district_ab,
        grace_minutes=15,
    )
