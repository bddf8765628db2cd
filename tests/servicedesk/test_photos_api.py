"""Photos through the JSON API (multipart) and Open311 (`media` uploads and `media_url`): checked
and re-encoded as the web form's, `media_url` fetched only from hosts an admin allowed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from jaga.servicedesk import services
from jaga.servicedesk.models import Attachment, Channel, PhotoHost, ServiceRequest
from tests.localserver import LocalServer, Reply, local_server
from tests.servicedesk.test_pages import jpeg_with_gps

pytestmark = pytest.mark.django_db

API = "/api/v1/servicedesk/"
OPEN311 = "/open311/v2/requests."
REPORT = {
    "service_code": "knalpot_brong",
    "village_code": "35.03.11.1002",
    "description": "Knalpot brong tiap malam.",
    "anonymous": True,
}


def photo(name: str = "foto.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_gps() if data is None else data, "image/jpeg")


def assert_clean(attachment: Attachment) -> None:
    with attachment.file.open("rb") as stored, Image.open(stored) as saved:
        assert saved.format == "JPEG" and saved.size == (40, 30)
        assert not saved.getexif()  # GPS and camera gone, as through the web form


@pytest.fixture
def api_key(db: Any) -> str:
    _client, raw = services.create_open311_client("Aplikasi Lapor")
    return raw


@pytest.fixture
def photo_server(settings: Any) -> Iterator[LocalServer]:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with local_server() as server:
        server.answer(
            "/foto.jpg", Reply(body=jpeg_with_gps(), headers={"Content-Type": "image/jpeg"})
        )
        PhotoHost.objects.create(host="127.0.0.1", note="test")
        yield server


def open311_values(api_key: str, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": api_key,
        "service_code": "knalpot_brong",
        "address_id": "35.03.11.1002",
        "description": "Knalpot brong tiap malam.",
        **extra,
    }


# ---------------------------------------------------------------- JSON API


def test_the_api_takes_a_report_with_photos_and_strips_their_metadata(
    client: Client, units: dict
) -> None:
    response = client.post(
        API + "requests/with-photos",
        {"data": json.dumps(REPORT), "photos": [photo("a.jpg"), photo("b.jpg")]},
        HTTP_IDEMPOTENCY_KEY="m1",
    )
    assert response.status_code == 201, response.content
    report = ServiceRequest.objects.get(ticket=response.json()["ticket"])
    assert report.channel == Channel.API
    attachments = list(report.photos.all())
    assert len(attachments) == 2
    for attachment in attachments:
        assert attachment.content_type == "image/jpeg"
        assert_clean(attachment)
    again = client.post(
        API + "requests/with-photos",
        {"data": json.dumps(REPORT), "photos": [photo()]},
        HTTP_IDEMPOTENCY_KEY="m1",
    )
    assert again.status_code == 200 and again.json()["ticket"] == report.ticket
    assert Attachment.objects.count() == 2


def test_the_api_takes_a_report_without_photos_the_same_way(client: Client, units: dict) -> None:
    response = client.post(API + "requests/with-photos", {"data": json.dumps(REPORT)})
    assert response.status_code == 201
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "files, code",
    [
        ([photo("surat.jpg", b"%PDF-1.4 not a picture")], "photo_type"),
        ([photo(f"{i}.jpg") for i in range(6)], "too_many_photos"),
    ],
)
def test_the_api_refuses_bad_photos_and_creates_nothing(
    client: Client, units: dict, files: list[Any], code: str
) -> None:
    response = client.post(
        API + "requests/with-photos", {"data": json.dumps(REPORT), "photos": files}
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()


def bomb_png() -> bytes:
    """48 million pixels in a few kB: decoding it would take hundreds of MB."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    return out.getvalue()


@pytest.mark.parametrize("route", ["api", "open311_media", "open311_media_url"])
def test_a_decompression_bomb_is_refused_by_every_route_as_too_many_pixels(
    client: Client, api_key: str, units: dict, photo_server: LocalServer, route: str
) -> None:
    bomb = SimpleUploadedFile("bom.png", bomb_png(), "image/png")
    if route == "api":
        response = client.post(
            API + "requests/with-photos", {"data": json.dumps(REPORT), "photos": [bomb]}
        )
        assert response.status_code == 400 and response.json()["code"] == "photo_too_large"
        message = response.json()["message"]
    else:
        if route == "open311_media":
            values = open311_values(api_key, media=bomb)
        else:
            photo_server.answer(
                "/bom.png", Reply(body=bomb_png(), headers={"Content-Type": "image/png"})
            )
            values = open311_values(api_key, media_url=photo_server.url("/bom.png"))
        response = client.post(OPEN311 + "json", values)
        assert response.status_code == 400
        message = response.json()[0]["description"]
    assert "bom.png memiliki terlalu banyak piksel (paling banyak 40 juta)" in message
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()


