"""PostgreSQL's fast path of the incident import: the CSV's text goes to the database untouched.

The decoded text is streamed in blocks into `COPY ... (FORMAT csv)` into a temporary table of
text columns (`RAW`), one row per record, numbered by its line; one INSERT ... SELECT then trims,
checks and converts every row in SQL and stages the rows it accepts (`jaga_incident_stage`, as the
Python path does). The SQL accepts only what it is sure of: rows it refuses come back to Python,
where `_Checker` (the same code as the Python path) accepts them or words their errors. So
`_Checker` stays the authority on every rule and message, and the SQL only has to agree with it on
the rows it accepts, which `tests/incidents/test_sql_import.py` checks on generated rows.

The text goes to COPY only when PostgreSQL reads it exactly as Python's `csv` module does: no
quote except around a whole field on one line, no empty line, no bare carriage return, no NUL, no
`\\.` line (COPY's end of data). Anything else (or any error on the way: decoding, COPY) makes
`stage_raw_csv` return False, and the caller imports the file on the Python path from its start.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg
from django.db import DatabaseError, connection

from jaga.accounts.access import ALL_CODES
from jaga.core.tabular import (
    FORMULA_STARTS_CHARS,
    SNIFF_BYTES,
    FileFormatError,
    Prefixed,
    check_header,
    sniff_delimiter,
    sniff_encoding,
)
from jaga.incidents.models import Category
from jaga.incidents.services import LAT_RANGE, LON_RANGE
from jaga.territory.models import Level, Territory

RAW = "jaga_incident_raw"
BLOCK = 1 << 20  # characters of text per write to COPY
# What Python's str.strip() removes: btrim() with this set trims the same.
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
DELIMITERS = {",": "','", ";": "';'", "\t": "E'\\t'"}


class NotPlain(Exception):
    """The text holds something COPY would read otherwise than Python's csv module."""


@dataclass
class RawFile:
    columns: list[str]  # the header, normalised
    records: int = 0  # records copied (blank ones included)


