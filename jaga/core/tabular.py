"""Read CSV and XLSX files as a stream of (line number, row dict): the base of every import.

Imports never hold a whole file in memory: CSV is read line by line and XLSX in openpyxl's
read-only mode. Headers are normalised (trimmed, lower-case) and line numbers are the ones a person
sees in the spreadsheet (the header is line 1). An uploaded stream is refused above
`MAX_UPLOAD_BYTES`, and an XLSX whose zip unpacks to too much before openpyxl opens it.

Every export goes through `write_csv`, `write_xlsx` or `csv_writer`, which neutralise cells that a
spreadsheet would run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import itertools
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

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


def check_header(header: list[str], required: list[str]) -> list[str]:
    normalised = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in normalised]
    if missing:
        raise FileFormatError(
            "missing_columns",
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)},
            missing=missing,
        )
    return normalised


# How far into a file the encoding and the separator are judged (the rest is streamed).
SNIFF_BYTES = 64 * 1024


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; Latin-1 gives them a character, so no byte fails.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("jaga_latin1", _latin1_for_undefined)


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """The codec (and its error handler) of a text file, from its first bytes.

    Every encoding a user's Excel saves: UTF-8 with or without BOM ("CSV UTF-8"), UTF-16 with BOM
    ("Unicode text", little- or big-endian), and the Windows code page of "CSV" on an Indonesian or
    Western Windows (cp1252, a superset of Latin-1). A file that is none of these (binary, UTF-16
    without BOM) is refused with a message instead of read as garbage.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "strict"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    if b"\x00" in head:
        raise FileFormatError(
            "bad_encoding",
            _(
                "The file is not text: save it from Excel as “CSV UTF-8”, “Unicode text” "
                "or as an XLSX workbook."
            ),
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a full sample is still UTF-8.
        cut = exc.reason == "unexpected end of data" and len(head) >= SNIFF_BYTES
        if not cut:
            return "cp1252", "jaga_latin1"
    return "utf-8", "strict"


def sniff_delimiter(first_line: str) -> str:
    """Comma, or the tab of Excel's "Unicode text", or the semicolon of an Indonesian Excel."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def iter_csv(stream: IO[str], required: list[str]) -> Iterator[tuple[int, Row]]:
    first = stream.readline()
    if not first.strip():
        raise FileFormatError("empty_file", _("The file is empty."))
    lines = itertools.chain([first], stream)
    # strict: a half-written file (an unterminated quote at the end) is an error, not a row.
    reader = csv.reader(lines, strict=True, delimiter=sniff_delimiter(first))
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError("empty_file", _("The file is empty.")) from None
    except csv.Error as exc:
        raise FileFormatError(
            "bad_csv", _("The file is not valid CSV: %(error)s") % {"error": exc}
        ) from exc
    columns = check_header(header, required)
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
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            "bad_encoding",
            _(
                "After line %(line)s the text cannot be decoded (the file mixes encodings or "
                "is cut off): save it again from Excel as “CSV UTF-8”."
            )
            % {"line": reader.line_num},
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
        columns = check_header(header, required)
        for index, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values]
            if not any(cells):
                continue
            yield index, {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns)}
    finally:
        workbook.close()


class Prefixed(io.RawIOBase):
    """The bytes already read to judge the encoding, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _iter_text(binary: IO[bytes], required: list[str]) -> Iterator[tuple[int, Row]]:
    head = binary.read(SNIFF_BYTES)
    if not head:
        raise FileFormatError("empty_file", _("The file is empty."))
    buffered = io.BufferedReader(Prefixed(head, binary))
    encoding, errors = sniff_encoding(head)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")
    try:
        yield from iter_csv(text, required)
    except UnicodeError as exc:  # UTF-16 with an odd byte count, or bytes invalid in UTF-16
        raise FileFormatError(
            "bad_encoding",
            _("The file is not valid %(encoding)s text: %(error)s")
            % {"encoding": encoding.upper(), "error": getattr(exc, "reason", exc)},
        ) from exc
    finally:
        text.detach()


def iter_rows(
    source: str | Path | IO[bytes], required: list[str], name: str | None = None
) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV / XLSX file given as a path or a binary stream (with its file name).

    A file with a header and no row is an error (`no_rows`): an import that reads nothing must
    not answer "0 imported".
    """
    filename = name or str(source)
    fmt = detect_format(filename)
    if not isinstance(source, str | Path):
        # A stream is an upload (a path is an operator's file on the command line).
        check_upload_size(source, name=Path(filename).name)
    count = 0
    if fmt == "xlsx":
        rows = iter_xlsx(source, required)
    elif isinstance(source, str | Path):
        rows = _iter_path(source, required)
    else:
        binary = gzip.GzipFile(fileobj=source) if filename.endswith(".gz") else source
        rows = _iter_text(binary, required)  # type: ignore[arg-type]
    # A damaged workbook fails while its sheet is read, with whatever its XML parser raises.
    broken: tuple[type[BaseException], ...] = (OSError, EOFError)
    if fmt == "xlsx":
        broken += (zipfile.BadZipFile, KeyError, ValueError, TypeError, SyntaxError)
    try:
        for line, row in rows:
            # A NUL cannot be stored in PostgreSQL text; XLSX writes it as `_x0000_`.
            if any("\x00" in value for value in row.values()):
                raise FileFormatError(
                    "bad_encoding",
                    _("Line %(line)s holds a NUL character: the file is not plain text.")
                    % {"line": line},
                )
            count += 1
            yield line, row
    except broken as exc:  # a broken .gz, a truncated stream, a damaged workbook
        raise FileFormatError(
            "bad_file", _("The file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    if count == 0:
        raise FileFormatError("no_rows", _("The file has a header but no rows to import."))


def _iter_path(source: str | Path, required: list[str]) -> Iterator[tuple[int, Row]]:
    opener = gzip.open if str(source).endswith(".gz") else open
    with opener(source, "rb") as binary:
        yield from _iter_text(cast(IO[bytes], binary), required)


# Jaga's records start with the Republic: a date before 1945 in an import is a typing error
# (0001, 1800, a two-digit year read as the first century), as is one far in the future.
EARLIEST_DATE = datetime.date(1945, 1, 1)


def date_out_of_range(
    day: datetime.date,
    column: str,
    *,
    earliest: datetime.date = EARLIEST_DATE,
    days_ahead: int = 1,
    today: datetime.date | None = None,
) -> str | None:
    """A translated reason when `day` lies outside [earliest, today + days_ahead], else None."""
    from django.utils import timezone

    latest = (today or timezone.localdate()) + datetime.timedelta(days=days_ahead)
    if earliest <= day <= latest:
        return None
    return _("%(column)s %(value)s is outside %(first)s to %(last)s.") % {
        "column": column,
        "value": day.isoformat(),
        "first": earliest.isoformat(),
        "last": latest.isoformat(),
    }


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
