"""Read CSV and XLSX files as a stream of (line number, row dict): the base of every import.

Imports never hold a whole file in memory: CSV is read line by line and XLSX in openpyxl's
read-only mode. Headers are normalised (trimmed, lower-case) and line numbers are the ones a person
sees in the spreadsheet (the header is line 1). An uploaded stream is refused above
`MAX_UPLOAD_BYTES`, and an XLSX whose zip unpacks to too much before openpyxl opens it.

Every export goes through `write_csv`, `write_xlsx` or `csv_writer`, which neutralise cells that a
spreadsheet would run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from jaga.core.errors import DomainError
from jaga.core.uploads import check_upload_size, check_xlsx_archive

Row = dict[str, str]

# A cell starting with one of these is a formula to Excel / LibreOffice (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTS_CHARS = "".join(FORMULA_STARTS)


class FileFormatError(DomainError):
    pass


def restore(text: str) -> str:
    """Undo `neutralise` on a cell read back: an export imported again gives the same text."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS_CHARS:
        return text[1:]
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return restore(str(value).strip())


def detect_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lowered.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    raise FileFormatError(
        "unsupported_format",
        _("Unsupported file type: %(name)s. Use CSV or XLSX.") % {"name": name},
    )


def _check_header(header: list[str], required: list[str]) -> list[str]:
    normalised = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in normalised]
    if missing:
        raise FileFormatError(
            "missing_columns",
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)},
            missing=missing,
        )
    return normalised


def iter_csv(stream: IO[str], required: list[str]) -> Iterator[tuple[int, Row]]:
    # strict: a half-written file (an unterminated quote at the end) is an error, not a row.
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError("empty_file", _("The file is empty.")) from None
    except csv.Error as exc:
        raise FileFormatError(
            "bad_csv", _("The file is not valid CSV: %(error)s") % {"error": exc}
        ) from exc
    columns = _check_header(header, required)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            yield (
                line,
                {
                    c: (restore(row[i].strip()) if i < len(row) else "")
                    for i, c in enumerate(columns)
                },
            )
    except csv.Error as exc:
        raise FileFormatError(
            "bad_csv",
            _("Line %(line)s is not valid CSV: %(error)s")
            % {"line": reader.line_num, "error": exc},
        ) from exc


def iter_xlsx(source: str | Path | IO[bytes], required: list[str]) -> Iterator[tuple[int, Row]]:
    import zipfile

    from openpyxl import load_workbook

    check_xlsx_archive(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(
            "bad_xlsx", _("The file is not a valid XLSX workbook: %(error)s") % {"error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = [_cell(v) for v in next(rows)]
        except StopIteration:
            raise FileFormatError("empty_file", _("The file is empty.")) from None
        columns = _check_header(header, required)
        for index, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values]
            if not any(cells):
                continue
            yield index, {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns)}
    finally:
        workbook.close()


def iter_rows(
    source: str | Path | IO[bytes], required: list[str], name: str | None = None
) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV / XLSX file given as a path or a binary stream (with its file name)."""
    filename = name or str(source)
    fmt = detect_format(filename)
    if not isinstance(source, str | Path):
        # A stream is an upload (a path is an operator's file on the command line).
        check_upload_size(source, name=Path(filename).name)
    if fmt == "xlsx":
        yield from iter_xlsx(source, required)
        return
    if isinstance(source, str | Path):
        opener = gzip.open if str(source).endswith(".gz") else open
        with opener(source, "rt", encoding="utf-8-sig", newline="") as text:  # type: ignore[operator]
            yield from iter_csv(text, required)
        return
    binary = gzip.GzipFile(fileobj=source) if filename.endswith(".gz") else source
    text_stream = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
    try:
        yield from iter_csv(text_stream, required)
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            "bad_encoding", _("The file is not UTF-8 text: %(error)s") % {"error": exc}
        ) from exc
    finally:
        text_stream.detach()


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate, made inert with a leading quote; other values
    (numbers, dates, None) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _NeutralisingWriter:
    def __init__(self, stream: IO[str] | Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: list[Any]) -> Any:
        return self._writer.writerow([neutralise("" if v is None else v) for v in row])


def csv_writer(stream: IO[str] | Any) -> _NeutralisingWriter:
    """A csv.writer whose text cells cannot run as formulas (see `neutralise`)."""
    return _NeutralisingWriter(stream)


def write_xlsx(headers: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> bytes:
    """An XLSX workbook (write-only mode, so large exports stream) with one sheet.

    Text is always written as text: a value starting with "=" is quoted by `neutralise` and the
    cell's type forced to string, so no cell of an export is ever a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()

    def cells(row: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=neutralise(value))
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(value)
        return out

    sheet.append(cells(headers))
    for row in rows:
        sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()
