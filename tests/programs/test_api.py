from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from jaga.programs import services
from jaga.programs.models import Invitation

pytestmark = pytest.mark.django_db


def test_activities_in_scope_out_of_scope_and_anonymous(alice_client, charlie_client, meeting):
    assert [a["id"] for a in alice_client.get("/api/v1/programmes/activities").json()] == [
        meeting.pk
    ]
    assert alice_client.get(f"/api/v1/programmes/activities/{meeting.pk}").status_code == 200
    assert charlie_client.get(f"/api/v1/programmes/activities/{meeting.pk}").status_code == 404
    assert charlie_client.get("/api/v1/programmes/activities").json() == []
    assert Client().get("/api/v1/programmes/activities").status_code == 401


def test_inviting_and_checking_in_through_the_api(
    bob_client, charlie_client, meeting, person_a, person_c
):
    url = f"/api/v1/programmes/activities/{meeting.pk}/invitations"
    created = bob_client.post(url, {"person_id": person_a.pk}, content_type="application/json")
    assert created.status_code == 201
    code = created.json()["code"]
    again = bob_client.post(url, {"person_id": person_a.pk}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    # person_c lives in Munjungan: outside bob's area, so 404 before any rule is checked
    outside = bob_client.post(url, {"person_id": person_c.pk}, content_type="application/json")
    assert outside.status_code == 404
    checkin = f"/api/v1/programmes/activities/{meeting.pk}/checkin"
    with_time = meeting.starts_at + datetime.timedelta(minutes=5)
    import time_machine

    with time_machine.travel(with_time, tick=False):
        first = bob_client.post(checkin, {"code": code}, content_type="application/json").json()
        second = bob_client.post(checkin, {"code": code}, content_type="application/json").json()
    assert (first["already"], second["already"]) == (False, True)
    assert first["invitation"]["status"] == "present"
    unknown = bob_client.post(checkin, {"code": "ZZZZZZZZZZZZ"}, content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_code"
    assert (
        charlie_client.post(checkin, {"code": code}, content_type="application/json").status_code
        == 404
    )
    assert (
        Client().post(checkin, {"code": code}, content_type="application/json").status_code == 401
    )


def test_manual_attendance_and_response(bob_client, charlie_client, meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    url = f"/api/v1/programmes/invitations/{inv.pk}"
    assert (
        bob_client.post(
            f"{url}/response", {"response": "declined"}, content_type="application/json"
        ).json()["response"]
        == "declined"
    )
    r = bob_client.post(
        f"{url}/attendance",
        {"status": "represented", "representative_name": "Istrinya"},
        content_type="application/json",
    )
    assert r.json()["status"] == "represented"
    assert (
        charlie_client.post(
            f"{url}/attendance", {"status": "absent"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Invitation.objects.get(pk=inv.pk).status == "represented"


def test_participation_endpoint(
    bob_client, charlie_client, meeting, person_a, resident_a, satbinmas
):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    services.invite(meeting, actor=satbinmas, person=resident_a)
    services.check_in(a.code, actor=satbinmas, at=meeting.starts_at)
    data = bob_client.get(
        "/api/v1/programmes/participation", {"territory": "35.03.11", "programme": "fkpm"}
    ).json()
    assert data["total"]["invited"] == 2 and data["total"]["attendance_rate"] == 0.5
    assert {g["key"]: g["attended"] for g in data["by_group"]} == {"leaders": 1, "residents": 0}
    assert (
        charlie_client.get(
            "/api/v1/programmes/participation", {"territory": "35.03.11"}
        ).status_code
        == 404
    )
    assert Client().get("/api/v1/programmes/participation").status_code == 401


def test_programme_catalogue_and_adoptions(bob_client, satbinmas_client, programme, village_a):
    created = satbinmas_client.post(
        "/api/v1/programmes",
        {"code": "KTS", "name": "Kampung Tangguh Semeru", "indicators": ["posko", "relawan"]},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["indicators"] == ["posko", "relawan"]
    assert (
        bob_client.post(
            "/api/v1/programmes", {"code": "X1", "name": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    bad = satbinmas_client.post(
        "/api/v1/programmes", {"code": "k", "name": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_code"
    adopt = bob_client.post(
        "/api/v1/programmes/KTS/adoptions",
        {"village_code": village_a.code, "adopted_on": "2021-04-01"},
        content_type="application/json",
    )
    assert adopt.status_code == 201
    assert [
        a["village_code"] for a in bob_client.get("/api/v1/programmes/KTS/adoptions").json()
    ] == [village_a.code]
    codes = {p["code"]: p["villages_adopted"] for p in bob_client.get("/api/v1/programmes").json()}
    assert codes == {"FKPM": 0, "KTS": 1}


def test_activity_import_and_export(bob_client, programme):
    import io

    text = (
        "programme_code,kind,title,starts_at,village_code,area_code,head_count\n"
        "FKPM,meeting,Rapat,2023-04-01 09:00,35.03.11.1002,35.03.11,\n"
        "FKPM,party,Pesta,2023-04-01 09:00,35.03.11.1002,,\n"
        "FKPM,sport,Voli,2023-04-01 09:00,35.03.02.2008,,\n"
    )
    f = io.BytesIO(text.encode())
    f.name = "a.csv"
    r = bob_client.post("/api/v1/programmes/activities/import", {"file": f})
    assert r.status_code == 400 and [e["line"] for e in r.json()["errors"]] == [3, 4]
    good = io.BytesIO(("\n".join(text.splitlines()[:2]) + "\n").encode())
    good.name = "a.csv"
    answer = bob_client.post("/api/v1/programmes/activities/import", {"file": good}).json()
    assert (answer["imported"], answer["added"], answer["applied"]) == (1, 1, True)
    export = bob_client.get("/api/v1/programmes/activities/export").content.decode()
    assert "Rapat" in export and "35.03.11.1002" in export
    assert timezone.now()


def test_a_partner_coordinator_sees_the_activities_of_their_organisation(
    meeting, fkpm_a, programme, village_b, satbinmas
):
    from jaga.accounts.models import Role
    from tests.conftest import client_for
    from tests.factories import PostingFactory, UserFactory

    other = services.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Lain",
        starts_at=meeting.starts_at, village=village_b,
    )  # fmt: skip
    meeting.organisers.add(fkpm_a)
    coordinator = UserFactory(username="ketua")
    PostingFactory(
        user=coordinator, role=Role.PARTNER, territory=fkpm_a.territory, organisation_id=fkpm_a.pk
    )
    client = client_for(coordinator)
    assert [a["id"] for a in client.get("/api/v1/programmes/activities").json()] == [meeting.pk]
    assert client.get(f"/api/v1/programmes/activities/{other.pk}").status_code == 404


def test_the_participation_page_has_a_fixed_number_of_queries(
    bob_client, meeting, person_a, resident_a, satbinmas, django_assert_max_num_queries
):
    for p in (person_a, resident_a):
        services.invite(meeting, actor=satbinmas, person=p)
    with django_assert_max_num_queries(12):
        assert bob_client.get("/program/partisipasi/").status_code == 200
