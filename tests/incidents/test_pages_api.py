from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaga.incidents.models import Category, Incident
from jaga.incidents.services import record_incident

pytestmark = pytest.mark.django_db

CSV = (
    "occurred_at,village_code,category,source_ref\n"
    "2023-01-05,35.03.11.1002,miras,SPKT-1\n"
    "2023-01-06,35.03.11.2001,judi,SPKT-2\n"
)


@pytest.fixture
def incident(village_a) -> Incident:
    return record_incident(
        category=Category.objects.get(code="knalpot_brong"),
        village=village_a,
        occurred_at=datetime.datetime(2024, 3, 5, 21, tzinfo=datetime.UTC),
        source="desk",
        source_ref="LAP-9",
        description="Knalpot brong di alun-alun",
    )


def test_the_register_pages_are_scoped(bob_client, charlie_client, client, incident):
    detail = reverse("incidents:detail", args=[incident.pk])
    assert "Knalpot brong di alun-alun" in bob_client.get(detail).content.decode()
    assert charlie_client.get(detail).status_code == 404
    assert client.get(detail).status_code == 302
    assert "LAP-9" not in charlie_client.get(reverse("incidents:index")).content.decode()
    assert client.get(reverse("incidents:index")).status_code == 302


def test_the_register_list_pins_its_queries(bob_client, incident, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = bob_client.get(reverse("incidents:index"), {"category": "konvensional"})
    assert "Register kejadian" in response.content.decode()
    assert "Tamanan" in response.content.decode()


def test_the_categories_page_lists_the_codes(bob_client):
    body = bob_client.get(reverse("incidents:categories")).content.decode()
    assert "knalpot_brong" in body and "Kejahatan transnasional" in body


def test_the_api_is_scoped(bob_client, charlie_client, client, incident):
    assert bob_client.get(f"/api/v1/incidents/{incident.pk}").json()["source_ref"] == "LAP-9"
    assert charlie_client.get(f"/api/v1/incidents/{incident.pk}").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}").status_code == 401
    assert len(bob_client.get("/api/v1/incidents").json()) == 1
    assert charlie_client.get("/api/v1/incidents").json() == []
    codes = {c["code"] for c in bob_client.get("/api/v1/incidents/categories").json()}
    assert {"knalpot_brong", "balap_liar", "miras", "konvensional"} <= codes


