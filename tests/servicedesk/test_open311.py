from __future__ import annotations

import datetime
import io
import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from jaga.servicedesk import services
from jaga.servicedesk.models import Channel, Open311Client, ServiceRequest, Status

BASE = "/open311/v2/"
PERSONAL = ["Sri Wahyuni", "081298765432", "sri@example.com", "Jl. Melati 7"]


@pytest.fixture
def api_key(db: Any) -> str:
    _client, raw = services.create_open311_client("Aplikasi Lapor")
    return raw


@pytest.fixture
def reported(file_report: Any, village_a: Any) -> ServiceRequest:
    return file_report(
        village_a,
        anonymous=False,
        reporter_name="Sri Wahyuni",
        phone="081298765432",
        email="sri@example.com",
        address="Jl. Melati 7",
        latitude=-8.052345,
        longitude=111.712345,
    )


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_discovery_in_both_formats(client: Client, db: Any) -> None:
    data = client.get(BASE + "discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(BASE + "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


def test_services_list_every_seeded_service(client: Client, db: Any) -> None:
    data = client.get(BASE + "services.json").json()
    codes = {s["service_code"] for s in data}
    assert {
        "knalpot_brong",
        "balap_liar",
        "sajam",
        "senpi",
        "handak",
        "miras",
        "narkoba",
        "judi",
        "pencurian",
        "curanmor",
        "perkelahian",
        "kdrt",
        "pasung",
        "bencana",
        "kehilangan",
        "pengaduan",
    } <= codes
    first = data[0]
    assert set(first) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    root = xml(client.get(BASE + "services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == len(data)
    racing = next(s for s in root.findall("service") if s.findtext("service_code") == "balap_liar")
    assert racing.findtext("metadata") == "true" and racing.findtext("type") == "realtime"


def test_service_definition_gives_the_questions_as_attributes(client: Client, db: Any) -> None:
    data = client.get(BASE + "services/kehilangan.json").json()
    attribute = data["attributes"][0]
    assert data["service_code"] == "kehilangan"
    assert attribute["code"] == "dokumen" and attribute["datatype"] == "multivaluelist"
    assert attribute["required"] is True and attribute["variable"] is True
    assert {"key": "ktp", "name": "KTP"} in attribute["values"]
    root = xml(client.get(BASE + "services/kehilangan.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "ktp"
    assert client.get(BASE + "services/nope.json").status_code == 404


def test_post_creates_a_request_with_attributes(
    client: Client, api_key: str, units: dict, village_a: Any
) -> None:
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": api_key,
            "service_code": "curanmor",
            "lat": "-8.05",
            "long": "111.71",
            "address_id": village_a.code,
            "description": "Motor hilang di parkiran pasar.",
            "attribute[jenis]": "motor",
            "attribute[nopol]": "AG 1234 XY",
            "first_name": "Sri",
            "email": "sri@example.com",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body[0]) == {
        "service_request_id",
        "service_notice",
        "account_id",
        "tracking_code",
        "tracking_url",
    }
    created = ServiceRequest.objects.get(ticket=body[0]["service_request_id"])
    assert services.check_tracking_code(created, body[0]["tracking_code"])
    assert body[0]["tracking_code"] not in created.secret_hash
    assert body[0]["tracking_url"].endswith(
        f"/layanan/lacak/{created.ticket}/kode/{body[0]['tracking_code']}/"
    )
    assert created.channel == Channel.OPEN311 and created.village == village_a
    assert created.answers == {"jenis": "motor", "nopol": "AG 1234 XY"}
    assert created.unit == units["ab"]


def test_post_finds_the_village_from_the_address_string_and_answers_in_xml(
    client: Client, api_key: str, units: dict
) -> None:
    response = client.post(
        BASE + "requests.xml",
        {
            "api_key": api_key,
            "service_code": "knalpot_brong",
            "address_string": "Tamanan, Trenggalek",
            "description": "Knalpot brong setiap malam.",
            "jurisdiction_id": "35.03",
        },
    )
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    ticket = root.findtext("request/service_request_id")
    assert ServiceRequest.objects.get(ticket=ticket).village.code == "35.03.11.1002"


def test_a_multivaluelist_answer_uses_brackets(client: Client, api_key: str, units: dict) -> None:
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": api_key,
            "service_code": "kehilangan",
            "address_id": "35.03.11.1002",
            "description": "Dompet hilang.",
            "attribute[dokumen][]": ["ktp", "sim"],
        },
    )
    assert response.status_code == 201
    assert ServiceRequest.objects.get().answers == {"dokumen": ["ktp", "sim"]}


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"api_key": ""}, 403),
        ({"api_key": "o311_forged"}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "nope"}, 400),
        ({"address_id": "", "address_string": ""}, 400),
        ({"address_id": "35.03.11"}, 400),
        ({"address_id": "", "address_string": "Atlantis"}, 400),
        ({"lat": "51.5", "long": "-0.12"}, 400),
        ({"lat": "abc", "long": "111"}, 400),
        ({"description": ""}, 400),
        ({"attribute[jenis]": "pesawat"}, 400),
        ({"jurisdiction_id": "example.org"}, 404),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_get_spec_errors_and_create_nothing(
    client: Client, api_key: str, units: dict, data: dict, status: int, fmt: str
) -> None:
    values = {
        "api_key": api_key,
        "service_code": "curanmor",
        "address_id": "35.03.11.1002",
        "description": "Motor hilang.",
        "attribute[jenis]": "motor",
        **data,
    }
    response = client.post(BASE + f"requests.{fmt}", values)
    assert response.status_code == status
    if fmt == "json":
        errors = response.json()
        assert errors[0]["code"] == status and errors[0]["description"]
    else:
        root = xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status) and root.findtext("error/description")
    assert ServiceRequest.objects.count() == 0


