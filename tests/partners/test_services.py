from __future__ import annotations

import datetime

import pytest

from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.partners import queries, services
from jaga.partners.models import Agreement, Membership, Organisation, OrgKind, Person

from .conftest import NIK_MAN, NIK_WOMAN

pytestmark = pytest.mark.django_db


def test_a_nik_is_stored_hashed_and_shown_masked(person_a):
    person = Person.objects.get(pk=person_a.pk)
    assert person.nik_last4 == "0001"
    assert person.nik_masked == "************0001"
    assert NIK_MAN not in str(Person.objects.filter(pk=person.pk).values().get())
    audit = AuditLog.objects.get(action="partners.person_created", object_id=str(person.pk))
    assert NIK_MAN not in str(audit.after)


@pytest.mark.parametrize(
    ("nik", "why"),
    [
        ("350311120580001", "16 digits"),
        ("35031112058000x1", "16 digits"),
        ("3503991205800001", "district"),  # 35.03.99 does not exist
        ("3503113205800001", "date"),  # day 32
        ("3503111213800001", "date"),  # month 13
    ],
)
def test_a_malformed_nik_is_refused_and_nothing_is_saved(village_a, satbinmas, nik, why):
    with pytest.raises(DomainError) as err:
        services.create_person(actor=satbinmas, full_name="X", village=village_a, nik=nik)
    assert err.value.code == "bad_nik"
    assert not Person.objects.exists()


def test_a_womans_nik_adds_forty_to_the_day(village_a, satbinmas):
    assert services.normalise_nik(NIK_WOMAN) == NIK_WOMAN


def test_the_same_nik_cannot_be_registered_twice(person_a, village_b, satbinmas):
    with pytest.raises(DomainError) as err:
        services.create_person(actor=satbinmas, full_name="Y", village=village_b, nik=NIK_MAN)
    assert err.value.code == "nik_taken"
    assert Person.objects.count() == 1


def test_community_roles_make_a_leader(person_a, resident_a):
    assert person_a.is_leader and not resident_a.is_leader
    with pytest.raises(DomainError):
        services.update_person(resident_a, actor=None, community_roles=["raja"])
    updated = services.update_person(resident_a, actor=None, community_roles=["perempuan"])
    assert updated.is_leader


def test_a_membership_that_ends_before_it_starts_is_refused(person_a, fkpm_a, satbinmas):
    with pytest.raises(DomainError) as err:
        services.add_membership(
            actor=satbinmas,
            person=person_a,
            organisation=fkpm_a,
            started_on=datetime.date(2023, 5, 1),
            ended_on=datetime.date(2023, 4, 30),
        )
    assert err.value.code == "membership_ends_before_start"
    assert not Membership.objects.exists()


def test_a_member_must_live_in_the_organisations_area(person_c, fkpm_a, satbinmas):
    with pytest.raises(DomainError) as err:
        services.add_membership(
            actor=satbinmas,
            person=person_c,
            organisation=fkpm_a,
            started_on=datetime.date(2023, 1, 1),
        )
    assert err.value.code == "member_outside_area"


def test_an_fkpm_founding_names_all_three_parties(fkpm_a):
    agreement = Agreement.objects.get(organisation=fkpm_a)
    assert {p.role for p in agreement.parties.all()} == {"police", "government", "community"}
    assert fkpm_a.local_name == "Guyub Rukun"


def test_an_fkpm_without_the_government_party_is_not_founded(village_a, satbinmas):
    with pytest.raises(DomainError) as err:
        services.found_fkpm(
            actor=satbinmas,
            name="FKPM Tanpa Lurah",
            territory=village_a,
            signed_on=datetime.date(2021, 3, 1),
            police="Kapolsek",
            government="",
            community=["Tokoh"],
        )
    assert err.value.code == "fkpm_parties_missing"
    assert not Organisation.objects.filter(name="FKPM Tanpa Lurah").exists()
    assert not Agreement.objects.exists()


def test_a_pokdar_unit_shows_villages_lacking_their_five_members(
    pokdar_ab, person_a, resident_a, satbinmas, village_a
):
    for person in (person_a, resident_a):
        services.add_membership(
            actor=satbinmas,
            person=person,
            organisation=pokdar_ab,
            started_on=datetime.date(2022, 1, 1),
        )
    gaps = queries.villages_lacking_pokdar_members(pokdar_ab)
    by_code = {g.village.code: g for g in gaps}
    assert len(gaps) == 13  # every village of Kecamatan Trenggalek lacks someone
    assert by_code[village_a.code].members == 2
    assert by_code[village_a.code].missing == 3
    for i in range(3):
        p = services.create_person(actor=satbinmas, full_name=f"Anggota {i}", village=village_a)
        services.add_membership(
            actor=satbinmas, person=p, organisation=pokdar_ab, started_on=datetime.date(2022, 1, 1)
        )
    assert village_a.code not in {
        g.village.code for g in queries.villages_lacking_pokdar_members(pokdar_ab)
    }


def test_a_pokdar_unit_serves_a_kecamatan(village_a, satbinmas):
    with pytest.raises(DomainError):
        services.create_organisation(
            actor=satbinmas, kind=OrgKind.POKDAR, name="Pokdar", territory=village_a
        )
