from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client

from jaga.accounts.models import Role
from jaga.partners import services
from jaga.partners.models import Membership, Person
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_people_in_scope_out_of_scope_and_anonymous(
    alice_client, charlie_client, person_a, person_b
):
    listed = alice_client.get("/api/v1/partners/people").json()
    assert [p["full_name"] for p in listed] == ["Sutrisno"]  # alice: her village only
    assert listed[0]["nik_masked"] == "************0001"
    assert "nik" not in listed[0]
    assert alice_client.get(f"/api/v1/partners/people/{person_a.pk}").status_code == 200
    assert alice_client.get(f"/api/v1/partners/people/{person_b.pk}").status_code == 404
    assert charlie_client.get(f"/api/v1/partners/people/{person_a.pk}").status_code == 404
    assert Client().get("/api/v1/partners/people").status_code == 401


def test_registering_a_person_with_a_bad_nik_is_a_clear_error(bob_client):
    response = bob_client.post(
        "/api/v1/partners/people",
        {"full_name": "Sri", "village_code": "35.03.11.1002", "nik": "12345"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_nik"
    assert not Person.objects.exists()


def test_registering_a_person_outside_my_area_is_404(bob_client):
    response = bob_client.post(
        "/api/v1/partners/people",
        {"full_name": "Sri", "village_code": "35.03.02.2008"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_organisations_serving_a_wider_area_are_visible_inside_it(
    alice_client, charlie_client, pokdar_ab, fkpm_a
):
    names = {o["name"] for o in alice_client.get("/api/v1/partners/organisations").json()}
    assert names == {pokdar_ab.name, "FKPM Tamanan"}
    assert charlie_client.get(f"/api/v1/partners/organisations/{fkpm_a.pk}").status_code == 404
    assert charlie_client.get("/api/v1/partners/organisations").json() == []
    quota = alice_client.get(f"/api/v1/partners/organisations/{pokdar_ab.pk}/pokdar-quota").json()
    assert len(quota) == 13 and all(q["missing"] == 5 for q in quota)


def test_a_partner_coordinator_sees_their_organisation_only(
    fkpm_a, pokdar_ab, person_a, person_b, satbinmas
):
    services.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2021, 3, 1)
    )
    coordinator = UserFactory(username="ketua_fkpm")
    PostingFactory(
        user=coordinator,
        role=Role.PARTNER,
        territory=fkpm_a.territory,
        organisation_id=fkpm_a.pk,
    )
    client = client_for(coordinator)
    assert [o["id"] for o in client.get("/api/v1/partners/organisations").json()] == [fkpm_a.pk]
    assert [p["id"] for p in client.get("/api/v1/partners/people").json()] == [person_a.pk]
    assert client.get(f"/api/v1/partners/people/{person_b.pk}").status_code == 404
    assert client.get(f"/api/v1/partners/organisations/{pokdar_ab.pk}").status_code == 404


def test_a_membership_ending_before_it_starts_is_refused_by_the_api(bob_client, person_a, fkpm_a):
    response = bob_client.post(
        "/api/v1/partners/memberships",
        {
            "person_id": person_a.pk,
            "organisation_id": fkpm_a.pk,
            "started_on": "2023-05-01",
            "ended_on": "2023-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "membership_ends_before_start"
    assert not Membership.objects.exists()


def test_people_import_is_all_or_nothing(bob_client):
    text = (
        "full_name,village_code,gender,birth_year,education,community_roles,nik\n"
        "Sumarni,35.03.11.1002,f,1975,sd,perempuan,3503115205800002\n"
        "Kasno,35.03.11.1002,x,1975,sd,,\n"
        "Darmo,35.03.02.2008,m,1960,sma,,\n"
        "Yanto,35.03.11.2001,m,1980,smp,,1234\n"
    )
    upload = io.BytesIO(text.encode())
    upload.name = "people.csv"
    response = bob_client.post("/api/v1/partners/people/import", {"file": upload})
    assert response.status_code == 400
    assert [e["line"] for e in response.json()["errors"]] == [3, 4, 5]
    assert not Person.objects.exists()
    good = io.BytesIO(
        text.split("\n", 2)[0].encode() + b"\n" + text.split("\n")[1].encode() + b"\n"
    )
    good.name = "people.csv"
    answer = bob_client.post("/api/v1/partners/people/import", {"file": good}).json()
    assert (answer["imported"], answer["added"], answer["applied"]) == (1, 1, True)
    assert Person.objects.get().is_leader


def test_exports_in_csv_and_xlsx_never_show_the_nik(bob_client, person_a):
    csv = bob_client.get("/api/v1/partners/people/export?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert "Sutrisno" in body and "3503111205800001" not in body
    xlsx = bob_client.get("/api/v1/partners/people/export?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    orgs = bob_client.get("/api/v1/partners/organisations/export")
    assert orgs.status_code == 200
    assert bob_client.get("/api/v1/partners/memberships/export?format=xlsx").status_code == 200
