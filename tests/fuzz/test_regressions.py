"""One fast test per 500 that schemathesis and the import fuzzing found (issue 10): each now
answers a 4xx with a message, and nothing is written."""

from __future__ import annotations

import datetime
import json
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from jaga.fieldwork.models import ProblemCase
from jaga.reports.models import JobStatus, ReportJob
from jaga.servicedesk import services as desk
from jaga.servicedesk.models import Channel, Service, ServiceRequest
from jaga.servicedesk.services import workflow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def post(client: Client, url: str, body: Any, **headers: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes/activities?offset=-1",
        "/api/v1/partners/organisations?offset=-5",
        "/api/v1/partners/people?offset=99999999999999999999",
        "/api/v1/partners/memberships?limit=0",
        "/api/v1/incidents?limit=99999999999999999999",
        "/api/v1/servicedesk/requests?offset=-1",
        "/api/v1/analytics/trend?months=9999999999999999999999",
        "/api/v1/analytics/participation?months=-3",
    ],
)
def test_paging_and_periods_out_of_range_are_422(admin_client_: Client, url: str) -> None:
    response = admin_client_.get(url)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"


def test_the_openapi_document_states_the_bounds(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    params = document["paths"]["/api/v1/partners/people"]["get"]["parameters"]
    offset = next(p for p in params if p["name"] == "offset")["schema"]
    assert offset["minimum"] == 0 and offset["maximum"] == 1_000_000_000


def test_an_id_beyond_the_database_is_not_a_server_error(admin_client_: Client) -> None:
    response = admin_client_.get("/api/v1/partners/memberships?organisation=" + "9" * 30)
    # SQLite cannot bind it (422); PostgreSQL compares it as a numeric and finds nothing (200).
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert response.json()["code"] == "out_of_range"
    else:
        assert response.json() == []


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/api/v1/partners/people?q=a%00b"},
        {"path": "/api/v1/territories/search%00"},
        {"path": "/open311/v2/requests.json?status=open%00"},
        {"path": "/layanan/lapor/?x=%00"},
    ],
)
def test_a_nul_character_in_the_url_is_a_400(admin_client_: Client, request_kwargs: dict) -> None:
    response = admin_client_.get(request_kwargs["path"], HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_character_in_a_json_body_is_refused_in_indonesian(alice_client: Client) -> None:
    before = ProblemCase.objects.count()
    body = {
        "village_code": "35.03.11.1002",
        "title": "Miras\x00",
        "kind": "non_dispute",
        "opened_on": "2024-03-01",
        "problem": "p",
    }
    response = post(alice_client, "/api/v1/fieldwork/cases", body, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"
    assert "karakter NUL" in response.json()["message"]
    assert ProblemCase.objects.count() == before


def test_a_nul_character_in_a_form_field_is_refused(client: Client) -> None:
    before = ServiceRequest.objects.count()
    response = client.post("/layanan/lapor/", {"description": "a\x00b"})
    assert response.status_code == 400
    assert ServiceRequest.objects.count() == before


def test_a_case_moved_to_an_empty_stage_is_a_400_with_the_stages(alice_client: Client) -> None:
    body = {
        "village_code": "35.03.11.1002",
        "title": "Miras di warung",
        "kind": "non_dispute",
        "opened_on": "2024-03-01",
        "problem": "Warung menjual miras",
    }
    case = post(alice_client, "/api/v1/fieldwork/cases", body).json()
    for target in ("", "nowhere"):
        moved = post(alice_client, f"/api/v1/fieldwork/cases/{case['id']}/move", {"to": target})
        assert moved.status_code == 400
        assert moved.json()["code"] == "unknown_target"
        assert "analysis" in moved.json()["message"]
    assert ProblemCase.objects.get(pk=case["id"]).stage == "scanning"


def test_an_email_over_254_characters_is_a_400_in_the_api(client: Client, polsek: Any) -> None:
    body = {
        "service_code": "knalpot_brong",
        "village_code": "35.03.11.1002",
        "description": "Knalpot brong tiap malam.",
        "email": "a" * 250 + "@example.com",
    }
    response = post(client, "/api/v1/servicedesk/requests", body, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert response.json()["code"] == "email_too_long"
    assert "paling banyak 254" in response.json()["message"]
    assert not ServiceRequest.objects.exists()


def test_an_email_over_254_characters_is_a_400_in_open311(client: Client, polsek: Any) -> None:
    _client, key = desk.create_open311_client("Aplikasi")
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "knalpot_brong",
            "address_id": "35.03.11.1002",
            "description": "Knalpot brong tiap malam.",
            "email": "a" * 250 + "@example.com",
        },
    )
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["2024-01-01T00:00:00+99:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"],
)
def test_an_impossible_open311_start_date_is_a_400(client: Client, db: Any, value: str) -> None:
    response = client.get("/open311/v2/requests.json", {"start_date": value})
    assert response.status_code == 400
    assert "start_date" in response.json()[0]["description"]


def test_retrying_an_anev_for_a_month_without_figures_says_why(
    leader_client: Client, regency: Any
) -> None:
    job = ReportJob.objects.create(
        code="J1", territory=regency, month=datetime.date(2019, 1, 1), status=JobStatus.FAILED
    )
    response = leader_client.post(f"/laporan/anev/{job.code}/ulang/", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert "Tidak ada angka" in response.content.decode() or "2019-01" in response.content.decode()
    assert ReportJob.objects.count() == 1


def test_a_stale_version_is_409(polsek: Any, village_a: Any, bob: Any) -> None:
    report, _new = desk.submit_request(
        service=Service.objects.get(code="knalpot_brong"),
        village=village_a,
        description="Knalpot brong.",
        channel=Channel.WEB,
        anonymous=True,
    )
    bob_client = Client()
    bob_client.force_login(bob)
    url = f"/api/v1/servicedesk/requests/{report.ticket}/transition"
    assert post(bob_client, url, {"status": "triaged", "version": 1}).status_code == 200
    stale = post(bob_client, url, {"status": "rejected", "note": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    report.refresh_from_db()
    assert report.status == "triaged" and report.version == 2


def test_the_status_time_is_read_once_the_row_is_locked(
    polsek: Any, village_a: Any, bob: Any
) -> None:
    report, _new = desk.submit_request(
        service=Service.objects.get(code="knalpot_brong"),
        village=village_a,
        description="Knalpot brong.",
        channel=Channel.WEB,
        anonymous=True,
    )
    start = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    real_lock = workflow.lock_request
    with time_machine.travel(start, tick=False) as traveller:

        def slow_lock(request: ServiceRequest) -> ServiceRequest:
            # Another officer held the row for a minute.
            locked = real_lock(request)
            traveller.shift(datetime.timedelta(minutes=1))
            return locked

        with mock.patch.object(workflow, "lock_request", slow_lock):
            desk.transition_request(report, "triaged", actor=bob)
    report.refresh_from_db()
    assert report.updated_at == start + datetime.timedelta(minutes=1)