def test_the_import_page_and_api(
    satbinmas_client, bob_client, client, django_capture_on_commit_callbacks
):
    assert bob_client.get(reverse("incidents:import")).status_code == 403
    upload = SimpleUploadedFile("history.csv", CSV.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = satbinmas_client.post(reverse("incidents:import"), {"file": upload})
    assert response.status_code == 302
    assert Incident.objects.count() == 2
    again = SimpleUploadedFile("history.csv", CSV.encode(), content_type="text/csv")
    response = satbinmas_client.post("/api/v1/incidents/import", {"file": again})
    assert response.status_code == 201
    assert response.json() == {
        "lines": 2,
        "created": 0,
        "unchanged": 2,
        "updated": 0,
        "linked": 0,
        "dry_run": False,
        "changes": [],
        "links": [],
    }
    refused = SimpleUploadedFile("history.csv", CSV.encode(), content_type="text/csv")
    assert bob_client.post("/api/v1/incidents/import", {"file": refused}).status_code == 403
    anonymous = SimpleUploadedFile("history.csv", CSV.encode(), content_type="text/csv")
    assert client.post("/api/v1/incidents/import", {"file": anonymous}).status_code == 401


def test_a_bad_file_shows_every_bad_row(satbinmas_client, django_capture_on_commit_callbacks):
    bad = CSV + "2023-01-07,35.03.11.1002,ufo,SPKT-3\n2099-01-01,35.03.11.1002,miras,SPKT-4\n"
    upload = SimpleUploadedFile("history.csv", bad.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        queued = satbinmas_client.post(reverse("incidents:import"), {"file": upload})
    page = satbinmas_client.get(queued["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "ufo" in body and "masa depan" in body
    upload = SimpleUploadedFile("history.csv", bad.encode(), content_type="text/csv")
    response = satbinmas_client.post("/api/v1/incidents/import", {"file": upload})
    assert response.status_code == 400
    assert [e["line"] for e in response.json()["errors"]] == [4, 5]
    assert not Incident.objects.exists()


def test_the_register_exports_what_the_user_may_see(bob_client, charlie_client, incident):
    import io

    from openpyxl import load_workbook

    response = bob_client.get(
        reverse("incidents:export", args=["csv"]), {"category": "knalpot_brong"}
    )
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("occurred_at,village_code,category,source_ref")
    assert "35.03.11.1002,knalpot_brong,LAP-9" in lines[1] and len(lines) == 2
    assert (
        len(
            charlie_client.get(reverse("incidents:export", args=["csv"]))
            .content.decode()
            .splitlines()
        )
        == 1
    )
    book = load_workbook(
        io.BytesIO(bob_client.get(reverse("incidents:export", args=["xlsx"])).content)
    )
    assert book.active.max_row == 2


def test_an_export_imported_again_adds_nothing(satbinmas_client, incident):
    upload = SimpleUploadedFile("history.csv", CSV.encode(), content_type="text/csv")
    satbinmas_client.post("/api/v1/incidents/import", {"file": upload})
    exported = satbinmas_client.get(reverse("incidents:export", args=["csv"])).content
    upload = SimpleUploadedFile("export.csv", exported, content_type="text/csv")
    response = satbinmas_client.post("/api/v1/incidents/import", {"file": upload})
    assert response.status_code == 201
    body = response.json()
    # the desk report's row is recognised by its key (source, source_ref): unchanged
    assert (body["created"], body["unchanged"], body["updated"]) == (0, 3, 0)
    assert Incident.objects.count() == 3


def test_an_edited_export_updates_its_rows_through_the_api(satbinmas_client, incident):
    exported = satbinmas_client.get(reverse("incidents:export", args=["csv"])).content.decode()
    edited = exported.replace("Knalpot brong di alun-alun", "Knalpot brong tiga motor")
    edited += "2023-01-05,35.03.11.1002,miras,SPKT-9,,,,2,import,\n"
    upload = SimpleUploadedFile("export.csv", edited.encode(), content_type="text/csv")
    dry = satbinmas_client.post(
        "/api/v1/incidents/import?update=true&dry_run=true", {"file": upload}
    ).json()
    assert (dry["created"], dry["updated"], dry["unchanged"], dry["dry_run"]) == (1, 1, 0, True)
    incident.refresh_from_db()
    assert incident.description == "Knalpot brong di alun-alun"
    upload = SimpleUploadedFile("export.csv", edited.encode(), content_type="text/csv")
    done = satbinmas_client.post("/api/v1/incidents/import?update=true", {"file": upload}).json()
    assert (done["created"], done["updated"]) == (1, 1)
    incident.refresh_from_db()
    assert incident.description == "Knalpot brong tiga motor"
    assert incident.source == "desk" and Incident.objects.count() == 2


def test_the_import_form_updates_and_dry_runs(
    satbinmas_client, incident, django_capture_on_commit_callbacks
):
    exported = satbinmas_client.get(reverse("incidents:export", args=["csv"])).content.decode()
    edited = exported.replace("Knalpot brong di alun-alun", "Knalpot brong tiga motor")
    url = reverse("incidents:import")
    upload = SimpleUploadedFile("export.csv", edited.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        queued = satbinmas_client.post(url, {"file": upload, "update": "on", "dry_run": "on"})
    page = satbinmas_client.get(queued["Location"])
    assert "Uji coba, tidak ada yang disimpan" in page.content.decode()
    incident.refresh_from_db()
    assert incident.description == "Knalpot brong di alun-alun"
    upload = SimpleUploadedFile("export.csv", edited.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        satbinmas_client.post(url, {"file": upload, "update": "on"})
    incident.refresh_from_db()
    assert incident.description == "Knalpot brong tiga motor"
