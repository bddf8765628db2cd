from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.test import Client

from jaga.programs import services
from jaga.programs.models import Invitation, ProgrammeAdoption

pytestmark = pytest.mark.django_db


def test_pages_in_scope_out_of_scope_and_anonymous(
    alice_client, charlie_client, meeting, person_a, satbinmas
):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    scoped = [
        f"/program/kegiatan/{meeting.pk}/",
        f"/program/kegiatan/{meeting.pk}/daftar-hadir/",
        f"/program/kegiatan/{meeting.pk}/meja-hadir/",
        f"/program/undangan/{inv.pk}/cetak/",
        f"/program/hadir/{inv.code}/",
    ]
    for url in [
        *scoped,
        "/program/",
        "/program/FKPM/",
        "/program/kegiatan/",
        "/program/partisipasi/",
    ]:
        assert alice_client.get(url).status_code == 200, url
        assert Client().get(url).status_code == 302, url
    for url in scoped:
        assert charlie_client.get(url).status_code == 404, url
    assert charlie_client.get("/program/partisipasi/?territory=35.03.11").status_code == 404
    assert "<svg" in alice_client.get(f"/program/undangan/{inv.pk}/cetak/").content.decode()


def test_the_qr_check_in_page_records_one_arrival(bob_client, meeting, person_a, satbinmas):
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    with time_machine.travel(meeting.starts_at + datetime.timedelta(minutes=40), tick=False):
        first = bob_client.post(f"/program/hadir/{inv.code}/", {"code": inv.code})
        second = bob_client.post(f"/program/hadir/{inv.code}/", {"code": inv.code})
    assert "Kedatangan dicatat" in first.content.decode()
    assert "Sudah tercatat hadir" in second.content.decode()
    inv.refresh_from_db()
    assert inv.status == "late"
    assert bob_client.get("/program/hadir/UNKNOWNCODE2/").status_code == 404


def test_the_paper_list_saves_all_rows_or_none(
    bob_client, meeting, person_a, resident_a, satbinmas
):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    b = services.invite(meeting, actor=satbinmas, person=resident_a)
    url = f"/program/kegiatan/{meeting.pk}/daftar-hadir/"
    bad = bob_client.post(url, {f"status-{a.pk}": "present", f"status-{b.pk}": "represented"})
    assert bad.status_code == 400
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}
    good = bob_client.post(
        url,
        {f"status-{a.pk}": "present", f"status-{b.pk}": "represented", f"rep-{b.pk}": "Suaminya"},
    )
    assert good.status_code == 302
    assert dict(Invitation.objects.values_list("pk", "status")) == {
        a.pk: "present",
        b.pk: "represented",
    }


def test_inviting_a_whole_village_from_the_page(bob_client, meeting, person_a, resident_a):
    page = bob_client.post(f"/program/kegiatan/{meeting.pk}/", {"village_code": "35.03.11.1002"})
    assert page.status_code == 302
    assert meeting.invitations.count() == 2
    outside = bob_client.post(f"/program/kegiatan/{meeting.pk}/", {"village_code": "35.03.02.2008"})
    assert outside.status_code == 200 and meeting.invitations.count() == 2


def test_the_participation_page_shows_the_gap(bob_client, meeting, person_a, resident_a, satbinmas):
    a = services.invite(meeting, actor=satbinmas, person=person_a)
    services.invite(meeting, actor=satbinmas, person=resident_a)
    services.check_in(a.code, actor=satbinmas, at=meeting.starts_at)
    page = bob_client.get("/program/partisipasi/?programme=FKPM").content.decode()
    assert "Tokoh masyarakat" in page or "Tokoh" in page
    assert "1/2" in page and "<svg" in page


def test_the_activity_list_has_a_fixed_number_of_queries(
    bob_client, programme, village_a, satbinmas, django_assert_max_num_queries
):
    for day in range(1, 25):
        services.record_activity(
            actor=satbinmas, programme=programme, kind="meeting", title=f"Rapat {day}",
            starts_at=datetime.datetime(2024, 1, day, 9, tzinfo=datetime.UTC), village=village_a,
        )  # fmt: skip
    with django_assert_max_num_queries(8):
        assert bob_client.get("/program/kegiatan/").status_code == 200
    with django_assert_max_num_queries(10):
        assert bob_client.get("/program/").status_code == 200


@time_machine.travel(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
def test_the_adoption_upload_page(satbinmas_client, bob_client, programme):
    upload = io.BytesIO(
        b"programme_code,village_code,adopted_on\nFKPM,35.03.11.1002,2021-02-01\nFKPM,nope,2021-02-01\n"
    )
    upload.name = "adopsi.csv"
    page = satbinmas_client.post("/program/adopsi/impor/", {"file": upload})
    assert page.status_code == 400 and "nope" in page.content.decode()
    assert not ProgrammeAdoption.objects.exists()
    upload = io.BytesIO(b"programme_code,village_code,adopted_on\nFKPM,35.03.11.1002,2021-02-01\n")
    upload.name = "adopsi.csv"
    assert satbinmas_client.post("/program/adopsi/impor/", {"file": upload}).status_code == 302
    assert ProgrammeAdoption.objects.count() == 1
    assert bob_client.get("/program/adopsi/impor/").status_code == 403


def test_outcome_and_attachments(bob_client, charlie_client, meeting, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jaga.analytics.models import MonthlyMetric

    settings.MEDIA_ROOT = tmp_path
    url = f"/program/kegiatan/{meeting.pk}/"
    assert (
        bob_client.post(
            url + "hasil/", {"outcome": "Sepakat ronda", "head_count": "40"}
        ).status_code
        == 302
    )
    meeting.refresh_from_db()
    assert (meeting.outcome, meeting.head_count) == ("Sepakat ronda", 40)
    assert MonthlyMetric.objects.get(metric="activities.head_count").value == 40
    bob_client.post(url + "hasil/", {"outcome": "Sepakat ronda", "head_count": "35"})
    assert MonthlyMetric.objects.get(metric="activities.head_count").value == 35
    import io

    from PIL import Image

    fake = SimpleUploadedFile("palsu.jpg", b"\xff\xd8\xff\xe0fakejpeg", content_type="image/jpeg")
    bob_client.post(url + "lampiran/", {"file": fake, "caption": "Palsu"})
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "JPEG")
    photo = SimpleUploadedFile("rapat.jpg", buffer.getvalue(), content_type="image/jpeg")
    assert (
        bob_client.post(url + "lampiran/", {"file": photo, "caption": "Suasana rapat"}).status_code
        == 302
    )
    exe = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    bob_client.post(url + "lampiran/", {"file": exe})
    assert [(f.is_photo, f.caption) for f in meeting.files.all()] == [(True, "Suasana rapat")]
    assert charlie_client.post(url + "lampiran/", {"file": photo}).status_code == 404
    attached = meeting.files.get()
    file_url = f"{url}lampiran/{attached.pk}/"
    assert file_url in bob_client.get(url).content.decode()
    served = bob_client.get(file_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    b"".join(served.streaming_content)  # reading to the end lets the test client close it
    assert charlie_client.get(file_url).status_code == 404


def test_the_home_page_shows_participation(
    bob_client, charlie_client, meeting, person_a, satbinmas
):
    import time_machine as tm

    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    services.check_in(inv.code, actor=satbinmas, at=meeting.starts_at)
    with tm.travel(meeting.starts_at + datetime.timedelta(days=30)):
        page = bob_client.get("/").content.decode()
        assert "Partisipasi 12 bulan terakhir" in page and "1/1" in page
        assert "Partisipasi 12 bulan terakhir" not in charlie_client.get("/").content.decode()