def test_a_photo_over_the_size_limit_is_refused_through_the_api(
    client: Client, units: dict, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 300
    response = client.post(
        API + "requests/with-photos", {"data": json.dumps(REPORT), "photos": [photo("besar.jpg")]}
    )
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert "besar.jpg" in response.json()["message"]
    assert not ServiceRequest.objects.exists()


def test_api_errors_speak_the_callers_language(client: Client, units: dict) -> None:
    files = {"data": json.dumps(REPORT), "photos": [photo("surat.jpg", b"no picture")]}
    indonesian = client.post(API + "requests/with-photos", files)
    assert "bukan foto" in indonesian.json()["message"]
    files["photos"] = [photo("surat.jpg", b"no picture")]
    english = client.post(API + "requests/with-photos", files, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "surat.jpg is not a JPEG, PNG or WebP photo."


@pytest.mark.parametrize("data", ["{not json", json.dumps({"service_code": "knalpot_brong"})])
def test_a_bad_data_part_is_a_clear_400(client: Client, units: dict, data: str) -> None:
    response = client.post(API + "requests/with-photos", {"data": data}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_data" and "not a valid report" in body["message"]
    assert not ServiceRequest.objects.exists()


def test_desk_staff_enter_a_report_with_photos(
    alice_client: Client, client: Client, units: dict
) -> None:
    data = json.dumps(REPORT | {"anonymous": False, "name": "Sri", "channel": "walk_in"})
    response = alice_client.post(API + "intake/with-photos", {"data": data, "photos": [photo()]})
    assert response.status_code == 201, response.content
    report = ServiceRequest.objects.get(ticket=response.json()["ticket"])
    assert report.channel == Channel.WALK_IN
    (attachment,) = report.photos.all()
    assert_clean(attachment)
    assert client.post(API + "intake/with-photos", {"data": data}).status_code == 401
    outside = json.dumps(REPORT | {"village_code": "35.03.02.2001", "channel": "walk_in"})
    refused = alice_client.post(API + "intake/with-photos", {"data": outside})
    assert refused.status_code == 400 and refused.json()["code"] == "not_allowed"


# ---------------------------------------------------------------- Open311 media


def test_open311_takes_uploaded_media(client: Client, api_key: str, units: dict) -> None:
    response = client.post(OPEN311 + "json", open311_values(api_key, media=photo()))
    assert response.status_code == 201, response.content
    report = ServiceRequest.objects.get(ticket=response.json()[0]["service_request_id"])
    (attachment,) = report.photos.all()
    assert_clean(attachment)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_a_bad_upload_in_its_error_format(
    client: Client, api_key: str, units: dict, fmt: str
) -> None:
    bad = photo("virus.jpg", b"MZ\x90\x00 not a picture")
    response = client.post(
        OPEN311 + fmt, open311_values(api_key, media=bad), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    if fmt == "json":
        assert response.json() == [
            {"code": 400, "description": "virus.jpg is not a JPEG, PNG or WebP photo."}
        ]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/description").text == "virus.jpg is not a JPEG, PNG or WebP photo."
    assert not ServiceRequest.objects.exists()


def test_open311_fetches_media_url_from_an_allowed_host(
    client: Client, api_key: str, units: dict, photo_server: LocalServer
) -> None:
    url = photo_server.url("/foto.jpg")
    response = client.post(OPEN311 + "json", open311_values(api_key, media_url=url))
    assert response.status_code == 201, response.content
    (got,) = photo_server.received
    assert got.method == "GET" and got.path == "/foto.jpg"
    report = ServiceRequest.objects.get(ticket=response.json()[0]["service_request_id"])
    (attachment,) = report.photos.all()
    assert_clean(attachment)


def test_a_redirect_on_the_same_host_is_followed(
    client: Client, api_key: str, units: dict, photo_server: LocalServer
) -> None:
    photo_server.answer(
        "/old.jpg", Reply(status=302, headers={"Location": photo_server.url("/foto.jpg")})
    )
    url = photo_server.url("/old.jpg")
    response = client.post(OPEN311 + "json", open311_values(api_key, media_url=url))
    assert response.status_code == 201
    assert [r.path for r in photo_server.received] == ["/old.jpg", "/foto.jpg"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("unlisted_host", "Photos are not fetched from localhost"),
        ("disabled_host", "Photos are not fetched from 127.0.0.1"),
        ("redirect_elsewhere", "redirects to another host (localhost)"),
        ("not_a_picture_type", "is not a JPEG, PNG or WebP photo"),
        ("picture_type_but_not_a_picture", "is not a JPEG, PNG or WebP photo"),
        ("missing", "answered with status 404"),
        ("too_large", "larger than"),
        ("slow", "could not be reached"),
        ("dripping", "took longer than 0.5 seconds"),
        ("private_address", "private network"),
        ("plain_http", "Only https://"),
    ],
)
def test_media_url_refusals(
    client: Client,
    api_key: str,
    units: dict,
    photo_server: LocalServer,
    settings: Any,
    case: str,
    message: str,
) -> None:
    url = photo_server.url("/foto.jpg")
    if case == "unlisted_host":
        url = photo_server.url("/foto.jpg", host="localhost")
    elif case == "disabled_host":
        PhotoHost.objects.filter(host="127.0.0.1").update(is_active=False)
    elif case == "redirect_elsewhere":
        target = photo_server.url("/foto.jpg", host="localhost")
        photo_server.answer("/r.jpg", Reply(status=302, headers={"Location": target}))
        url = photo_server.url("/r.jpg")
    elif case == "not_a_picture_type":
        photo_server.answer("/page", Reply(body=b"<html>", headers={"Content-Type": "text/html"}))
        url = photo_server.url("/page")
    elif case == "picture_type_but_not_a_picture":
        photo_server.answer(
            "/fake.jpg", Reply(body=b"<html>", headers={"Content-Type": "image/jpeg"})
        )
        url = photo_server.url("/fake.jpg")
    elif case == "missing":
        url = photo_server.url("/nope.jpg")
        photo_server.answer("/nope.jpg", Reply(status=404))
    elif case == "too_large":
        settings.MAX_UPLOAD_BYTES = 200
    elif case == "slow":
        settings.MEDIA_URL_TIMEOUT = 0.3
        photo_server.answer("/slow.jpg", Reply(delay=1.0, headers={"Content-Type": "image/jpeg"}))
        url = photo_server.url("/slow.jpg")
    elif case == "dripping":
        # Every piece comes well within the timeout; the whole photo does not.
        settings.MEDIA_URL_TIMEOUT = 0.5
        body = jpeg_with_gps()
        photo_server.answer(
            "/drip.jpg",
            Reply(body=body, trickle=0.15, headers={"Content-Type": "image/jpeg"}),
        )
        url = photo_server.url("/drip.jpg")
    elif case == "private_address":
        settings.OUTBOUND_ALLOW_PRIVATE = False
        url = f"https://127.0.0.1:{photo_server.port}/foto.jpg"
    elif case == "plain_http":
        settings.OUTBOUND_ALLOW_PRIVATE = False
    response = client.post(
        OPEN311 + "json", open311_values(api_key, media_url=url), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()
    assert error["code"] == 400 and message in error["description"], error
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()
    if case in ("unlisted_host", "private_address", "plain_http"):
        assert photo_server.received == []
    if case == "redirect_elsewhere":
        assert [r.path for r in photo_server.received] == ["/r.jpg"]


def test_media_url_errors_are_in_indonesian_by_default(
    client: Client, api_key: str, units: dict, photo_server: LocalServer
) -> None:
    url = photo_server.url("/foto.jpg", host="localhost")
    response = client.post(OPEN311 + "xml", open311_values(api_key, media_url=url))
    assert response.status_code == 400
    root = ET.fromstring(response.content)
    assert "Foto tidak diambil dari localhost" in root.find("error/description").text


def test_admins_list_photo_hosts(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("admin:servicedesk_photohost_add"),
        {"host": " Media.Example.ORG ", "note": "Aplikasi Lapor", "is_active": "on"},
    )
    assert response.status_code == 302
    assert PhotoHost.objects.get().host == "media.example.org"
    refused = admin_client_.post(
        reverse("admin:servicedesk_photohost_add"),
        {"host": "https://evil.example/x", "is_active": "on"},
    )
    assert refused.status_code == 200
    assert PhotoHost.objects.count() == 1