def _quoted_field(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    return re.compile(rf'(?:^|(?<={d}))"(?:[^"\r\n]|"")*"(?={d}|\r?$)', re.MULTILINE)


END_OF_DATA = re.compile(r"^\\\.\r?$", re.MULTILINE)


def _check_block(block: str, quoted: re.Pattern[str]) -> None:
    if "\x00" in block:
        raise NotPlain("NUL")
    if '"' in block and '"' in quoted.sub("", block):
        raise NotPlain("a quote inside a field, or a quoted field over several lines")
    if "\r" in block and block.count("\r") != block.count("\r\n"):
        raise NotPlain("a bare carriage return")
    if block.startswith(("\n", "\r")) or "\n\n" in block or "\n\r\n" in block:
        raise NotPlain("an empty line")
    if "\\." in block and END_OF_DATA.search(block):
        raise NotPlain("COPY's end-of-data marker")


def seekable(source: str | Path | IO[bytes]) -> bool:
    if isinstance(source, str | Path):
        return True
    try:
        return bool(source.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def stage_raw_csv(
    source: str | Path | IO[bytes],
    name: str,
    required: list[str],
    progress: Any = None,
) -> RawFile | None:
    """Copy the CSV's records into RAW as text; None when the file must take the Python path.

    Call inside a savepoint: on None, what was copied is to be rolled back.
    """
    opened: IO[bytes] | None = None
    if isinstance(source, str | Path):
        opener: Any = gzip.open if str(source).endswith(".gz") else open
        opened = binary = opener(source, "rb")
    else:
        start = source.tell()
        binary = gzip.GzipFile(fileobj=source) if name.endswith(".gz") else source
    try:
        head = binary.read(SNIFF_BYTES)
        encoding, errors = sniff_encoding(head)
        text = io.TextIOWrapper(
            io.BufferedReader(Prefixed(head, binary)), encoding=encoding, errors=errors, newline=""
        )
        first = text.readline()
        delimiter = sniff_delimiter(first)
        if delimiter not in DELIMITERS or not first.strip():
            return None
        header = next(csv.reader([first], strict=True, delimiter=delimiter))
        raw = RawFile(columns=check_header(header, required))
        _create_raw(len(raw.columns))
        _copy_records(text, raw, delimiter, "\r\n" if first.endswith("\r\n") else "\n", progress)
        if not raw.records:
            return None
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {RAW}")
        return raw
    except (
        NotPlain,
        FileFormatError,  # of the header: the Python path words it
        DatabaseError,
        psycopg.Error,  # of COPY, raised by psycopg's own cursor
        UnicodeError,
        csv.Error,
        ValueError,
        OSError,
        EOFError,
    ):
        return None
    finally:
        if opened is not None:
            opened.close()
        else:
            source.seek(start)  # type: ignore[union-attr]


def _copy_records(text: IO[str], raw: RawFile, delimiter: str, ending: str, progress: Any) -> None:
    """COPY the records after the header into RAW, a block of whole lines at a time, each block
    checked first (`_check_block`); counts them in `raw.records`. `ending` is the header's line
    ending, given to a last line without one."""
    cells = ", ".join(f"c{i}" for i in range(len(raw.columns)))
    quoted = _quoted_field(delimiter)
    sql = (
        f"COPY {RAW} ({cells}) FROM STDIN (FORMAT csv, DELIMITER {DELIMITERS[delimiter]}, "
        f"FORCE_NOT_NULL ({cells}))"
    )
    carry = ""
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        while True:
            chunk = text.read(BLOCK)
            block = carry + chunk
            if not chunk:  # the end: a file may end with empty lines (csv skips them)
                block = block.rstrip("\r\n")
                if not block:
                    break
                block += ending
                carry = ""
            else:
                cut = block.rfind("\n") + 1
                block, carry = block[:cut], block[cut:]
                if not block:
                    continue
            _check_block(block, quoted)
            copy.write(block)
            raw.records += block.count("\n")
            if progress is not None:
                progress(raw.records)
            if not chunk:
                break


def _create_raw(width: int) -> None:
    cells = ", ".join(f"c{i} text" for i in range(width))
    with connection.cursor() as cursor:
        # Dropped and made again: its width is the file's.
        cursor.execute(f"DROP TABLE IF EXISTS {RAW}")
        cursor.execute(f"CREATE TEMPORARY TABLE {RAW} (line bigserial, {cells})")
        # A record is one line (`_check_block`) and the header is line 1.
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{RAW}', 'line'), 1)")


def _cell(columns: list[str], field: str) -> str:
    return f"c{columns.index(field)}" if field in columns else "''"


# The date forms the SQL reads (LIKE and a digit check: PostgreSQL's regular expressions cost
# several times more per row); the rarer forms of ISO 8601 are left to Python.
MOMENT_SHAPES = [
    "____-__-__",
    "____-__-__T__:__",
    "____-__-__ __:__",
    "____-__-__T__:__:__",
    "____-__-__ __:__:__",
    "____-__-__T__:__:__Z",
    "____-__-__T__:__:__+__:__",
    "____-__-__T__:__:__-__:__",
]
NUMBER = r"^-?[0-9]{1,3}([.,][0-9]{1,12})?$"


def check_and_stage(
    raw: RawFile,
    stage: str,
    *,
    scopes: list[str],
    sources: list[str],
    now: Any,
    zone: str,
) -> int:
    """Stage, converted, every row of RAW the SQL is sure `_Checker` accepts; return how many.

    The rules are those of `_Checker.quick`; dates are read from 1970 on in the common ISO 8601
    forms only (older ones and the rarer forms are left to Python, whose zone data may differ
    from PostgreSQL's for the offsets of the 1940s to 1960s).
    """
    sql = _stage_sql(raw.columns, stage, every_village=ALL_CODES in scopes)
    params = {
        "formula": FORMULA_STARTS_CHARS,
        "ws": WHITESPACE,
        "zone": zone,
        "sources": sources,
        "scopes": scopes,
        "now": now,
        "level": Level.VILLAGE.value,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        (session_zone,) = cursor.fetchone()
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])
        # The row estimate of RAW through all these conditions is one row, which makes nested
        # loops over the villages; hash joins are what a file of any length wants.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        staged = int(cursor.rowcount)
        cursor.execute("RESET enable_nestloop")
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [session_zone])
        cursor.execute(f"ANALYZE {stage}")
    return staged


def _restored_sql(name: str) -> str:
    """SQL of `restore`: a neutralised formula (an apostrophe before = + - @ ...) read back.
    Only the free-text cells need it: no code, date or number the SQL accepts starts so."""
    return (
        f"CASE WHEN length({name}) > 1 AND left({name}, 1) = '''' AND "
        f"strpos(%(formula)s, substr({name}, 2, 1)) > 0 THEN substr({name}, 2) "
        f"ELSE {name} END"
    )


def _moment_sql() -> str:
    """SQL of the moment in the trimmed cell `w` (a timestamptz), NULL when it is not one of
    MOMENT_SHAPES from 1970 on with a real day. The session's zone (set by `check_and_stage`)
    places a date or a date-time without offset in local time, as `parse_moment` does."""
    day_ok = (
        "substr(w, 9, 2)::int <= CASE substr(w, 6, 2)::int WHEN 2 THEN "
        "CASE WHEN substr(w, 1, 4)::int %% 4 = 0 AND (substr(w, 1, 4)::int %% 100 <> 0 "
        "OR substr(w, 1, 4)::int %% 400 = 0) THEN 29 ELSE 28 END "
        "WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END"
    )
    shapes = ", ".join(f"'{shape}'" for shape in MOMENT_SHAPES)
    digits = (
        "left(w, 4) || substr(w, 6, 2) || substr(w, 9, 2) || substr(w, 12, 2) || "
        "substr(w, 15, 2) || substr(w, 18, 2) || "
        "CASE WHEN length(w) = 25 THEN substr(w, 21, 2) || right(w, 2) ELSE '' END"
    )
    ranges = (
        "left(w, 4) >= '1970' AND substr(w, 6, 2) BETWEEN '01' AND '12' "
        "AND substr(w, 9, 2) BETWEEN '01' AND '31' "
        "AND (length(w) = 10 OR (substr(w, 12, 2) <= '23' AND substr(w, 15, 2) <= '59' "
        "AND (length(w) = 16 OR substr(w, 18, 2) <= '59'))) "
        "AND (length(w) < 25 OR (substr(w, 21, 2) <= '14' AND right(w, 2) <= '59'))"
    )
    return (
        f"CASE WHEN w LIKE ANY (ARRAY[{shapes}]) AND btrim({digits}, '0123456789') = '' "
        f"AND {ranges} AND (substr(w, 9, 2) <= '28' OR {day_ok}) THEN w::timestamptz END"
    )