def test_a_revoked_key_is_refused(client: Client, api_key: str, units: dict) -> None:
    services.revoke_open311_client(Open311Client.objects.get())
    response = client.post(BASE + "requests.json", {"api_key": api_key, "service_code": "judi"})
    assert response.status_code == 403


def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_ticket(
    client: Client, api_key: str, units: dict
) -> None:
    values = {
        "api_key": api_key,
        "service_code": "judi",
        "address_id": "35.03.11.1002",
        "description": "Judi sabung ayam.",
    }
    first = client.post(BASE + "requests.json", values, HTTP_IDEMPOTENCY_KEY="k1").json()
    again = client.post(BASE + "requests.json", values, HTTP_IDEMPOTENCY_KEY="k1").json()
    assert first[0]["service_request_id"] == again[0]["service_request_id"]
    assert ServiceRequest.objects.count() == 1


def test_get_requests_has_every_field_and_no_personal_data(
    client: Client, reported: ServiceRequest
) -> None:
    data = client.get(BASE + "requests.json").json()
    assert len(data) == 1
    row = data[0]
    assert set(row) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert row["service_request_id"] == reported.ticket and row["status"] == "open"
    assert row["requested_datetime"].endswith("+07:00")
    # No village centre recorded: no point at all (never the reporter's).
    assert row["lat"] == "" and row["long"] == ""
    assert row["agency_responsible"] == "Polsek Trenggalek"
    for fmt in ("json", "xml"):
        for url in (f"requests.{fmt}", f"requests/{reported.ticket}.{fmt}"):
            body = client.get(BASE + url).content.decode()
            for secret in PERSONAL:
                assert secret not in body
            assert "8.052345" not in body
    root = xml(client.get(BASE + f"requests/{reported.ticket}.xml"))
    assert root.findtext("request/service_request_id") == reported.ticket


def test_get_requests_filters(client: Client, file_report: Any, village_a: Any, bob: Any) -> None:
    from jaga.servicedesk.models import Service

    with time_machine.travel(datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC), tick=False):
        old = file_report(village_a)
    with time_machine.travel(datetime.datetime(2026, 6, 10, tzinfo=datetime.UTC), tick=False):
        new = file_report(village_a)
        judi = file_report(village_a, service=Service.objects.get(code="judi"))
        services.transition_request(judi, Status.REJECTED, actor=bob, note="Bukan judi.")

        def codes(q: dict) -> set[str]:
            return {r["service_request_id"] for r in client.get(BASE + "requests.json", q).json()}

        assert codes({}) == {new.ticket, judi.ticket}  # default: last 90 days
        assert codes({"status": "closed"}) == {judi.ticket}
        assert codes({"status": "open"}) == {new.ticket}
        assert codes({"service_code": "knalpot_brong,pencurian"}) == {new.ticket}
        assert codes(
            {"start_date": "2026-01-01T00:00:00+07:00", "end_date": "2026-02-01T00:00:00Z"}
        ) == {old.ticket}
        # service_request_id overrides every other filter
        assert codes({"service_request_id": f"{old.ticket},{judi.ticket}", "status": "open"}) == {
            old.ticket,
            judi.ticket,
        }
        too_long = client.get(
            BASE + "requests.json", {"start_date": "2026-01-01", "end_date": "2026-06-01"}
        )
        assert too_long.status_code == 400
        assert client.get(BASE + "requests.xml", {"status": "pending"}).status_code == 400
        assert client.get(BASE + "requests.json", {"start_date": "kemarin"}).status_code == 400


