from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from jaga.fieldwork import services
from jaga.fieldwork.models import EarlyDetection, Operation, ProblemCase, Visit
from jaga.incidents.models import Category, Incident
from tests.fieldwork.conftest import WHEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(make_visit, make_operation, alice, village_a):  # type: ignore[no-untyped-def]
    visit = make_visit()
    detection = services.record_detection(
        actor=alice,
        village=village_a,
        observed_at=WHEN,
        information="Anak muda kumpul bawa sajam di pos ronda",
        source_kind="resident",
        urgency="high",
        frequency="once",
        topic="security",
        category=Category.objects.get(code="sajam"),
    )
    case = services.open_case(
        actor=alice,
        village=village_a,
        title="Balap liar jalan desa",
        kind="non_dispute",
        opened_on=datetime.date(2024, 3, 1),
        problem="Balap liar setiap malam Minggu di jalan desa",
        categories=[Category.objects.get(code="balap_liar")],
    )
    return {"visit": visit, "detection": detection, "case": case, "operation": make_operation()}


def pages(records):  # type: ignore[no-untyped-def]
    return [
        reverse("fieldwork:village", args=[records["visit"].village.code]),
        reverse("fieldwork:officer", args=[records["visit"].officer_id]),
        reverse("fieldwork:detection", args=[records["detection"].pk]),
        reverse("fieldwork:case", args=[records["case"].pk]),
        reverse("fieldwork:operation", args=[records["operation"].pk]),
    ]


def test_pages_show_records_in_scope(bob_client, records):
    for url in pages(records):
        response = bob_client.get(url)
        assert response.status_code == 200, url
    body = bob_client.get(pages(records)[2]).content.decode()
    assert "Anak muda kumpul bawa sajam" in body


def test_pages_are_404_outside_scope(charlie_client, records):
    for url in pages(records):
        assert charlie_client.get(url).status_code == 404, url


def test_pages_send_anonymous_users_to_login(client, records):
    for url in [*pages(records), reverse("fieldwork:index"), reverse("fieldwork:visit_new")]:
        response = client.get(url)
        assert response.status_code == 302 and "/akun/masuk/" in response["Location"], url