def _number_sql(name: str) -> str:
    """SQL of the number in the trimmed cell `name` (float8), NULL when it is not one."""
    return (
        f"CASE WHEN {name} <> '' AND {name} ~ '{NUMBER}' THEN replace({name}, ',', '.')::float8 END"
    )


def _stage_sql(col: list[str], stage: str, *, every_village: bool) -> str:
    """The INSERT ... SELECT that trims, checks and converts RAW's rows (of header `col`) and
    stages those it accepts; `every_village` leaves out the scope condition."""

    def trimmed(field: str) -> str:
        return f"btrim({_cell(col, field)}, %(ws)s)"

    scope = (
        ""
        if every_village
        else "AND EXISTS (SELECT 1 FROM unnest(%(scopes)s::text[]) s "
        "WHERE v.code = s OR starts_with(v.code, s || '.'))"
    )
    villages = (
        f"(SELECT id, code, regency_code, district_code, valid_to FROM {Territory._meta.db_table} "  # noqa: S608
        "WHERE level = %(level)s)"
    )
    categories = f"(SELECT id, code FROM {Category._meta.db_table} WHERE is_active)"  # noqa: S608
    return f"""
    INSERT INTO {stage} (line, category_id, village_id, regency_code, district_code, occurred_at,
        source, source_ref, latitude, longitude, severity, description, month)
    SELECT r.line, k.id, v.id, v.regency_code, v.district_code, r.at, r.source, r.ref,
        r.lat, r.lon, r.severity, r.description,
        date_trunc('month', r.at)::date
    FROM (
        SELECT line, code, category, ref, description, lat_text, lon_text,
            CASE WHEN source IN ('', 'import') THEN 'import'
                 WHEN source = ANY(%(sources)s::text[]) THEN source END AS source,
            CASE severity WHEN '' THEN 2 WHEN '1' THEN 1 WHEN '2' THEN 2 WHEN '3' THEN 3
                END AS severity,
            {_moment_sql()} AS at,
            {_number_sql("lat_text")} AS lat, {_number_sql("lon_text")} AS lon
        FROM (
            SELECT line, w, code, category, source, severity, lat_text, lon_text,
                {_restored_sql("ref_text")} AS ref, {_restored_sql("text")} AS description
            FROM (
                SELECT line, {trimmed("occurred_at")} AS w, {trimmed("village_code")} AS code,
                    {trimmed("category")} AS category, {trimmed("source_ref")} AS ref_text,
                    {trimmed("description")} AS text, {trimmed("source")} AS source,
                    {trimmed("severity")} AS severity, {trimmed("latitude")} AS lat_text,
                    {trimmed("longitude")} AS lon_text
                FROM {RAW}
                OFFSET 0
            ) cells
            OFFSET 0  -- fences: each cell is worked on once, not once per use
        ) tidied
        OFFSET 0
    ) r
    JOIN {villages} v ON v.code = r.code
    JOIN {categories} k ON k.code = r.category
    WHERE r.at IS NOT NULL AND r.at <= %(now)s AND r.source IS NOT NULL
        AND r.severity IS NOT NULL AND r.ref <> '' AND length(r.ref) <= 100
        AND ((r.lat_text = '' AND r.lon_text = '') OR (
            r.lat BETWEEN {LAT_RANGE[0]} AND {LAT_RANGE[1]}
            AND r.lon BETWEEN {LON_RANGE[0]} AND {LON_RANGE[1]}))
        -- A village ended by a pemekaran takes rows dated before its end only (the session's
        -- zone is the Polres's: the local date, as `_Checker` reads it).
        AND (v.valid_to IS NULL OR r.at::date < v.valid_to)
        {scope}
    """  # noqa: S608


def refused_rows(raw: RawFile, stage: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of RAW that the SQL did not stage, in line order: (line, cells in header order)."""
    cells = ", ".join(f"r.c{i}" for i in range(len(raw.columns)))
    connection.ensure_connection()
    # A server-side cursor: a file of a million refused rows is read a block at a time.
    with connection.connection.cursor(name="jaga_incident_refused") as cursor:
        cursor.itersize = 2000
        cursor.execute(
            f"SELECT r.line, {cells} FROM {RAW} r WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {stage} s WHERE s.line = r.line) ORDER BY r.line"
        )
        for row in cursor:
            yield int(row[0]), list(row[1:])


def empty_raw() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RAW}")