def test_get_requests_is_capped_at_1000(client: Client, file_report: Any, village_a: Any) -> None:
    report = file_report(village_a)
    rows = [
        ServiceRequest(
            **{
                f.attname: getattr(report, f.attname)
                for f in ServiceRequest._meta.concrete_fields
                if f.attname != "id"
            }
            | {"ticket": f"T{i:08d}", "token": f"tok{i}", "idempotency_key": None}
        )
        for i in range(1005)
    ]
    ServiceRequest.objects.bulk_create(rows)
    assert len(client.get(BASE + "requests.json").json()) == 1000


def test_unknown_request_and_token_are_404(client: Client, db: Any) -> None:
    assert client.get(BASE + "requests/NOPE123456.json").status_code == 404
    response = client.get(BASE + "tokens/forged.xml")
    assert response.status_code == 404 and xml(response).tag == "errors"


def test_token_lookup(client: Client, reported: ServiceRequest) -> None:
    data = client.get(BASE + f"tokens/{reported.token}.json").json()
    assert data == [{"service_request_id": reported.ticket, "token": reported.token}]
    root = xml(client.get(BASE + f"tokens/{reported.token}.xml"))
    assert root.findtext("request/service_request_id") == reported.ticket


def test_the_command_prints_a_working_key(client: Client, units: dict) -> None:
    out = io.StringIO()
    call_command("open311", "key", "create", "Aplikasi Desa", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    assert raw.startswith("o311_")
    client_app = Open311Client.objects.get()
    assert client_app.name == "Aplikasi Desa" and raw not in client_app.key_hash
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": raw,
            "service_code": "miras",
            "address_id": "35.03.11.1002",
            "description": "Pesta miras.",
        },
    )
    assert response.status_code == 201
    assert json.loads(response.content)[0]["service_request_id"]


def test_open311_posts_are_rate_limited_per_key(
    client: Client, api_key: str, units: dict, settings: Any
) -> None:
    settings.PUBLIC_RATE_LIMIT = 1  # x50 for a client application
    values = {
        "api_key": api_key,
        "service_code": "miras",
        "address_id": "35.03.11.1002",
        "description": "x",
    }
    statuses = [client.post(BASE + "requests.json", values).status_code for _ in range(51)]
    assert statuses[:50] == [201] * 50 and statuses[50] == 429


def test_close_resolved_command(file_report: Any, village_a: Any, bob: Any) -> None:
    start = datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        report = file_report(village_a)
        services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=bob)
        services.transition_request(report, Status.RESOLVED, actor=bob, note="Selesai.")
    out = io.StringIO()
    with time_machine.travel(start + datetime.timedelta(days=3), tick=False):
        call_command("servicedesk", "close-resolved", stdout=out)
    assert "Closed 0" in out.getvalue()
    with time_machine.travel(start + datetime.timedelta(days=20), tick=False):
        call_command("servicedesk", "close-resolved", stdout=out)
    report.refresh_from_db()
    assert report.status == Status.CLOSED


def test_a_point_alone_is_placed_in_the_nearest_village_with_a_known_centre(
    client: Client, api_key: str, units: dict
) -> None:
    from jaga.territory.models import Territory

    Territory.objects.filter(code="35.03.11.1002").update(latitude=-8.050, longitude=111.710)
    Territory.objects.filter(code="35.03.11.2001").update(latitude=-8.080, longitude=111.740)
    values = {
        "api_key": api_key,
        "service_code": "curanmor",
        "lat": "-8.0785",
        "long": "111.7381",
        "description": "Motor hilang di depan warung.",
        "attribute[jenis]": "motor",
    }
    response = client.post(BASE + "requests.json", values)
    assert response.status_code == 201
    assert ServiceRequest.objects.get().village.code == "35.03.11.2001"
    # Far from every known centre: the village cannot be told, and nothing is created.
    far = client.post(BASE + "requests.json", {**values, "lat": "-7.20", "long": "112.70"})
    assert far.status_code == 400
    assert ServiceRequest.objects.count() == 1
