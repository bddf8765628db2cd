from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client

from jaga.partners import services
from jaga.partners.models import Organisation, Person

pytestmark = pytest.mark.django_db


def test_pages_in_scope_out_of_scope_and_anonymous(
    alice_client, charlie_client, person_a, fkpm_a, pokdar_ab
):
    for url in [
        "/mitra/",
        "/mitra/warga/",
        f"/mitra/warga/{person_a.pk}/",
        f"/mitra/organisasi/{fkpm_a.pk}/",
        f"/mitra/organisasi/{pokdar_ab.pk}/",
        "/mitra/impor-ekspor/",
    ]:
        page = alice_client.get(url)
        assert page.status_code == 200, url
        assert Client().get(url).status_code == 302, url
    assert "Sutrisno" in alice_client.get("/mitra/warga/").content.decode()
    for url in [f"/mitra/warga/{person_a.pk}/", f"/mitra/organisasi/{fkpm_a.pk}/"]:
        assert charlie_client.get(url).status_code == 404, url
    assert "Sutrisno" not in charlie_client.get("/mitra/warga/").content.decode()


def test_pages_read_in_indonesian_by_default(alice_client, pokdar_ab):
    page = alice_client.get(f"/mitra/organisasi/{pokdar_ab.pk}/").content.decode()
    assert "Anggota per desa" in page
    assert "13 desa/kelurahan belum lengkap 5 anggotanya." in page
    assert "Mitra" in alice_client.get("/mitra/").content.decode()


def test_the_people_list_has_a_fixed_number_of_queries(
    bob_client, village_a, satbinmas, django_assert_max_num_queries
):
    for i in range(30):
        services.create_person(
            actor=satbinmas, full_name=f"Warga {i}", village=village_a, community_roles=["adat"]
        )
    with django_assert_max_num_queries(8):
        assert bob_client.get("/mitra/warga/").status_code == 200
    with django_assert_max_num_queries(9):
        assert bob_client.get("/mitra/").status_code == 200


def test_registering_a_person_with_a_bad_nik_keeps_the_form(bob_client):
    page = bob_client.post(
        "/mitra/warga/baru/",
        {"full_name": "Sri", "village_code": "35.03.11.1002", "nik": "3503111299800001"},
    )
    assert page.status_code == 200
    assert "NIK" in page.content.decode()
    assert not Person.objects.exists()
    ok = bob_client.post(
        "/mitra/warga/baru/",
        {"full_name": "Sri", "village_code": "35.03.11.1002", "nik": "3503115205800002"},
    )
    assert ok.status_code == 302


def test_founding_an_fkpm_from_the_page_with_its_document(bob_client):
    document = io.BytesIO(b"%PDF-1.4 kesepakatan")
    document.name = "kesepakatan.pdf"
    page = bob_client.post(
        "/mitra/fkpm/baru/",
        {
            "name": "FKPM Ngantru",
            "local_name": "Rukun Santoso",
            "territory_code": "35.03.11.2001",
            "signed_on": "2021-06-01",
            "police": "Kapolsek Trenggalek",
            "government": "Kepala Desa",
            "community": "Mbah Karto\nUstadz Anwar",
            "document": document,
        },
    )
    assert page.status_code == 302
    org = Organisation.objects.get(name="FKPM Ngantru")
    assert org.agreements.get().document.name.endswith(".pdf")


def test_adding_a_member_from_the_organisation_page(bob_client, person_a, fkpm_a):
    page = bob_client.post(
        f"/mitra/organisasi/{fkpm_a.pk}/",
        {
            "person_id": person_a.pk,
            "role": "chair",
            "started_on": "2022-01-01",
            "ended_on": "2021-01-01",
        },
    )
    assert page.status_code == 200 and not fkpm_a.memberships.exists()
    page = bob_client.post(
        f"/mitra/organisasi/{fkpm_a.pk}/",
        {"person_id": person_a.pk, "role": "chair", "started_on": "2022-01-01"},
    )
    assert page.status_code == 302 and fkpm_a.memberships.count() == 1


def test_an_upload_with_bad_rows_lists_them(bob_client):
    upload = io.BytesIO(b"kind,name,territory_code\nfkpm,FKPM A,35.03.11.1002\nclub,B,35.03.11\n")
    upload.name = "orgs.csv"
    page = bob_client.post("/mitra/impor/organisations/", {"file": upload})
    assert page.status_code == 400
    assert "club" in page.content.decode()
    assert not Organisation.objects.exists()
    export = bob_client.get("/mitra/ekspor/people/?format=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_a_member_list_is_dated(person_a, fkpm_a, satbinmas):
    m = services.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2021, 1, 1)
    )
    ended = services.end_membership(m, actor=satbinmas, ended_on=datetime.date(2022, 1, 1))
    assert ended.ended_on == datetime.date(2022, 1, 1)


def test_editing_a_person_keeps_the_nik_unless_a_new_one_is_given(
    bob_client, charlie_client, person_a
):
    url = f"/mitra/warga/{person_a.pk}/ubah/"
    assert "************0001" in bob_client.get(url).content.decode()
    data = {
        "full_name": "Sutrisno Wibowo",
        "village_code": "35.03.11.1002",
        "community_roles": ["masyarakat"],
    }
    assert bob_client.post(url, data).status_code == 302
    person_a.refresh_from_db()
    assert (person_a.full_name, person_a.nik_last4) == ("Sutrisno Wibowo", "0001")
    bad = bob_client.post(url, {**data, "nik": "123"})
    assert bad.status_code == 200
    assert charlie_client.get(url).status_code == 404
