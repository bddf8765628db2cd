from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from jaga.servicedesk.models import Attachment, ServiceRequest, Status

PERSONAL = ["Sri Wahyuni", "081298765432", "sri@example.com", "Jl. Melati 7"]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "KameraMerk"  # Make
    gps = {1: "S", 2: (8.0, 3.0, 0.0), 3: "E", 4: (111.0, 42.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


FORM = {
    "desa": "35.03.11.1002",
    "description": "Balap liar setiap malam minggu di jalan desa.",
    "q_waktu": "malam",
    "anonymous": "on",
    "idempotency_key": "form-key-1",
}


@pytest.fixture
def reported(file_report: Any, village_a: Any, alice: Any) -> ServiceRequest:
    return file_report(
        village_a,
        anonymous=False,
        reporter_name="Sri Wahyuni",
        phone="081298765432",
        email="sri@example.com",
        address="Jl. Melati 7",
    )


def test_the_public_catalogue_reads_in_indonesian(client: Client, db: Any) -> None:
    response = client.get("/layanan/lapor/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lapor ke polisi" in html and "Knalpot brong" in html and "Balap liar" in html


def test_the_form_asks_for_the_village_first(client: Client, units: dict) -> None:
    response = client.get("/layanan/lapor/balap_liar/")
    assert response.status_code == 200
    assert 'name="desa"' in response.content.decode()
    assert "Tamanan" in response.content.decode()
    assert client.get("/layanan/lapor/nope/").status_code == 404


def test_a_public_report_with_a_photo_strips_its_location(client: Client, units: dict) -> None:
    data = {**FORM, "photos": [upload("a.jpg", jpeg_with_gps())]}
    response = client.post("/layanan/lapor/balap_liar/", data)
    assert response.status_code == 302
    report = ServiceRequest.objects.get()
    assert response["Location"] == f"/layanan/lacak/{report.ticket}/?baru=1"
    assert report.anonymous and report.channel == "web" and report.answers == {"waktu": "malam"}
    photo = Attachment.objects.get()
    with Image.open(photo.file.path) as saved:
        assert not saved.getexif()
        assert 0x8825 not in saved.getexif()
    with photo.file.open("rb") as stored:
        assert b"KameraMerk" not in stored.read()
    # A double click sends the same form key: the same ticket again.
    again = client.post("/layanan/lapor/balap_liar/", {**FORM})
    assert again["Location"] == response["Location"]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("photo", "message", "status"),
    [
        (upload("doc.pdf", b"%PDF-1.4 not an image", "application/pdf"), "JPEG", 400),
        (upload("big.jpg", b"\xff\xd8" + b"0" * (11 * 1024 * 1024)), "MB", 413),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_saved(
    client: Client, units: dict, photo: Any, message: str, status: int
) -> None:
    response = client.post("/layanan/lapor/balap_liar/", {**FORM, "photos": [photo]})
    assert response.status_code == status
    assert message in response.content.decode()
    assert ServiceRequest.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_named_report_needs_a_contact(client: Client, units: dict) -> None:
    data = {k: v for k, v in FORM.items() if k != "anonymous"}
    response = client.post("/layanan/lapor/balap_liar/", data)
    assert response.status_code == 400
    assert ServiceRequest.objects.count() == 0


def test_nearby_open_reports_are_shown_before_submitting(
    client: Client, reported: ServiceRequest
) -> None:
    html = client.get("/layanan/lapor/knalpot_brong/", {"desa": "35.03.11.1002"}).content.decode()
    assert reported.ticket in html
    other = client.get("/layanan/lapor/knalpot_brong/", {"desa": "35.03.11.2001"}).content.decode()
    assert reported.ticket not in other


def test_public_intake_is_rate_limited(client: Client, units: dict, settings: Any) -> None:
    settings.PUBLIC_RATE_LIMIT = 2
    codes = [
        client.post("/layanan/lapor/balap_liar/", {**FORM, "idempotency_key": f"k{i}"}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert ServiceRequest.objects.count() == 2


def test_the_tracking_page_shows_status_and_no_personal_data(
    client: Client, reported: ServiceRequest, bob: Any
) -> None:
    from jaga.servicedesk import services

    services.add_update(reported, "Rahasia internal", actor=bob, public=False)
    services.transition_request(reported, Status.TRIAGED, actor=bob, note="Sedang dicek.")
    response = client.get(f"/layanan/lacak/{reported.ticket}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert reported.ticket in html and "Sedang dicek." not in html  # the ticket alone
    for secret in [*PERSONAL, "Rahasia internal"]:
        assert secret not in html
    code = reported.tracking_code  # type: ignore[attr-defined]
    opened = client.get(f"/layanan/lacak/{reported.ticket}/kode/{code}/")
    assert opened.status_code == 302 and opened["Location"] == f"/layanan/lacak/{reported.ticket}/"
    html = client.get(f"/layanan/lacak/{reported.ticket}/").content.decode()
    assert "Sedang dicek." in html
    for secret in [*PERSONAL, "Rahasia internal"]:
        assert secret not in html


def test_a_forged_ticket_gets_a_clear_404(client: Client, db: Any) -> None:
    response = client.get("/layanan/lacak/FORGED2345/")
    assert response.status_code == 404
    assert "FORGED2345" in response.content.decode()
    assert client.get("/layanan/lacak/", {"ticket": " abc "}).status_code == 302


def test_photos_are_private_until_made_public(
    client: Client, units: dict, bob_client: Client, charlie_client: Client, village_a: Any
) -> None:
    client.post(
        "/layanan/lapor/balap_liar/", {**FORM, "photos": [upload("a.jpg", jpeg_with_gps())]}
    )
    report = ServiceRequest.objects.get()
    photo = Attachment.objects.get()

    def status(c: Client, url: str) -> int:
        response = c.get(url)
        if response.streaming:  # reading to the end lets the test client close the file
            b"".join(response.streaming_content)
        return response.status_code

    public_url = f"/layanan/lacak/{report.ticket}/foto/{photo.pk}/"
    staff_url = f"/layanan/tiket/{report.ticket}/foto/{photo.pk}/"
    assert status(client, public_url) == 404
    assert status(bob_client, staff_url) == 200
    assert status(charlie_client, staff_url) == 404
    act = f"/layanan/tiket/{report.ticket}/photo/"
    assert charlie_client.post(act, {"photo": photo.pk, "public": "1"}).status_code == 404
    assert bob_client.post(act, {"photo": photo.pk, "public": "1"}).status_code == 302
    assert status(client, public_url) == 200
    from django.test import Client as Plain

    row = Plain().get(f"/open311/v2/requests/{report.ticket}.json").json()[0]
    assert row["media_url"] == f"http://testserver{public_url}"


def test_the_queue_is_scoped_filtered_and_pinned(
    reported: ServiceRequest,
    file_report: Any,
    village_b: Any,
    village_c: Any,
    bob_client: Client,
    charlie_client: Client,
    client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(5):
        file_report(village_b)
    theirs = file_report(village_c)
    # 15: the saved filters and the officers of the bulk form are one query each
    with django_assert_max_num_queries(15):
        response = bob_client.get("/layanan/")
    html = response.content.decode()
    assert response.status_code == 200
    assert reported.ticket in html and theirs.ticket not in html
    assert "Polsek Trenggalek" in html
    filtered = bob_client.get("/layanan/", {"village": "35.03.11.1002"}).content.decode()
    assert reported.ticket in filtered and filtered.count("/layanan/tiket/") == 1
    assert theirs.ticket in charlie_client.get("/layanan/").content.decode()
    assert reported.ticket not in charlie_client.get("/layanan/").content.decode()
    anonymous = client.get("/layanan/")
    assert anonymous.status_code == 302 and "/akun/" in anonymous["Location"]


def test_overdue_reports_are_highlighted_and_filtered(
    reported: ServiceRequest, file_report: Any, village_a: Any, bob_client: Client
) -> None:
    import datetime

    from django.utils import timezone

    fresh = file_report(village_a)
    ServiceRequest.objects.filter(pk=reported.pk).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    html = bob_client.get("/layanan/", {"overdue": "on"}).content.decode()
    assert reported.ticket in html and fresh.ticket not in html
    assert "terlambat" in html


def test_the_report_page_in_and_out_of_scope(
    reported: ServiceRequest,
    bob_client: Client,
    alice_client: Client,
    charlie_client: Client,
    client: Client,
) -> None:
    response = bob_client.get(f"/layanan/tiket/{reported.ticket}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "081298765432" in html  # officers may call the reporter back
    assert alice_client.get(f"/layanan/tiket/{reported.ticket}/").status_code == 200
    assert charlie_client.get(f"/layanan/tiket/{reported.ticket}/").status_code == 404
    assert client.get(f"/layanan/tiket/{reported.ticket}/").status_code == 302


def test_actions_on_the_report_page(
    reported: ServiceRequest,
    file_report: Any,
    village_a: Any,
    bob_client: Client,
    alice: Any,
    bob: Any,
) -> None:
    url = f"/layanan/tiket/{reported.ticket}/"
    response = bob_client.post(
        url + "status/",
        {"status": "assigned", "assignee": str(alice.pk), "version": "1", "public": "on"},
    )
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == Status.ASSIGNED and reported.assignee == alice
    handed = bob_client.post(
        url + "status/", {"status": "keep", "assignee": str(bob.pk), "version": "2"}
    )
    assert handed.status_code == 302
    reported.refresh_from_db()
    assert reported.status == Status.ASSIGNED and reported.assignee == bob
    stale = bob_client.post(url + "status/", {"status": "in_progress", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else" in stale.content.decode() or "Petugas lain" in stale.content.decode()
    assert bob_client.post(url + "note/", {"text": "Cek lokasi"}).status_code == 302
    assert bob_client.post(url + "verify/").status_code == 302
    reported.refresh_from_db()
    assert reported.incident_id is not None
    copy = file_report(village_a)
    merged = bob_client.post(
        f"/layanan/tiket/{copy.ticket}/merge/",
        {"original": reported.ticket.lower(), "version": "1"},
    )
    assert merged.status_code == 302
    copy.refresh_from_db()
    assert copy.duplicate_of == reported


def test_actions_out_of_scope_are_404(
    reported: ServiceRequest, charlie_client: Client, client: Client
) -> None:
    url = f"/layanan/tiket/{reported.ticket}/status/"
    assert charlie_client.post(url, {"status": "triaged", "version": "1"}).status_code == 404
    assert client.post(url, {"status": "triaged", "version": "1"}).status_code == 302
    reported.refresh_from_db()
    assert reported.status == Status.RECEIVED


def test_desk_entry_by_staff(units: dict, bob_client: Client, client: Client) -> None:
    assert bob_client.get("/layanan/baru/").status_code == 200
    page = bob_client.get("/layanan/baru/", {"layanan": "pencurian"})
    assert "Barang apa yang hilang?" in page.content.decode()
    response = bob_client.post(
        "/layanan/baru/",
        {
            "layanan": "pencurian",
            "channel": "walk_in",
            "desa": "35.03.11.2001",
            "description": "Kambing dicuri dari kandang.",
            "q_barang": "Dua ekor kambing",
            "reporter_name": "Pak Darto",
            "idempotency_key": "d1",
        },
    )
    assert response.status_code == 302
    report = ServiceRequest.objects.get()
    assert report.channel == "walk_in" and report.entered_by.username == "bob"
    assert client.get("/layanan/baru/").status_code == 302


def test_the_village_picker_helper_filters_by_name(client: Client, units: dict) -> None:
    html = client.get("/layanan/desa/", {"q": "munjungan"}).content.decode()
    assert "35.03.02.2008" in html and "35.03.11.1002" not in html
    assert "35.03.11.1002" in client.get("/layanan/desa/").content.decode()


def test_the_monthly_chart_reads_the_roll_up_in_scope(
    file_report: Any, village_a: Any, village_c: Any, bob: Any, bob_client: Client
) -> None:
    import datetime

    import time_machine

    from jaga.servicedesk import queries, services

    with time_machine.travel(datetime.datetime(2026, 5, 10, 3, tzinfo=datetime.UTC), tick=False):
        report = file_report(village_a)
        file_report(village_a)
        file_report(village_c)  # another Polsek: not in bob's chart
        services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=bob)
        services.transition_request(report, Status.RESOLVED, actor=bob, note="Selesai.")
        series = queries.monthly_series(bob)
        html = bob_client.get("/layanan/").content.decode()
    assert len(series) == 12 and series[-1]["month"] == datetime.date(2026, 5, 1)
    assert series[-1] | {"month": None} == {
        "month": None,
        "received": 2,
        "resolved": 1,
        "in_time": 1,
    }
    assert sum(r["received"] for r in series[:-1]) == 0
    assert "<svg" in html and "05/2026: 2 diterima, 1 selesai, 1 tepat waktu" in html


def test_the_reporter_adds_information_from_the_tracking_page(
    client: Client,
    reported: ServiceRequest,
    alice: Any,
    bob: Any,
    bob_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail

    alice.email = "alice@polri.example"
    alice.save()
    url = f"/layanan/lacak/{reported.ticket}/"
    code = reported.tracking_code  # type: ignore[attr-defined]
    client.get(f"/layanan/lacak/{reported.ticket}/kode/{code}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"text": "Pelakunya datang lagi tadi malam."})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["alice@polri.example"]
    assert "Pelakunya datang lagi" in client.get(url).content.decode()
    assert (
        "Pelakunya datang lagi"
        in bob_client.get(f"/layanan/tiket/{reported.ticket}/").content.decode()
    )
    assert client.post(url, {"text": "  "}).status_code == 400
    from jaga.servicedesk import services

    services.transition_request(reported, Status.REJECTED, actor=bob, note="Bukan wewenang.")
    services.transition_request(reported, Status.CLOSED, actor=bob)
    closed = client.post(url, {"text": "Masih terjadi"})
    assert closed.status_code == 400
    assert reported.updates.filter(from_reporter=True).count() == 1


def test_overdue_reports_are_reminded_once_a_day(
    file_report: Any,
    village_a: Any,
    village_b: Any,
    alice: Any,
    bob: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import datetime

    import time_machine
    from django.core import mail
    from django.core.management import call_command

    alice.email = "alice@polri.example"
    alice.save()
    bob.email = "bob@polri.example"
    bob.save()
    start = datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        file_report(village_a)  # alice's village
        file_report(village_b)  # no Bhabinkamtibmas: the Kapolsek is reminded
    mail.outbox.clear()
    out = io.StringIO()
    with (
        time_machine.travel(start + datetime.timedelta(days=4), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("servicedesk", "remind-overdue", stdout=out)
        call_command("servicedesk", "remind-overdue", stdout=out)
    assert "of 2 overdue" in out.getvalue() and "of 0 overdue" in out.getvalue()
    # The overdue event tells alice (assignee) of her report and bob (Kapolsek) of both, by their
    # chosen channels (the default: inbox and e-mail; docs/notifications.md).
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@polri.example",
        "bob@polri.example",
        "bob@polri.example",
    ]
    with time_machine.travel(start + datetime.timedelta(days=5, hours=1), tick=False):
        call_command("servicedesk", "remind-overdue", stdout=out)
    assert out.getvalue().count("of 2 overdue") == 2


def test_partners_have_no_desk_and_leaders_only_read(
    reported: ServiceRequest, partner: Any, leader_client: Client
) -> None:
    from tests.conftest import client_for

    partner_client = client_for(partner)
    assert partner_client.get("/layanan/").status_code == 403
    assert partner_client.get(f"/layanan/tiket/{reported.ticket}/").status_code == 403
    page = leader_client.get(f"/layanan/tiket/{reported.ticket}/")
    assert page.status_code == 200 and "/status/" not in page.content.decode()
    refused = leader_client.post(
        f"/layanan/tiket/{reported.ticket}/status/", {"status": "triaged", "version": "1"}
    )
    assert refused.status_code == 400
    reported.refresh_from_db()
    assert reported.status == Status.RECEIVED


def test_the_detail_page_suggests_nearby_reports_only_in_the_viewers_scope(
    file_report: Any, village_a: Any, village_c: Any, bob_client: Client
) -> None:
    point = {"latitude": -8.05, "longitude": 111.71}
    here = file_report(village_a, **point)
    near = file_report(village_a, description="Knalpot brong lagi di jalan yang sama.", **point)
    # 500 m may cross a district border: Bob's polsek does not cover Munjungan.
    across = file_report(village_c, description="Knalpot brong di perbatasan desa.", **point)
    page = bob_client.get(f"/layanan/tiket/{here.ticket}/")
    assert page.status_code == 200
    shown = {r.ticket for r in page.context["nearby"]}
    assert near.ticket in shown
    assert across.ticket not in shown and across.ticket not in page.content.decode()
