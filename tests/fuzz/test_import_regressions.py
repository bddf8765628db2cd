"""Importers read what Excel saves and refuse the rest with a message (issue 10, item 7)."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from jaga.core.errors import DomainError, ImportFailed
from jaga.core.tabular import SNIFF_BYTES, iter_rows, sniff_encoding
from jaga.incidents.imports import import_incidents
from jaga.incidents.models import Incident
from jaga.partners.services import import_people
from jaga.territory.models import Population

pytestmark = pytest.mark.django_db

HEADER = ["occurred_at", "village_code", "category", "source_ref", "description"]
ROW = ["2023-01-05", "35.03.11.1002", "miras", "SPKT-1", "Pesta miras di Kelurahan Ngantru"]


def encoded(rows: list[list[str]], encoding: str, delimiter: str = ",", bom: bytes = b"") -> bytes:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    return bom + text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [
        ("utf-8", b"", ","),
        ("utf-8", codecs.BOM_UTF8, ","),
        ("utf-8", b"", ";"),  # "CSV" of an Indonesian Excel
        ("utf-16-le", codecs.BOM_UTF16_LE, "\t"),  # Excel's "Unicode text"
        ("utf-16-be", codecs.BOM_UTF16_BE, "\t"),
        ("cp1252", b"", ","),
        ("latin-1", b"", ","),
    ],
)
def test_every_encoding_excel_saves_is_read(encoding: str, bom: bytes, delimiter: str) -> None:
    row = [*ROW[:4], "Pesta miras di warung Bu Sumarni – café"]
    if encoding == "latin-1":
        row[4] = "Pesta miras di café"  # no en dash in Latin-1
    data = encoded([HEADER, row], encoding, delimiter, bom)
    result = import_incidents(io.BytesIO(data), name="riwayat.csv")
    assert result.created == 1
    assert Incident.objects.get().description == row[4]


def test_latin1_and_utf16_files_are_read_from_a_path(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(encoded([HEADER, [*ROW[:4], "Kafé"]], "latin-1"))
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes(
        encoded([HEADER, [*ROW[:3], "SPKT-2", "Kafé"]], "utf-16-le", "\t", codecs.BOM_UTF16_LE)
    )
    assert import_incidents(latin).created == 1
    assert import_incidents(utf16).created == 1


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\x03binary" * 10,
        codecs.BOM_UTF16_LE + "a,b\n".encode("utf-16-le") + b"\x00",  # odd byte count
        "occurred_at,village_code\n".encode("utf-16-le"),  # UTF-16 without its BOM
    ],
)
def test_a_file_that_is_not_text_is_refused_with_a_message(data: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        import_incidents(io.BytesIO(data), name="x.csv")
    assert caught.value.code in ("bad_encoding", "missing_columns")
    assert not Incident.objects.exists()


def test_a_file_mixing_encodings_names_where_it_breaks() -> None:
    head = encoded([HEADER, ROW], "utf-8")
    filler = b"".join(
        encoded([[*ROW[:3], f"F-{i}", "isi"]], "utf-8") for i in range(3000)
    )  # past the sample judged for the encoding
    data = head + filler + encoded([[*ROW[:3], "X-1", "Kafé"]], "cp1252")
    with pytest.raises(DomainError) as caught:
        import_incidents(io.BytesIO(data), name="x.csv")
    assert caught.value.code == "bad_encoding"
    assert "CSV UTF-8" in str(caught.value.message)
    assert not Incident.objects.exists()


def test_utf8_is_judged_utf8_even_when_a_character_is_cut_at_the_sample_end() -> None:
    cut = ("a" * (SNIFF_BYTES - 1) + "é").encode()[:SNIFF_BYTES]
    assert sniff_encoding(cut) == ("utf-8", "strict")
    assert sniff_encoding("abc é".encode()[:-1]) == ("cp1252", "jaga_latin1")
    assert sniff_encoding("é,abc".encode("cp1252")) == ("cp1252", "jaga_latin1")


@pytest.mark.parametrize("day", ["0001-01-01", "1800-06-01", "1944-12-31"])
def test_dates_before_1945_are_refused_with_their_line(day: str) -> None:
    data = encoded([HEADER, ROW, [day, *ROW[1:3], "SPKT-9", "x"]], "utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_incidents(io.BytesIO(data), name="x.csv")
    assert caught.value.errors[0]["line"] == 3
    assert "1945-01-01" in caught.value.errors[0]["error"]
    assert not Incident.objects.exists()


def test_a_birth_year_of_people_is_not_a_date_but_a_joined_date_is_checked(alice) -> None:  # type: ignore[no-untyped-def]
    data = "kind,name,territory_code,founded_on\nfkpm,FKPM Tamanan,35.03.11.1002,0001-01-01\n"
    from jaga.partners.services import import_organisations

    with pytest.raises(ImportFailed) as caught:
        import_organisations(io.BytesIO(data.encode()), name="o.csv", actor=None)
    assert caught.value.errors[0]["line"] == 2
    assert "1800-01-01" in caught.value.errors[0]["error"]


@pytest.mark.parametrize("content", ["", "\r\n", "village_code,year,count,source\r\n"])
def test_an_empty_or_header_only_populations_file_fails_the_command(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(content)
    with pytest.raises(CommandError) as caught:
        call_command("territory", "import-populations", str(path))
    assert "kosong" in str(caught.value) or "tanpa baris" in str(caught.value)
    assert not Population.objects.exists()


def test_a_header_only_points_file_fails_the_command(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("village_code,latitude,longitude\n")
    with pytest.raises(CommandError, match="tanpa baris"):
        call_command("territory", "import-points", str(path))


def test_a_header_only_xlsx_is_no_rows() -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["full_name", "village_code"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    with pytest.raises(DomainError) as caught:
        list(iter_rows(buffer, ["full_name", "village_code"], name="p.xlsx"))
    assert caught.value.code == "no_rows"


def test_the_header_only_people_file_is_an_error_not_zero_imported(alice) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError):
        import_people(io.BytesIO(b"full_name,village_code\n"), name="p.csv", actor=alice)


def test_a_locked_sqlite_database_is_refused_clearly(admin_client_, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import jaga.incidents.api as incidents_api

    def busy(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(incidents_api, "import_incidents", busy)
    upload = io.BytesIO(encoded([HEADER, ROW], "utf-8"))
    upload.name = "x.csv"
    response = admin_client_.post(
        "/api/v1/incidents/import", {"file": upload}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "database_busy"


def test_the_command_line_says_the_database_is_busy(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import django.core.management

    from jaga import cli

    def busy(argv):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(django.core.management, "execute_from_command_line", busy)
    with pytest.raises(SystemExit) as caught:
        cli.main(["incidents", "import", "x.csv"])
    assert caught.value.code == 3
    assert "sibuk" in capsys.readouterr().err


def _xlsx(*rows: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_nul_past_the_sample_is_refused_with_its_line() -> None:
    filler = [[*ROW[:3], f"F-{i}", "isi"] for i in range(3000)]
    data = encoded([HEADER, *filler, [*ROW[:3], "X-1", "a\x00b"]], "utf-8")
    assert b"\x00" not in data[:SNIFF_BYTES]
    with pytest.raises(DomainError) as caught:
        import_incidents(io.BytesIO(data), name="x.csv")
    assert caught.value.code == "bad_encoding" and "3002" in str(caught.value.message)
    assert not Incident.objects.exists()


def test_a_workbook_with_a_damaged_sheet_is_refused_with_a_message() -> None:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(_xlsx(HEADER, ROW)))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            out.writestr(item, content)
    with pytest.raises(DomainError) as caught:
        import_incidents(io.BytesIO(damaged.getvalue()), name="x.xlsx")
    assert caught.value.code in ("bad_file", "bad_xlsx")
    assert not Incident.objects.exists()
