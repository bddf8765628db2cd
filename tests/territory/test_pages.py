from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_village_page_shows_population_officers_and_status(alice_client, alice):
    response = alice_client.get("/wilayah/35.03.11.1002/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tamanan" in body
    assert "Alice" in body


def test_a_district_page_lists_its_villages_for_its_kapolsek(bob_client):
    response = bob_client.get("/wilayah/35.03.11/")
    assert response.status_code == 200
    assert "Surodakan" in response.content.decode()


def test_a_territory_outside_the_scope_is_404(alice_client, charlie_client):
    assert alice_client.get("/wilayah/35.03.11/").status_code == 404
    assert alice_client.get("/wilayah/35.03.11.2001/").status_code == 404
    assert charlie_client.get("/wilayah/35.03.11.1002/").status_code == 404
    assert charlie_client.get("/wilayah/99.99/").status_code == 404


def test_territory_pages_need_a_login():
    response = Client().get("/wilayah/35.03/")
    assert response.status_code == 302
    assert "/akun/masuk/" in response["Location"]


def test_the_search_finds_only_what_is_in_scope(bob_client):
    found = bob_client.get("/wilayah/", {"q": "Munjungan"}).content.decode()
    assert "35.03.02.2008" not in found
    found = bob_client.get("/wilayah/", {"q": "Tamanan"}).content.decode()
    assert "35.03.11.1002" in found


def test_the_regency_page_lists_districts_without_n_plus_one(
    leader_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = leader_client.get("/wilayah/35.03/")
    assert response.status_code == 200
    assert "Kecamatan Watulimo" in response.content.decode()


def test_a_kapolsek_changes_a_villages_polmas_status(bob_client):
    from jaga.territory.models import Territory

    response = bob_client.post(
        "/wilayah/35.03.11.2001/status-polmas/", {"status": "self_managed", "note": "Mandiri"}
    )
    assert response.status_code == 302
    assert Territory.objects.get(code="35.03.11.2001").polmas_status == "self_managed"


def test_polmas_status_out_of_scope_is_404_and_by_a_bhabin_403(charlie_client, alice_client):
    from jaga.territory.models import Territory

    assert (
        charlie_client.post(
            "/wilayah/35.03.11.2001/status-polmas/", {"status": "inactive"}
        ).status_code
        == 404
    )
    assert (
        alice_client.post(
            "/wilayah/35.03.11.1002/status-polmas/", {"status": "inactive"}
        ).status_code
        == 403
    )
    assert Territory.objects.get(code="35.03.11.2001").polmas_status == "active"


def test_population_import_page_reports_bad_rows_by_line(satbinmas_client, alice_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jaga.territory.models import Population

    bad = SimpleUploadedFile(
        "pop.csv", b"village_code,year,count,source\n35.03.11.1002,2023,x,BPS\n", "text/csv"
    )
    response = satbinmas_client.post("/wilayah/penduduk/impor/", {"file": bad})
    assert response.status_code == 200
    assert "bilangan bulat" in response.content.decode()
    assert not Population.objects.exists()
    good = SimpleUploadedFile(
        "pop.csv", b"village_code,year,count,source\n35.03.11.1002,2023,4100,BPS\n", "text/csv"
    )
    assert satbinmas_client.post("/wilayah/penduduk/impor/", {"file": good}).status_code == 302
    assert Population.objects.get().count == 4100
    assert alice_client.get("/wilayah/penduduk/impor/").status_code == 403
