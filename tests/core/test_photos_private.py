"""Photos lose their metadata on upload; private files are served only through views that check
access, by Django in development and by the web server (X-Accel-Redirect / X-Sendfile) in
production."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jaga.core.errors import DomainError
from jaga.core.images import clean_file, clean_image
from jaga.core.protected import protected_storage
from tests.conftest import client_for

GPS_TAG = 0x8825
MAKE_TAG = 0x010F
ORIENTATION_TAG = 0x0112


def jpeg_with_gps(size: tuple[int, int] = (60, 30), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[MAKE_TAG] = "KameraMerk"
    exif[0x0110] = "Model X-1"
    exif[ORIENTATION_TAG] = orientation
    exif[GPS_TAG] = {1: "S", 2: (8.0, 3.0, 0.0), 3: "E", 4: (111.0, 42.0, 0.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=xmp)
    return out.getvalue()


def assert_clean(data: bytes) -> Image.Image:
    assert b"KameraMerk" not in data and b"xmpmeta" not in data
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert GPS_TAG not in exif and MAKE_TAG not in exif and not exif.get_ifd(GPS_TAG)
    assert "xmp" not in image.info and "exif" not in image.info
    return image


def test_the_source_photo_really_carries_gps() -> None:
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(GPS_TAG) and b"KameraMerk" in jpeg_with_gps()


def test_a_photo_is_re_encoded_upright_bounded_and_without_metadata(settings: Any) -> None:
    settings.PHOTO_MAX_SIDE = 40
    # Orientation 6: the camera was turned; the stored picture must stand upright without it.
    clean = clean_image(io.BytesIO(jpeg_with_gps((80, 20), orientation=6)), name="a.jpg")
    image = assert_clean(clean.content.read())
    assert image.size == (10, 40) and (clean.width, clean.height) == (10, 40)
    assert clean.content_type == "image/jpeg"


def test_non_images_and_decompression_bombs_are_refused() -> None:
    with pytest.raises(DomainError, match="JPEG"):
        clean_image(io.BytesIO(b"%PDF-1.4 not a photo"), name="a.jpg")
    bomb = io.BytesIO()
    Image.new("1", (8000, 6000)).save(bomb, "PNG")  # 48 million pixels in a few kB
    bomb.seek(0)
    with pytest.raises(DomainError):
        clean_image(bomb, name="bomb.png")
    with pytest.raises(DomainError, match="PDF"):
        clean_file(io.BytesIO(b"MZ"), name="virus.exe")


def test_a_picture_disguised_as_a_document_is_still_cleaned() -> None:
    content, is_photo = clean_file(io.BytesIO(jpeg_with_gps()), name="scan.pdf")
    assert is_photo and content.name == "scan.jpg"
    assert_clean(content.read())
    pdf, is_photo = clean_file(io.BytesIO(b"%PDF-1.4 minutes"), name="notulen.pdf")
    assert not is_photo and pdf.read() == b"%PDF-1.4 minutes"


def visit_form(village: Any, photo: bytes) -> dict[str, Any]:
    return {
        "village": village.pk,
        "visited_on": "2024-03-05",
        "household_head": "Pak Karno",
        "members_met": 2,
        "topic": "social",
        "concerns": "Anak putus sekolah",
        "photo": SimpleUploadedFile("rumah.jpg", photo, content_type="image/jpeg"),
    }


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_a_visit_photo_loses_gps_and_is_served_only_in_scope(
    alice_client: Client,
    charlie_client: Client,
    client: Client,
    village_a: Any,
    settings: Any,
    partner: Any,
    admin_user: Any,
) -> None:
    from jaga.fieldwork.models import Visit

    response = alice_client.post(
        "/lapangan/kunjungan/baru/", visit_form(village_a, jpeg_with_gps())
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    stored = (settings.PROTECTED_MEDIA_ROOT / visit.photo.name).read_bytes()
    assert_clean(stored)
    assert not (settings.MEDIA_ROOT / visit.photo.name).exists()
    assert visit.photo.url == ""  # no public URL
    url = f"/lapangan/kunjungan/{visit.pk}/foto/"
    served = alice_client.get(url)
    assert served.status_code == 200 and body(served) == stored
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "private" in served["Cache-Control"]
    assert charlie_client.get(url).status_code == 404  # out of scope
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/akun/" in anonymous["Location"]
    partner_client = client_for(partner)
    assert partner_client.get(url).status_code == 403  # in the area, but not police
    assert client.get(f"/media/{visit.photo.name}").status_code == 404
    admin = client_for(admin_user)
    page = admin.get(f"/admin/fieldwork/visit/{visit.pk}/change/")
    assert page.status_code == 200 and visit.photo.name in page.content.decode()


@pytest.mark.parametrize(
    ("server", "header"), [("nginx", "X-Accel-Redirect"), ("apache", "X-Sendfile")]
)
def test_production_hands_the_file_to_the_web_server(
    server: str, header: str, alice_client: Client, village_a: Any, settings: Any
) -> None:
    from jaga.fieldwork.models import Visit

    alice_client.post("/lapangan/kunjungan/baru/", visit_form(village_a, jpeg_with_gps()))
    visit = Visit.objects.get()
    settings.PROTECTED_MEDIA_SERVER = server
    settings.PROTECTED_MEDIA_NGINX_PREFIX = "/_protected/"
    response = alice_client.get(f"/lapangan/kunjungan/{visit.pk}/foto/")
    assert response.status_code == 200 and response.content == b""
    assert response["Content-Type"] == "image/jpeg"
    expected = {
        "nginx": f"/_protected/{visit.photo.name}",
        "apache": str(settings.PROTECTED_MEDIA_ROOT / visit.photo.name),
    }[server]
    assert response[header] == expected


def test_activity_files_and_agreements_are_cleaned_and_scoped(
    satbinmas: Any,
    bob_client: Client,
    charlie_client: Client,
    client: Client,
    village_a: Any,
    settings: Any,
) -> None:
    from jaga.partners import services as partners
    from jaga.programs import services as programs

    programme = programs.create_programme(actor=satbinmas, code="FKPM", name="Forum")
    activity = programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat",
        starts_at=datetime.datetime(2024, 3, 5, 9, tzinfo=datetime.UTC),
        village=village_a,
    )
    attached = programs.attach_file(
        activity,
        actor=satbinmas,
        upload=SimpleUploadedFile("rapat.jpg", jpeg_with_gps(), content_type="image/jpeg"),
    )
    assert attached.is_photo
    assert_clean((settings.PROTECTED_MEDIA_ROOT / attached.file.name).read_bytes())
    url = f"/program/kegiatan/{activity.pk}/lampiran/{attached.pk}/"
    assert body(bob_client.get(url))[:2] == b"\xff\xd8"
    assert charlie_client.get(url).status_code == 404
    assert client.get(url).status_code == 302

    agreement = partners.record_agreement(
        actor=satbinmas,
        title="MoU",
        kind="mou",
        territory=village_a,
        signed_on=datetime.date(2024, 1, 1),
        parties=[{"role": "police", "name": "A"}, {"role": "community", "name": "B"}],
        document=SimpleUploadedFile("mou.jpg", jpeg_with_gps(), content_type="image/jpeg"),
    )
    assert_clean((settings.PROTECTED_MEDIA_ROOT / agreement.document.name).read_bytes())
    url = f"/mitra/perjanjian/{agreement.pk}/dokumen/"
    served = bob_client.get(url)
    assert served.status_code == 200 and served["Content-Disposition"].startswith("attachment")
    body(served)
    assert charlie_client.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_a_case_document_is_served_only_in_scope(
    alice: Any, alice_client: Client, charlie_client: Client, client: Client, village_a: Any
) -> None:
    from jaga.fieldwork import services
    from jaga.fieldwork.models import ProblemCase

    case = services.open_case(
        actor=alice,
        village=village_a,
        title="Sengketa batas",
        kind="non_dispute",
        opened_on=datetime.date(2024, 3, 5),
        problem="Batas tanah",
    )
    name = protected_storage().save("fieldwork/agreements/2024/a.pdf", ContentFile(b"%PDF-1.4"))
    ProblemCase.objects.filter(pk=case.pk).update(agreement_document=name)
    url = f"/lapangan/kasus/{case.pk}/dokumen/"
    assert body(alice_client.get(url)) == b"%PDF-1.4"
    assert charlie_client.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_the_desk_photo_link_helper_points_at_the_checked_views(db: Any, village_a: Any) -> None:
    from jaga.servicedesk.photos import photo_url

    class Fake:
        pk = 7

        class request:  # noqa: N801 - mimics Attachment.request
            ticket = "ABC123"

    assert photo_url(Fake(), public=False) == "/layanan/tiket/ABC123/foto/7/"  # type: ignore[arg-type]
    assert photo_url(Fake(), public=True) == "/layanan/lacak/ABC123/foto/7/"  # type: ignore[arg-type]