def test_the_overview_flags_villages_and_pins_its_queries(
    bob_client, records, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = bob_client.get(reverse("fieldwork:index"))
    body = response.content.decode()
    assert "Tamanan" in body and "Ngares" in body
    assert "belum dikunjungi" in body  # Indonesian by default


def test_list_pages_pin_their_queries(bob_client, records, django_assert_max_num_queries):
    for name in ("detections", "cases", "operations"):
        with django_assert_max_num_queries(8):
            response = bob_client.get(reverse(f"fieldwork:{name}"))
        assert response.status_code == 200
    for url in pages(records)[:2]:  # visits of a village, of an officer
        with django_assert_max_num_queries(12):
            assert bob_client.get(url).status_code == 200


def test_the_visit_form_records_once_whatever_the_resends(alice_client, village_a):
    page = alice_client.get(reverse("fieldwork:visit_new"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-outbox="visit"' in body and 'name="client_key"' in body
    key = str(uuid.uuid4())
    data = {
        "client_key": key,
        "village": village_a.pk,
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": 3,
        "topic": "economy",
        "hopes": "Pasar desa dibuka lagi",
    }
    first = alice_client.post(reverse("fieldwork:visit_new"), data)
    assert first.status_code == 302 and first["Location"].endswith(f"?saved={key}")
    again = alice_client.post(reverse("fieldwork:visit_new"), data)
    assert again.status_code == 302
    assert Visit.objects.count() == 1


def test_a_refused_form_keeps_what_was_typed(alice_client, village_a):
    data = {
        "village": village_a.pk,
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": 3,
        "topic": "economy",
        "address": "RT 02 RW 05",
    }
    response = alice_client.post(reverse("fieldwork:visit_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "RT 02 RW 05" in body and 'data-bound="1"' in body
    assert "keluhan atau harapan" in body
    assert not Visit.objects.exists()


def test_the_operation_form_records_findings_as_incidents(bob_client, village_a, tbkb):
    data = {
        "client_key": str(uuid.uuid4()),
        "programme": tbkb.pk,
        "village": village_a.pk,
        "started_at": "2024-03-05T21:00",
        "place": "Jl. Soekarno-Hatta",
        "team_size": 6,
        "vehicles_checked": 80,
        "people_checked": 95,
        "qty_knalpot_brong": "9",
        "fu_knalpot_brong": "ticket",
    }
    response = bob_client.post(reverse("fieldwork:operation_new"), data)
    assert response.status_code == 302
    operation = Operation.objects.get()
    assert operation.findings.get().quantity == 9
    assert Incident.objects.filter(source="operation").count() == 1


def test_escalating_a_detection_from_its_page(bob_client, records):
    detection = records["detection"]
    url = reverse("fieldwork:detection_escalate", args=[detection.pk])
    assert bob_client.post(url, {"to": "incident"}).status_code == 302
    detection.refresh_from_db()
    assert detection.status == "incident"
    assert EarlyDetection.objects.get().incident.category.code == "sajam"


def test_a_case_moves_from_its_page(bob_client, charlie_client, records):
    case = records["case"]
    assert (
        charlie_client.post(reverse("fieldwork:case_move", args=[case.pk]), {"to": "analysis"})
    ).status_code == 404
    bob_client.post(reverse("fieldwork:case_move", args=[case.pk]), {"to": "analysis"})
    bob_client.post(reverse("fieldwork:case", args=[case.pk]), {"causes": "Jalan lurus sepi"})
    case.refresh_from_db()
    assert (case.stage, case.causes) == ("analysis", "Jalan lurus sepi")
    assert ProblemCase.objects.count() == 1


@pytest.mark.usefixtures("frozen_clock")
def test_the_home_page_shows_villages_waiting_for_a_visit(alice_client, make_visit):
    make_visit(visited_on=timezone.localdate())
    body = alice_client.get("/").content.decode()
    assert "0 dari 1 desa tidak dikunjungi" in body


def test_partners_see_no_home_panel_and_may_not_record_visits(partner, village_a):
    from tests.conftest import client_for

    client = client_for(partner)
    assert "tidak dikunjungi" not in client.get("/").content.decode()
    response = client.post(
        reverse("fieldwork:visit_new"),
        {
            "village": village_a.pk,
            "visited_on": "2024-03-05",
            "household_head": "X",
            "members_met": 1,
            "topic": "security",
            "concerns": "Y",
        },
    )
    assert response.status_code == 403 and not Visit.objects.exists()


def test_the_admin_lists_records_read_only(admin_client_, records):
    for model in ("visit", "earlydetection", "problemcase", "operation"):
        assert admin_client_.get(f"/admin/fieldwork/{model}/").status_code == 200
    operation = records["operation"]
    assert (
        admin_client_.get(f"/admin/fieldwork/operation/{operation.pk}/change/").status_code == 200
    )
    assert admin_client_.get("/admin/fieldwork/visit/add/").status_code == 403
    for model in ("incident", "category", "importrun"):
        assert admin_client_.get(f"/admin/incidents/{model}/").status_code == 200


def test_the_assessment_form_shows_and_saves_whether_the_plan_was_carried_out(
    bob_client, records, bob
):
    case = records["case"]
    services.move_case(case, "analysis", actor=bob)
    services.update_case(case, actor=bob, causes="Jalan sepi")
    services.move_case(case, "response", actor=bob)
    services.update_case(
        case, actor=bob, actions="Portal jalan", response_started_on=datetime.date(2024, 3, 10)
    )
    services.move_case(case, "assessment", actor=bob)
    url = reverse("fieldwork:case", args=[case.pk])
    bob_client.post(url, {"plan_carried_out": "true", "assessment": "Balap liar berhenti"})
    case.refresh_from_db()
    assert case.plan_carried_out is True
    body = bob_client.get(url).content.decode()
    assert '<option value="true" selected>' in body
    assert "Balap liar berhenti" in body


def test_a_visit_keeps_its_photo(alice_client, village_a, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    photo = SimpleUploadedFile("rumah.png", buffer.getvalue(), content_type="image/png")
    response = alice_client.post(
        reverse("fieldwork:visit_new"),
        {
            "village": village_a.pk,
            "visited_on": "2024-03-05",
            "household_head": "Pak Karno",
            "members_met": 2,
            "topic": "social",
            "concerns": "Anak putus sekolah",
            "photo": photo,
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.photo.name.endswith(".png")
    # Private: in the protected folder, nothing under MEDIA_ROOT, linked through the view.
    assert (settings.PROTECTED_MEDIA_ROOT / visit.photo.name).exists()
    assert not (tmp_path / visit.photo.name).exists()
    page = alice_client.get(reverse("fieldwork:village", args=[village_a.code]))
    link = reverse("fieldwork:visit_photo", args=[visit.pk])
    assert link in page.content.decode()
    served = alice_client.get(link)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    b"".join(served.streaming_content)  # reading to the end lets the test client close it


def test_a_wide_scope_lists_only_the_villages_waiting(admin_client_, records, monkeypatch):
    from jaga.fieldwork import views

    monkeypatch.setattr(views, "MAX_ROWS", 5)
    # The whole country is summed per province (tests/fieldwork/test_wide_scopes.py); a
    # regency opened from it lists its villages as a Polres sees them.
    body = admin_client_.get(reverse("fieldwork:index"), {"wilayah": "35.03"}).content.decode()
    assert "Terlalu banyak desa" in body
    assert body.count('<span class="badge bad">') == 5
    assert "Tamanan" not in body.split("Terlalu banyak desa")[1]  # visited: not listed


def test_visits_download_in_scope_only(bob_client, charlie_client, client, records):
    url = reverse("fieldwork:visits_export", args=["csv"])
    lines = bob_client.get(url).content.decode().splitlines()
    assert lines[0].startswith("visited_on,village_code") and "Pak Slamet" in lines[1]
    assert len(charlie_client.get(url).content.decode().splitlines()) == 1
    assert client.get(url).status_code == 302
    xlsx = bob_client.get(
        reverse("fieldwork:visits_export", args=["xlsx"]), {"village": "35.03.11.2001"}
    )
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.usefixtures("frozen_clock")
def test_an_officers_monthly_visits_count_only_what_the_viewer_may_see(
    make_visit, satbinmas, bob, bob_client, village_a, village_c
):
    from jaga.fieldwork import queries

    day = timezone.localdate()
    make_visit(actor=satbinmas, village=village_a, visited_on=day)
    make_visit(actor=satbinmas, village=village_c, visited_on=day)
    assert (
        sum(n for _m, n in queries.monthly_visits(officer_id=satbinmas.pk, viewer=satbinmas)) == 2
    )
    # Bob's polsek does not cover Munjungan: its visit is not counted on the officer's page.
    assert sum(n for _m, n in queries.monthly_visits(officer_id=satbinmas.pk, viewer=bob)) == 1
    assert sum(n for _m, n in queries.monthly_visits(officer_id=satbinmas.pk)) == 0
    assert bob_client.get(reverse("fieldwork:officer", args=[satbinmas.pk])).status_code == 200
