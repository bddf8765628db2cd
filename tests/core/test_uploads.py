"""Uploads cannot hurt: size limits on every path, zip bombs refused before openpyxl, error lists
capped at 100 with a count of the rest, memory flat while reading."""

from __future__ import annotations

import datetime
import io
import os
import time
import tracemalloc
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from PIL import Image

from jaga.core.errors import MAX_LISTED_ERRORS, DomainError, ErrorList, ImportFailed
from jaga.core.tabular import iter_rows
from jaga.core.uploads import check_xlsx_archive
from tests.conftest import client_for

LIMIT = 512 * 1024  # the per-file limit these tests set (0.5 MB)


def csv_bytes(header: str, row: str, size: int) -> bytes:
    lines = [header]
    total = len(header)
    while total < size:
        lines.append(row)
        total += len(row) + 1
    return ("\n".join(lines) + "\n").encode()


def noise_jpeg(side: int = 700) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, "JPEG", quality=95
    )
    return buffer.getvalue()


def minimal_xlsx(extra: list[tuple[str, int]] = (), *, entries: int = 0) -> io.BytesIO:  # type: ignore[assignment]
    """A valid one-sheet workbook, plus `extra` parts of `size` zero bytes written in chunks
    (so building a bomb takes no memory), plus `entries` empty parts."""
    from jaga.core.tabular import write_xlsx

    base = zipfile.ZipFile(io.BytesIO(write_xlsx(["a"], [["1"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        replaced = {name for name, _size in extra}
        for item in base.infolist():
            if item.filename not in replaced:
                archive.writestr(item, base.read(item))
        for name, size in extra:
            with archive.open(name, "w", force_zip64=True) as part:
                chunk = b"\0" * (1 << 20)
                for _ in range(size // len(chunk)):
                    part.write(chunk)
        for index in range(entries):
            archive.writestr(f"xl/media/empty{index}.bin", b"")
    out.seek(0)
    return out


# ------------------------------------------------------------------- XLSX decompression limits


def test_a_zip_bomb_is_refused_fast_and_in_little_memory(settings: Any) -> None:
    bomb = minimal_xlsx([("xl/worksheets/sheet1.xml", 64 << 20)])
    assert len(bomb.getvalue()) < 200_000  # 64 MiB of XML in well under 1 MB
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(DomainError) as caught:
        list(iter_rows(bomb, ["a"], name="bomb.xlsx"))
    elapsed = time.monotonic() - started
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.code == "xlsx_ratio" and "zip bomb" in str(caught.value.message)
    assert elapsed < 1.0 and peak < 2 << 20, (elapsed, peak)


def test_a_workbook_unpacking_to_too_much_is_refused(settings: Any) -> None:
    settings.XLSX_MAX_UNCOMPRESSED_BYTES = 8 << 20
    settings.XLSX_MAX_RATIO = 10**6  # only the total decides here
    with pytest.raises(DomainError) as caught:
        check_xlsx_archive(minimal_xlsx([("xl/sharedStrings.xml", 16 << 20)]))
    assert caught.value.code == "xlsx_too_large" and "8 MB" in str(caught.value.message)


def test_a_workbook_of_too_many_parts_is_refused(settings: Any) -> None:
    settings.XLSX_MAX_ENTRIES = 50
    with pytest.raises(DomainError) as caught:
        check_xlsx_archive(minimal_xlsx(entries=60))
    assert caught.value.code == "xlsx_too_many_parts"


def test_an_ordinary_workbook_passes_and_is_read(settings: Any) -> None:
    source = minimal_xlsx()
    assert list(iter_rows(source, ["a"], name="ok.xlsx")) == [(2, {"a": "1"})]


def test_the_incidents_command_refuses_a_bomb_with_a_message(tmp_path: Any, db: Any) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(minimal_xlsx([("xl/worksheets/sheet1.xml", 32 << 20)]).getvalue())
    with pytest.raises(CommandError, match="zip bomb"):
        call_command("incidents", "import", str(path), "--no-progress")


# ------------------------------------------------------------------------- streaming memory


def test_reading_a_large_csv_keeps_memory_flat(tmp_path: Any) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes("a,b,c", "1,2,some text here", 20 << 20))
    tracemalloc.start()
    count = sum(1 for _ in iter_rows(path, ["a", "b"]))
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count > 900_000 and peak < 2 << 20, peak


# ---------------------------------------------------------------------------- upload limits


def test_a_request_over_the_limit_is_refused_before_it_is_read(
    client: Client, settings: Any
) -> None:
    declared = str(settings.MAX_REQUEST_BYTES + 1)
    for path in ("/kejadian/impor/", "/layanan/lapor/balap_liar/", "/mitra/impor/people/"):
        response = client.generic("POST", path, b"x", "text/plain", CONTENT_LENGTH=declared)
        assert response.status_code == 413 and "MB" in response.content.decode()
    for path in ("/api/v1/incidents/import", "/api/v1/programmes/adoptions/import"):
        response = client.generic("POST", path, b"x", "text/plain", CONTENT_LENGTH=declared)
        assert response.status_code == 413 and response.json()["code"] == "too_large"


IMPORTS_CSV = csv_bytes(
    "programme_code,village_code,adopted_on", "KTS,35.03.11.1002,2021-04-01", LIMIT + 1000
)


@pytest.fixture
def small_limit(settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = LIMIT


def big(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, IMPORTS_CSV, content_type="text/csv")


# Every page and API operation taking a tabular file: (url, extra form fields).
TABULAR_PATHS: list[tuple[str, dict[str, str]]] = [
    ("/kejadian/impor/", {}),
    ("/wilayah/penduduk/impor/", {}),
    ("/program/adopsi/impor/", {}),
    ("/program/kegiatan/impor-ekspor/", {}),
    ("/mitra/impor/people/", {}),
    ("/mitra/impor/organisations/", {}),
    ("/mitra/impor/memberships/", {}),
    ("/survei/impor/", {"kind": "trust"}),
    ("/api/v1/incidents/import", {}),
    ("/api/v1/programmes/adoptions/import", {}),
    ("/api/v1/programmes/activities/import", {}),
    ("/api/v1/partners/people/import", {}),
    ("/api/v1/partners/organisations/import", {}),
    ("/api/v1/partners/memberships/import", {}),
]


@pytest.mark.parametrize(("url", "extra"), TABULAR_PATHS)
def test_an_oversized_file_is_refused_on_every_import_path(
    url: str, extra: dict[str, str], small_limit: None, admin_user: Any
) -> None:
    from jaga.core.models import AuditLog

    client = client_for(admin_user)
    before = AuditLog.objects.count()
    response = client.post(url, {"file": big("big.csv"), **extra}, follow=True)
    assert response.status_code in (200, 400, 413)
    assert "0.5 MB" in response.content.decode(), response.content[:500]
    assert AuditLog.objects.count() == before


def test_an_oversized_visit_photo_is_refused(
    alice_client: Client, village_a: Any, small_limit: None
) -> None:
    from jaga.fieldwork.models import Visit

    photo = noise_jpeg()
    assert len(photo) > LIMIT
    response = alice_client.post(
        "/lapangan/kunjungan/baru/",
        {
            "village": village_a.pk,
            "visited_on": "2024-03-05",
            "household_head": "Pak Karno",
            "members_met": 2,
            "topic": "social",
            "concerns": "Anak putus sekolah",
            "photo": SimpleUploadedFile("rumah.jpg", photo, content_type="image/jpeg"),
        },
    )
    assert "0.5 MB" in response.content.decode() and not Visit.objects.exists()


def test_oversized_attachments_are_refused(
    satbinmas: Any, village_a: Any, small_limit: None
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
    document = SimpleUploadedFile("notulen.pdf", b"%PDF-1.4\n" + b"0" * LIMIT)
    with pytest.raises(DomainError, match="0.5 MB"):
        programs.attach_file(activity, actor=satbinmas, upload=document)
    with pytest.raises(DomainError, match="0.5 MB"):
        partners.record_agreement(
            actor=satbinmas,
            title="MoU",
            kind="mou",
            territory=village_a,
            signed_on=datetime.date(2024, 1, 1),
            parties=[{"role": "police", "name": "A"}, {"role": "community", "name": "B"}],
            document=SimpleUploadedFile("mou.pdf", b"%PDF-1.4\n" + b"0" * LIMIT),
        )
    assert not activity.files.exists()


# ---------------------------------------------------------------------- capped error lists


def test_an_error_list_keeps_100_and_counts_the_rest() -> None:
    errors = ErrorList()
    for line in range(2, 352):
        errors.append({"line": line, "error": "bad"})
    assert len(errors) == MAX_LISTED_ERRORS and errors.more == 250 and errors.total == 350
    failed = ImportFailed("x", errors)
    body = failed.as_dict()
    assert len(body["errors"]) == 100 and body["more_errors"] == 250
    assert body["errors"][-1]["line"] == 101
    assert ImportFailed("x", [{"line": i, "error": "e"} for i in range(130)]).errors.more == 30


BAD_ADOPTIONS = csv_bytes(
    "programme_code,village_code,adopted_on", "NOPE,35.03.11.1002,2021-04-01", 350 * 30
)


def test_the_adoptions_api_caps_its_errors(admin_user: Any) -> None:
    client = client_for(admin_user)
    upload = SimpleUploadedFile("a.csv", BAD_ADOPTIONS, content_type="text/csv")
    response = client.post("/api/v1/programmes/adoptions/import", {"file": upload})
    body = response.json()
    rows = BAD_ADOPTIONS.count(b"\n") - 1
    assert response.status_code == 400 and len(body["errors"]) == 100
    assert body["more_errors"] == rows - 100 and str(rows) in body["message"]


def test_the_adoptions_page_shows_100_errors_and_the_count(admin_user: Any) -> None:
    client = client_for(admin_user)
    upload = SimpleUploadedFile("a.csv", BAD_ADOPTIONS, content_type="text/csv")
    page = client.post("/program/adopsi/impor/", {"file": upload}).content.decode()
    rows = BAD_ADOPTIONS.count(b"\n") - 1
    assert page.count('<td class="num">') == 100 and f"{rows - 100} " in page


def test_the_adoptions_command_lists_100_errors_and_the_count(tmp_path: Any, db: Any) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(BAD_ADOPTIONS)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("programmes", "import-adoptions", str(path), "--quiet", stderr=err)
    lines = err.getvalue().strip().splitlines()
    rows = BAD_ADOPTIONS.count(b"\n") - 1
    assert len(lines) == 101 and str(rows - 100) in lines[-1]
