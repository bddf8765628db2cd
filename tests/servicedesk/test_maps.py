"""The desk's map layers (docs/maps.md): staff see exact points in scope; the public map shows
only approved reports of services that are not sensitive, at the village centre."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jaga.servicedesk import services
from jaga.servicedesk.models import Service
from jaga.territory.models import Territory

STAFF = "/peta/laporan/"
PUBLIC = "/peta/laporan-publik/"
POINT = (-8.0612345, 111.7154321)
CENTRE_A = (-8.05, 111.71)


@pytest.fixture
def centres(village_a: Territory, village_c: Territory) -> None:
    Territory.objects.filter(pk=village_a.pk).update(latitude=CENTRE_A[0], longitude=CENTRE_A[1])
    Territory.objects.filter(pk=village_c.pk).update(latitude=-8.3, longitude=111.6)


def features(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    return list(data["features"])


def test_staff_layer_draws_exact_points_in_scope_only(
    centres: None, file_report: Any, village_a: Territory, village_c: Territory, bob_client: Client
) -> None:
    mine = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    no_point = file_report(village_a)
    file_report(village_c, latitude=-8.31, longitude=111.61)  # charlie's district
    found = {f["properties"]["name"].split(" · ")[0]: f for f in features(bob_client.get(STAFF))}
    assert set(found) == {mine.ticket, no_point.ticket}
    assert found[mine.ticket]["geometry"]["coordinates"] == [round(POINT[1], 6), round(POINT[0], 6)]
    # Without a point the report sits at its village's centre and the popup says so.
    assert found[no_point.ticket]["geometry"]["coordinates"] == [CENTRE_A[1], CENTRE_A[0]]
    assert found[no_point.ticket]["properties"]["approximate"] is True
    assert found[mine.ticket]["properties"]["approximate"] is False
    assert any("pusat desa" in line for line in found[no_point.ticket]["properties"]["lines"])
    assert found[mine.ticket]["properties"]["url"] == f"/layanan/tiket/{mine.ticket}/"


def test_staff_layer_follows_the_queue_filters(
    centres: None, file_report: Any, village_a: Territory, bob_client: Client, bob: Any
) -> None:
    report = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    services.transition_request(report, "triaged", actor=bob)
    assert len(features(bob_client.get(STAFF))) == 1  # open by default, as the queue
    assert features(bob_client.get(STAFF, {"status": "received"})) == []
    assert len(features(bob_client.get(STAFF, {"status": "triaged"}))) == 1


def test_staff_layer_is_closed_to_residents_partners_and_anonymous(
    centres: None, file_report: Any, village_a: Territory, partner: Any
) -> None:
    from tests.conftest import client_for

    file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    assert Client().get(STAFF).status_code == 302  # the login page
    assert client_for(partner).get(STAFF).status_code == 403


def approve(report: Any, bob: Any, text: str = "Knalpot brong di jalan desa.") -> None:
    services.moderate_request(report, actor=bob, approve=True, public_text=text)


def test_public_layer_shows_approved_reports_at_the_village_centre_only(
    centres: None, file_report: Any, village_a: Territory, bob: Any
) -> None:
    approved = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    approve(approved, bob)
    pending = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    response = Client().get(PUBLIC)
    body = response.content.decode()
    (feature,) = features(response)
    assert feature["geometry"]["coordinates"] == [CENTRE_A[1], CENTRE_A[0]]
    assert feature["properties"]["count"] == 1
    assert [i["text"].split(" · ")[0] for i in feature["properties"]["items"]] == [approved.ticket]
    # Never the reporter's point (in any rounding), the unapproved report or its text.
    for needle in ("-8.0612", "111.7154", pending.ticket, "balai desa"):
        assert needle not in body
    assert response["Cache-Control"].startswith("public")


def test_public_layer_never_shows_a_sensitive_service(
    centres: None, file_report: Any, village_a: Territory, bob: Any
) -> None:
    kdrt = Service.objects.get(code="kdrt")
    assert kdrt.sensitive
    answers = {q.code: q.values[0]["key"] if q.values else "ya" for q in kdrt.questions.all()}
    report = file_report(village_a, service=kdrt, answers=answers)
    # Even a report whose moderation field says approved (set below the service) stays out.
    type(report).objects.filter(pk=report.pk).update(moderation="approved", public_description="x")
    body = Client().get(PUBLIC).content.decode()
    assert report.ticket not in body and json.loads(body)["features"] == []


@pytest.mark.usefixtures("frozen_clock")
def test_public_layer_filters_by_territory_and_days(
    centres: None, file_report: Any, village_a: Territory, village_c: Territory, bob: Any
) -> None:
    import datetime

    from django.utils import timezone

    a = file_report(village_a)
    approve(a, bob)
    assert len(features(Client().get(PUBLIC, {"wilayah": "35.03.11"}))) == 1
    assert features(Client().get(PUBLIC, {"wilayah": "35.03.02"})) == []
    type(a).objects.filter(pk=a.pk).update(received_at=timezone.now() - datetime.timedelta(days=40))
    assert features(Client().get(PUBLIC, {"hari": "30"})) == []
    assert len(features(Client().get(PUBLIC, {"hari": "bogus"}))) == 1  # default: 90 days


def test_village_search_finds_by_name_and_nearest_point(centres: None) -> None:
    found = features(Client().get("/peta/desa/", {"q": "Tamanan"}))
    assert any(f["properties"]["code"] == "35.03.11.1002" for f in found)
    (near,) = features(Client().get("/peta/desa/", {"lat": "-8.051", "lon": "111.711"}))
    assert near["properties"]["code"] == "35.03.11.1002"
    assert features(Client().get("/peta/desa/", {"lat": "-6.2", "lon": "106.8"})) == []
    assert features(Client().get("/peta/desa/", {"lat": "999", "lon": "0"})) == []
    inside = features(Client().get("/peta/desa/", {"wilayah": "35.03.11"}))
    assert [f["properties"]["code"] for f in inside] == ["35.03.11.1002"]


# ------------------------------------------------------------------ the picker's server side

FORM = {
    "desa": "35.03.11.1002",
    "description": "Balap liar setiap malam minggu di jalan desa.",
    "q_waktu": "malam",
    "anonymous": "on",
    "idempotency_key": "map-key-1",
}


def test_the_first_step_offers_a_map_that_chooses_the_village(client: Client, units: dict) -> None:
    html = client.get("/layanan/lapor/balap_liar/").content.decode()
    assert 'data-picker-village="id_desa"' in html and 'data-villages="/peta/desa/?semua=1"' in html
    assert 'id="map-lat" name="lat"' in html


def test_the_point_tapped_on_the_first_step_reaches_the_form(
    client: Client, units: dict, centres: None
) -> None:
    html = client.get(
        "/layanan/lapor/balap_liar/", {"desa": "35.03.11.1002", "lat": "-8.0512", "lon": "111.7"}
    ).content.decode()
    assert 'value="-8.0512"' in html and 'value="111.7"' in html
    assert f'data-centre="{CENTRE_A[0]},{CENTRE_A[1]}"' in html  # the village's centre
    assert 'data-picker-expected="35.03.11.1002"' in html
    # A point that is no point is not carried.
    html = client.get(
        "/layanan/lapor/balap_liar/", {"desa": "35.03.11.1002", "lat": "500", "lon": "x"}
    ).content.decode()
    assert 'value="500"' not in html


def test_a_report_with_a_map_point_keeps_it_for_staff_only(
    client: Client, units: dict, centres: None, bob: Any, bob_client: Client
) -> None:
    from jaga.servicedesk.models import ServiceRequest

    data = {**FORM, "latitude": "-8.061234", "longitude": "111.715432"}
    assert client.post("/layanan/lapor/balap_liar/", data).status_code == 302
    report = ServiceRequest.objects.get()
    assert (report.latitude, report.longitude) == (-8.061234, 111.715432)
    assert report.village.code == "35.03.11.1002"
    (staff,) = features(bob_client.get(STAFF))
    assert staff["geometry"]["coordinates"] == [111.715432, -8.061234]
    approve(report, bob)
    (public,) = features(Client().get(PUBLIC))
    assert public["geometry"]["coordinates"] == [CENTRE_A[1], CENTRE_A[0]]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"latitude": "-8.06"}, "both latitude and longitude"),
        ({"latitude": "48.85", "longitude": "2.35"}, "outside Indonesia"),
        ({"latitude": "abc", "longitude": "111.7"}, "Enter a number"),
    ],
)
def test_a_bad_point_is_refused_with_a_reason(
    client: Client, units: dict, point: dict[str, str], message: str, settings: Any
) -> None:
    from jaga.servicedesk.models import ServiceRequest

    settings.LANGUAGE_CODE = "en"
    response = client.post(
        "/layanan/lapor/balap_liar/", {**FORM, **point}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_desk_entry_and_queue_and_detail_carry_maps(
    file_report: Any, village_a: Territory, bob_client: Client, centres: None
) -> None:
    report = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    html = bob_client.get("/layanan/baru/", {"layanan": "balap_liar"}).content.decode()
    assert 'data-picker-lat="id_latitude"' in html and 'data-picker-village="id_desa"' in html
    html = bob_client.get("/layanan/", {"status": "open"}).content.decode()
    assert 'data-geojson="/peta/laporan/?status=open"' in html
    html = bob_client.get(f"/layanan/tiket/{report.ticket}/").content.decode()
    assert f'data-geojson="/peta/laporan/?status=all&amp;q={report.ticket}"' in html
    assert "openstreetmap.org/?mlat" not in html


def test_the_report_start_page_shows_the_public_map(client: Client, db: None) -> None:
    html = client.get("/layanan/lapor/").content.decode()
    assert 'data-geojson="/peta/laporan-publik/"' in html
    assert "jaga/vendor/leaflet/leaflet.js" in html


def test_the_staff_layer_says_when_it_leaves_reports_off(
    centres: None, file_report: Any, village_a: Territory, bob_client: Client, monkeypatch: Any
) -> None:
    from jaga.territory import maps

    monkeypatch.setattr(maps, "REPORT_LIMIT", 1)
    file_report(village_a)
    file_report(village_a)
    data = bob_client.get(STAFF).json()
    assert len(data["features"]) == 1 and "1" in data["note"]


def test_staff_layer_colours_a_report_by_the_sla_rule(
    centres: None, file_report: Any, village_a: Territory, bob_client: Client
) -> None:
    import datetime

    from django.utils import timezone

    from jaga.servicedesk.models import ServiceRequest

    late = file_report(village_a, latitude=POINT[0], longitude=POINT[1])
    on_time = file_report(village_a)
    now = timezone.now()
    ServiceRequest.objects.filter(pk=late.pk).update(due_at=now - datetime.timedelta(minutes=5))
    ServiceRequest.objects.filter(pk=on_time.pk).update(due_at=now + datetime.timedelta(hours=5))
    kinds = {
        f["properties"]["name"].split(" · ")[0]: f["properties"]["kind"]
        for f in features(bob_client.get(STAFF))
    }
    assert kinds == {late.ticket: "report-overdue", on_time.ticket: "report-open"}
