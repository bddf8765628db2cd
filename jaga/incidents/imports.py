"""Import of incident history from CSV or XLSX: streaming, all-or-nothing, idempotent.

Columns: `occurred_at` (ISO 8601 date or date-time), `village_code` (Kemendagri), `category`
(category code), `source_ref` (the record's id in the source system) and optional `latitude`,
`longitude`, `description`, `severity` (1-3) and `source` (Jaga's export writes it: the key of a
row is `(source, source_ref)`, `import` when the column is empty or missing).

How: every row is validated in Python as it streams and loaded into a temporary staging table
(COPY on PostgreSQL, one `executemany` per block on SQLite); then set-based SQL decides per row
(new, already there, changed, the same disturbance as an incident of another source), inserts
the new incidents with one INSERT ... SELECT, updates the changed ones (`update=True`) and adds
the roll-ups from one GROUP BY. All in one transaction: any bad row rolls everything back and
every bad row is reported with its line. Memory stays flat: a block of rows and the look-up
tables of villages and categories; the file lives only in the staging table.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import itertools
import operator
import time
from _csv import Reader
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, scope_codes
from jaga.core.audit import log_action
from jaga.core.errors import ErrorList, ImportFailed
from jaga.core.tabular import (
    EARLIEST_DATE,
    SNIFF_BYTES,
    FileFormatError,
    Prefixed,
    check_header,
    date_out_of_range,
    detect_format,
    iter_rows,
    restore,
    sniff_delimiter,
    sniff_encoding,
)
from jaga.core.types import Actor, signed_in
from jaga.core.uploads import check_upload_size
from jaga.incidents.models import Category, ImportRun, Incident, IncidentLink, Source
from jaga.incidents.services import (
    LAT_RANGE,
    LON_RANGE,
    SAME_INCIDENT_DAYS,
    add_to_rollups,
    copy_rows,
)
from jaga.incidents.sql_import import (
    RawFile,
    check_and_stage,
    empty_raw,
    refused_rows,
    seekable,
    stage_raw_csv,
)
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import EndedVillages

REQUIRED = ["occurred_at", "village_code", "category", "source_ref"]
OPTIONAL = ["latitude", "longitude", "description", "severity"]
FIELDS = [*REQUIRED, "latitude", "longitude", "description", "severity", "source"]
SEVERITIES = {"": 2, "1": 1, "2": 2, "3": 3}
BATCH = 10000

Content = tuple[datetime.datetime, int, int, float | None, float | None, str, int]


@dataclass
class ImportResult:
    lines: int
    created: int
    unchanged: int
    seconds: float
    run_id: int | None = None
    updated: int = 0
    linked: int = 0
    dry_run: bool = False
    # What the file changes in the register (the first CHANGES_SHOWN of each): every updated
    # incident with its changed fields {"line", "id", "source_ref", "fields": {name: {old, new}}}
    # and every row linked to an incident already recorded {"line", "id", "source_ref"}.
    changes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


def parse_moment(text: str) -> datetime.datetime:
    """An ISO 8601 date (midnight, local time) or date-time (local time when naive)."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.date.fromisoformat(text)
        moment = datetime.datetime(day.year, day.month, day.day)  # noqa: DTZ001
    else:
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _float(text: str) -> float:
    value = float(text.replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


class _Checker:
    """Validates one row at a time against villages, categories, scope and the clock."""

    def __init__(self, actor: Actor) -> None:
        self.villages = {
            code: (pk, regency, district)
            for code, pk, regency, district in Territory.objects.filter(
                level=Level.VILLAGE
            ).values_list("code", "id", "regency_code", "district_code")
        }
        # Villages ended by a pemekaran keep their history: a row dated before the end is theirs,
        # a row from that day on belongs to the village that replaced them.
        self.ended = EndedVillages()
        self.categories = dict(Category.objects.filter(is_active=True).values_list("code", "id"))
        self.scopes = scope_codes(actor) if actor is not None else ["*"]
        self.in_scope: dict[str, bool] = {}
        self.now = timezone.now()

    def quick(self, fields: tuple[str, ...] | list[str]) -> tuple[Any, ...] | None:
        """The staged values of a row that `check` accepts, found with the least work; None
        when anything is unusual (`check` then decides and words the problems).

        `fields` in FIELDS order, trimmed.
        """
        when, code, category, ref, lat, lon, text, severity, source = fields
        village = self.villages.get(code)
        if village is None or not self.in_scope.get(code):
            return None
        category_id = self.categories.get(category)
        level = SEVERITIES.get(severity)
        if category_id is None or level is None or not ref or len(ref) > 100:
            return None
        if not source or source == "import":
            source = Source.IMPORT.value
        elif source not in Source.values:
            return None
        latitude = longitude = None
        if lat or lon:
            try:
                latitude, longitude = _float(lat), _float(lon)
            except ValueError:
                return None
            if not (
                LAT_RANGE[0] <= latitude <= LAT_RANGE[1]
                and LON_RANGE[0] <= longitude <= LON_RANGE[1]
            ):
                return None
        try:
            moment = parse_moment(when)
        except ValueError:
            return None
        if moment > self.now or moment.date() < EARLIEST_DATE:
            return None
        if not self.ended.takes(code, timezone.localdate(moment)):
            return None
        return (
            category_id,
            village[0],
            village[1],
            village[2],
            moment,
            source,
            ref,
            latitude,
            longitude,
            level,
            text,
        )

    def convert(self, row: list[str] | dict[str, str]) -> tuple[list[str], tuple[Any, ...] | None]:
        """A row's problems, or its staged values (as `quick` gives them) when it has none."""
        values = row if isinstance(row, dict) else dict(zip(FIELDS, row, strict=True))
        problems, checked = self.check(values)
        if problems:
            return problems, None
        village_id, regency, district = checked["village"]
        return [], (
            checked["category_id"],
            village_id,
            regency,
            district,
            checked["occurred_at"],
            checked["source"],
            checked["source_ref"],
            checked["latitude"],
            checked["longitude"],
            checked["severity"],
            checked["description"],
        )

    def check(self, row: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
        problems: list[str] = []
        out: dict[str, Any] = {}
        raw = row.get("occurred_at", "")
        if not raw:
            problems.append(_("occurred_at is empty."))
        else:
            try:
                out["occurred_at"] = parse_moment(raw)
            except ValueError:
                problems.append(
                    _("occurred_at “%(value)s” is not an ISO 8601 date (2024-03-05) or date-time.")
                    % {"value": raw}
                )
            else:
                if out["occurred_at"] > self.now:
                    problems.append(_("occurred_at %(value)s is in the future.") % {"value": raw})
                elif out["occurred_at"].date() < EARLIEST_DATE:
                    # Also keeps year 0001 away from the database (it overflows in UTC).
                    problems.append(
                        date_out_of_range(out["occurred_at"].date(), "occurred_at")
                        or _("occurred_at is out of range.")
                    )
        code = row.get("village_code", "")
        village = self.villages.get(code)
        if not code:
            problems.append(_("village_code is empty."))
        elif village is None:
            problems.append(_("Unknown village code “%(code)s”.") % {"code": code})
        else:
            allowed = self.in_scope.get(code)
            if allowed is None:
                allowed = self.in_scope[code] = code_in_scope(code, self.scopes)
            if not allowed:
                problems.append(_("Village %(code)s is outside your area.") % {"code": code})
            elif "occurred_at" in out:
                ended = self.ended.problem(code, timezone.localdate(out["occurred_at"]))
                if ended:
                    problems.append(ended)
            out["village"] = village
        category = row.get("category", "")
        if category not in self.categories:
            problems.append(_("Unknown category “%(code)s”.") % {"code": category})
        else:
            out["category_id"] = self.categories[category]
        ref = row.get("source_ref", "")
        if not ref:
            problems.append(_("source_ref is empty."))
        elif len(ref) > 100:
            problems.append(_("source_ref is longer than 100 characters."))
        out["source_ref"] = ref
        out["latitude"] = out["longitude"] = None
        lat, lon = row.get("latitude", ""), row.get("longitude", "")
        if lat or lon:
            try:
                out["latitude"], out["longitude"] = _float(lat), _float(lon)
            except ValueError:
                problems.append(_("Give both latitude and longitude as numbers, or neither."))
            else:
                if not (
                    LAT_RANGE[0] <= out["latitude"] <= LAT_RANGE[1]
                    and LON_RANGE[0] <= out["longitude"] <= LON_RANGE[1]
                ):
                    problems.append(
                        _("The point %(lat)s, %(lon)s lies outside Indonesia.")
                        % {"lat": lat, "lon": lon}
                    )
        severity = row.get("severity", "") or "2"
        if severity not in {"1", "2", "3"}:
            problems.append(_("severity must be 1, 2 or 3."))
        else:
            out["severity"] = int(severity)
        out["description"] = row.get("description", "")
        source = row.get("source", "") or Source.IMPORT
        if source not in Source.values:
            problems.append(_("Unknown source “%(source)s”.") % {"source": source})
        out["source"] = source
        return problems, out


# The staging table: one row per valid line, values already in the register's form.
STAGE = "jaga_incident_stage"
STAGE_COLUMNS = [
    "line",
    "category_id",
    "village_id",
    "regency_code",
    "district_code",
    "occurred_at",
    "source",
    "source_ref",
    "latitude",
    "longitude",
    "severity",
    "description",
    "month",
]
# What a row decides to be (column `state`).
NEW, LINK, UNCHANGED, UPDATE, CONFLICT = 0, 1, 2, 3, 9
CONTENT = [
    "category_id",
    "village_id",
    "occurred_at",
    "latitude",
    "longitude",
    "severity",
    "description",
]


def _create_stage(cursor: Any) -> None:
    timestamp = "timestamptz" if connection.vendor == "postgresql" else "text"
    real = "double precision" if connection.vendor == "postgresql" else "real"
    # Created once per connection and emptied, never dropped: dropping a table is a schema change,
    # which SQLite's shared cache refuses while another connection reads ("database table is
    # locked": the live server's request threads in the browser tests).
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (line integer NOT NULL, category_id integer NOT NULL, "
        "village_id integer NOT NULL, regency_code varchar(5) NOT NULL, "
        f"district_code varchar(8) NOT NULL, occurred_at {timestamp} NOT NULL, "
        "source varchar(10) NOT NULL, source_ref varchar(100) NOT NULL, "
        f"latitude {real}, longitude {real}, severity smallint NOT NULL, description text NOT NULL, "
        "month date NOT NULL, state smallint NOT NULL DEFAULT 0, target_id integer)"
    )
    cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608


class _Loader:
    """Streams staged rows into the staging table in blocks (COPY or executemany)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0
        self.postgres = connection.vendor == "postgresql"

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        self.count += len(self.rows)
        if self.postgres:
            copy_rows(STAGE, STAGE_COLUMNS, self.rows)
        else:
            prepared = self.rows
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {STAGE} ({', '.join(STAGE_COLUMNS)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(STAGE_COLUMNS))})",
                    prepared,
                )
        self.rows.clear()


def _sql(cursor: Any, sql: str, params: list[Any] | None = None) -> int:
    cursor.execute(sql, params or [])
    return int(cursor.rowcount or 0)


def _same_content(left: str, right: str) -> str:
    """SQL: the columns of CONTENT are equal between two aliases (NULL equal to NULL)."""
    parts = []
    for column in CONTENT:
        a, b = f"{left}.{column}", f"{right}.{column}"
        parts.append(f"({a} = {b} OR ({a} IS NULL AND {b} IS NULL))")
    return " AND ".join(parts)


def _link_candidates(cursor: Any, started: datetime.datetime) -> int:
    """Mark new rows that show a disturbance already recorded from another kind of record.

    The rule of `jaga.incidents.services.same_incident` in SQL: same village and category,
    within SAME_INCIDENT_DAYS, another source, not joined by an imported record yet; nearest in
    time, then the oldest incident; each incident joins at most one row of the file (the
    earliest line among those that chose it).
    """
    table = Incident._meta.db_table
    links = IncidentLink._meta.db_table
    if connection.vendor == "postgresql":
        delta = f"interval '{SAME_INCIDENT_DAYS} days'"
        lower, upper = f"s.occurred_at - {delta}", f"s.occurred_at + {delta}"
        distance = "abs(extract(epoch FROM (i.occurred_at - s.occurred_at)))"
    else:
        lower = f"datetime(s.occurred_at, '-{SAME_INCIDENT_DAYS} days')"
        upper = f"datetime(s.occurred_at, '+{SAME_INCIDENT_DAYS} days')"
        distance = "abs(julianday(i.occurred_at) - julianday(s.occurred_at))"
    # Only when such incidents exist at all (a history import on its own skips all of this).
    cursor.execute(
        f"SELECT min(occurred_at), max(occurred_at) FROM {STAGE} WHERE state = {NEW}"  # noqa: S608
    )
    low, high = cursor.fetchone()
    if low is None:
        return 0
    window = datetime.timedelta(days=SAME_INCIDENT_DAYS + 1)
    if connection.vendor != "postgresql":
        low = datetime.datetime.fromisoformat(str(low)).replace(tzinfo=datetime.UTC)
        high = datetime.datetime.fromisoformat(str(high)).replace(tzinfo=datetime.UTC)
    others = Incident.objects.exclude(source=Source.IMPORT).filter(
        occurred_at__gte=low - window, occurred_at__lte=high + window
    )
    if not others.exists():
        return 0
    cursor.execute(
        f"""SELECT s.line, i.id FROM {STAGE} s JOIN {table} i
        ON i.village_id = s.village_id AND i.category_id = s.category_id
        AND i.occurred_at >= {lower} AND i.occurred_at <= {upper}
        WHERE s.state = {NEW} AND i.source <> %s
        AND NOT EXISTS (SELECT 1 FROM {links} l WHERE l.incident_id = i.id AND l.source = %s)
        ORDER BY s.line, {distance}, i.id""",  # noqa: S608
        [Source.IMPORT.value, Source.IMPORT.value],
    )
    chosen: dict[int, int] = {}  # line -> incident
    taken: set[int] = set()
    for line, incident_id in cursor.fetchall():
        if line in chosen or incident_id in taken:
            continue
        chosen[line] = incident_id
        taken.add(incident_id)
    if chosen:
        cursor.executemany(
            f"UPDATE {STAGE} SET state = {LINK}, target_id = %s WHERE line = %s",  # noqa: S608
            [(incident_id, line) for line, incident_id in chosen.items()],
        )
    return len(chosen)


def _csv_records(
    source: str | Path | IO[bytes], name: str
) -> Iterator[tuple[int, list[str] | dict[str, str]]]:
    """The rows of a CSV file as (line, fields in FIELDS order, trimmed), streaming.

    The fast path of `iter_rows` for the million-row files of this import: the same encodings,
    separators, header check, blank-line skipping, formula restoring and errors, without a dict
    per row. A row shorter than the header comes as a dict (as `iter_rows` gives it).
    """
    opened: IO[bytes] | None = None
    if isinstance(source, str | Path):
        opener: Any = gzip.open if str(source).endswith(".gz") else open
        opened = binary = opener(source, "rb")
    else:
        check_upload_size(source, name=Path(name).name)
        binary = gzip.GzipFile(fileobj=source) if name.endswith(".gz") else source
    try:
        reader, columns = _csv_header(binary)
        width = len(columns)
        # Columns the file lacks read the empty cell appended to every row.
        pick = _picker(columns)
        count = 0
        try:
            for row in reader:
                joined = "".join(row)
                if "\x00" in joined:
                    raise FileFormatError(
                        "bad_encoding",
                        _("Line %(line)s holds a NUL character: the file is not plain text.")
                        % {"line": reader.line_num},
                    )
                if not joined.strip():
                    continue
                count += 1
                if len(row) < width:
                    yield reader.line_num, _short_row(row, columns)
                    continue
                yield reader.line_num, _fields(row, pick)
        except (csv.Error, UnicodeError, OSError, EOFError) as exc:
            raise _unreadable(exc, reader.line_num) from exc
        if count == 0:
            raise FileFormatError("no_rows", _("The file has a header but no rows to import."))
    finally:
        if opened is not None:
            opened.close()


def _csv_header(binary: IO[bytes]) -> tuple[Reader, list[str]]:
    """Sniff the encoding and the separator, read and check the header: a csv reader at the
    first record and the file's columns (normalised)."""
    head = binary.read(SNIFF_BYTES)
    if not head:
        raise FileFormatError("empty_file", _("The file is empty."))
    encoding, errors = sniff_encoding(head)
    text = io.TextIOWrapper(
        io.BufferedReader(Prefixed(head, binary)), encoding=encoding, errors=errors, newline=""
    )
    first = text.readline()
    if not first.strip():
        raise FileFormatError("empty_file", _("The file is empty."))
    reader = csv.reader(
        itertools.chain([first], text), strict=True, delimiter=sniff_delimiter(first)
    )
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileFormatError(
            "bad_csv", _("The file is not valid CSV: %(error)s") % {"error": exc}
        ) from exc
    return reader, check_header(header, REQUIRED)


def _short_row(row: list[str], columns: list[str]) -> dict[str, str]:
    """A row shorter than the header, as `iter_rows` gives it: a dict, the missing cells empty."""
    return {c: (restore(row[i].strip()) if i < len(row) else "") for i, c in enumerate(columns)}


def _unreadable(exc: Exception, line: int) -> FileFormatError:
    """The error a failure while reading the rows (after `line`) is reported as."""
    if isinstance(exc, csv.Error):
        return FileFormatError(
            "bad_csv",
            _("Line %(line)s is not valid CSV: %(error)s") % {"line": line, "error": exc},
        )
    if isinstance(exc, UnicodeError):
        return FileFormatError(
            "bad_encoding",
            _(
                "After line %(line)s the text cannot be decoded (the file mixes encodings or "
                "is cut off): save it again from Excel as “CSV UTF-8”."
            )
            % {"line": line},
        )
    return FileFormatError("bad_file", _("The file cannot be read: %(error)s") % {"error": exc})


def _fields(row: list[str], pick: Callable[[list[str]], Any]) -> list[str]:
    """A record's cells in FIELDS order, trimmed and restored (`pick` reads the cell after the
    last for a missing column)."""
    row.append("")
    return [restore(cell) if cell[:1] == "'" else cell for cell in map(str.strip, pick(row))]


def _picker(columns: list[str]) -> Callable[[list[str]], Any]:
    width = len(columns)
    return operator.itemgetter(*[columns.index(f) if f in columns else width for f in FIELDS])


def _refused(raw: RawFile) -> Iterator[tuple[int, list[str] | dict[str, str]]]:
    """The rows the SQL of the PostgreSQL path left to Python, as `_csv_records` gives them."""
    pick = _picker(raw.columns)
    for line, cells in refused_rows(raw, STAGE):
        if "".join(cells).strip():
            yield line, _fields(cells, pick)


class _PythonPath(Exception):
    pass


def _stage_in_sql(
    source: str | Path | IO[bytes], name: str, checker: _Checker, progress: Any
) -> tuple[RawFile, int] | None:
    """PostgreSQL: COPY the CSV's text and check it in SQL (`sql_import`); None when the file
    takes the Python path. Returns the file and the number of rows staged by the SQL."""
    try:
        with transaction.atomic():
            raw = stage_raw_csv(source, name, REQUIRED, progress)
            if raw is None:
                raise _PythonPath
    except _PythonPath:
        return None
    staged = check_and_stage(
        raw,
        STAGE,
        scopes=checker.scopes,
        sources=list(Source.values),
        now=checker.now,
        zone=timezone.get_current_timezone_name(),
    )
    return raw, staged


def _records(
    source: str | Path | IO[bytes], name: str | None
) -> Iterator[tuple[int, list[str] | dict[str, str]]]:
    filename = name or str(source)
    if detect_format(filename) == "csv":
        yield from _csv_records(source, filename)
    else:
        yield from iter_rows(source, REQUIRED, name=name)


def import_incidents(
    source: str | Path | IO[bytes],
    *,
    name: str | None = None,
    actor: Actor = None,
    progress: Callable[[int], None] | None = None,
    update: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import incident history; all-or-nothing. Raises ImportFailed listing every bad row.

    `actor` limits the villages to the actor's scope (None: an operator on the command line).
    A row's key is `(source, source_ref)`. Re-importing a row with the same key and content
    changes nothing; the same key with other content is an error, or with `update=True` updates
    the incident it came from (a row of Jaga's own export, any source). A new imported row that
    shows a disturbance already recorded from another kind of record (`services.same_incident`)
    is linked to that incident. With `dry_run`, everything is checked and counted, and nothing
    is written.
    """
    started = timezone.now()
    clock = time.monotonic()
    checker = _Checker(actor)
    bad = _BadRows()
    user = signed_in(actor)
    actor_id = user.pk if user is not None else None
    loader = _Loader()
    result = ImportResult(lines=0, created=0, unchanged=0, seconds=0.0, dry_run=dry_run)
    postgres = connection.vendor == "postgresql"
    if not postgres:
        _enlarge_page_cache()
    with transaction.atomic(), connection.cursor() as cursor:
        _create_stage(cursor)
        lines = 0
        rows = None
        fast = postgres and detect_format(name or str(source)) == "csv" and seekable(source)
        staged_in_sql = (
            _stage_in_sql(source, name or str(source), checker, progress) if fast else None
        )
        if staged_in_sql is not None:
            raw, lines = staged_in_sql
            rows = _refused(raw)
        lines = _stage_rows(
            rows if rows is not None else _records(source, name),
            lines,
            checker,
            loader,
            bad,
            progress,
        )
        if not bad.count:
            loader.flush()
        if progress is not None:
            progress(lines)
        result.lines = lines
        if not bad.count:
            _decide(cursor, result, bad.report, update=update, started=started)
        if not bad.count and not dry_run:
            _write(cursor, result, started=started, actor_id=actor_id, actor=actor)
            file_name = Path(str(name or source)).name
            result.run_id = _record_run(file_name, result, started, actor_id, actor)
        cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608
        if staged_in_sql is not None:
            empty_raw()
        if bad.count or dry_run:
            transaction.set_rollback(True)
    if bad.count:
        raise ImportFailed(
            _(
                "Nothing was imported: %(count)s of %(lines)s rows have errors. Correct them and "
                "import the whole file again."
            )
            % {"count": bad.count, "lines": lines},
            errors=bad.errors,
        )
    result.seconds = time.monotonic() - clock
    return result


@dataclass
class _BadRows:
    """The bad rows of a file: how many, and each with its line and what is wrong with it."""

    errors: ErrorList = field(default_factory=ErrorList)
    count: int = 0

    def report(self, line: int, message: str) -> None:
        self.count += 1
        self.errors.append({"line": line, "error": message})


def _enlarge_page_cache() -> None:
    """SQLite: the register has several indexes; a bigger page cache keeps them off the disk."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -131072")  # 128 MiB, this connection only


def _stage_rows(
    rows: Iterator[tuple[int, list[str] | dict[str, str]]],
    lines: int,
    checker: _Checker,
    loader: _Loader,
    bad: _BadRows,
    progress: Callable[[int], None] | None,
) -> int:
    """Check every row and load the good ones into the staging table, each with its month; after
    the first bad row, only check (to report every bad row). Returns `lines` plus the rows read."""
    zone = timezone.get_current_timezone()
    months: dict[tuple[int, int], Any] = {}
    sqlite = connection.vendor == "sqlite"
    utc = datetime.UTC
    quick, add, report = checker.quick, loader.add, bad.report
    failed = bool(bad.count)
    for line, row in rows:
        lines += 1
        staged = quick(row) if isinstance(row, list) else None
        if staged is None:
            problems, staged = checker.convert(row)
            if staged is None:
                report(line, " ".join(problems))
                failed = True
                continue
        if failed:
            continue
        moment = staged[4]
        local = moment.astimezone(zone)
        month = months.get((local.year, local.month))
        if month is None:
            month = months[(local.year, local.month)] = (
                datetime.date(local.year, local.month, 1).isoformat()
                if sqlite
                else datetime.date(local.year, local.month, 1)
            )
        if sqlite:  # the text Django stores: naive UTC
            add(
                (
                    line,
                    *staged[:4],
                    moment.astimezone(utc).replace(tzinfo=None).isoformat(" "),
                    *staged[5:],
                    month,
                )
            )
        else:
            add((line, *staged, month))
        if progress is not None and lines % 1000 == 0:
            progress(lines)
    return lines


def _record_run(
    file_name: str,
    result: ImportResult,
    started: datetime.datetime,
    actor_id: int | None,
    actor: Actor,
) -> int:
    """The ImportRun of a written import, with its audit entry; returns its id."""
    run = ImportRun.objects.create(
        file_name=file_name[:255],
        lines=result.lines,
        created=result.created,
        unchanged=result.unchanged,
        updated=result.updated,
        linked=result.linked,
        started_at=started,
        finished_at=timezone.now(),
        actor_id=actor_id,
    )
    log_action(
        "incidents.imported",
        run,
        actor=actor,
        after={
            "lines": result.lines,
            "created": result.created,
            "unchanged": result.unchanged,
            "updated": result.updated,
            "linked": result.linked,
        },
    )
    return run.pk


def _decide(
    cursor: Any,
    result: ImportResult,
    report: Callable[[int, str], None],
    *,
    update: bool,
    started: datetime.datetime,
) -> None:
    """Set each staged row's state: new, link, unchanged, update or a conflict (an error)."""
    cursor.execute(f"SELECT DISTINCT source FROM {STAGE}")  # noqa: S608
    sources = [r[0] for r in cursor.fetchall()]
    _match_register(cursor, sources, update=update)
    _match_repeated_keys(cursor, report)
    _report_conflicts(cursor, report)
    # 4. New rows that show a disturbance already recorded from another kind of record.
    result.linked = _link_candidates(cursor, started)
    cursor.execute(f"SELECT state, count(*) FROM {STAGE} GROUP BY state")  # noqa: S608
    counts = dict(cursor.fetchall())
    result.created = counts.get(NEW, 0)
    result.unchanged = counts.get(UNCHANGED, 0)
    result.updated = counts.get(UPDATE, 0)
    if result.updated or result.linked:
        _describe_changes(cursor, result)


CHANGES_SHOWN = 200


def _staged_moment(value: Any) -> datetime.datetime:
    """A staged `occurred_at`: a datetime on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, datetime.datetime):
        return value
    parsed = datetime.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _describe_changes(cursor: Any, result: ImportResult) -> None:
    """Name what the file changes (the first CHANGES_SHOWN updates and links): a dry run shows it
    before anything is written, field by field as the spreadsheet shows it."""
    from jaga.core.roundtrip import display

    cursor.execute(
        f"SELECT line, state, target_id, source_ref, category_id, village_id, occurred_at, "  # noqa: S608
        f"latitude, longitude, severity, description FROM {STAGE} "
        f"WHERE state IN ({UPDATE}, {LINK}) ORDER BY line LIMIT {2 * CHANGES_SHOWN}"
    )
    staged = cursor.fetchall()
    incidents = Incident.objects.select_related("category", "village").in_bulk(
        [row[2] for row in staged]
    )
    names = {c.pk: c.code for c in Category.objects.all()}
    villages = dict(
        Territory.objects.filter(pk__in={row[5] for row in staged}).values_list("pk", "code")
    )
    for line, state, target, ref, category, village, moment, lat, lon, severity, text in staged:
        incident = incidents[target]
        if state == LINK:
            if len(result.links) < CHANGES_SHOWN:
                result.links.append({"line": line, "id": target, "source_ref": ref})
            continue
        if len(result.changes) >= CHANGES_SHOWN:
            continue
        pairs = {
            "occurred_at": (incident.occurred_at, _staged_moment(moment)),
            "village_code": (incident.village.code, villages.get(village)),
            "category": (incident.category.code, names.get(category)),
            "latitude": (incident.latitude, lat),
            "longitude": (incident.longitude, lon),
            "severity": (incident.severity, severity),
            "description": (incident.description, text),
        }
        fields = {
            name: {"old": display(old), "new": display(new)}
            for name, (old, new) in pairs.items()
            if old != new
        }
        result.changes.append({"line": line, "id": target, "source_ref": ref, "fields": fields})


def _match_register(cursor: Any, sources: list[str], *, update: bool) -> None:
    """1. Rows whose key is already in the register (unchanged, or an update or a conflict) or
    already linked to an incident (unchanged). Each step is skipped when no incident (or link)
    of the file's sources exists yet (a first history import)."""
    table = Incident._meta.db_table
    links = IncidentLink._meta.db_table
    if Incident.objects.filter(source__in=sources).exists():
        _sql(
            cursor,
            f"UPDATE {STAGE} SET target_id = (SELECT i.id FROM {table} i "  # noqa: S608
            f"WHERE i.source = {STAGE}.source AND i.source_ref = {STAGE}.source_ref)",
        )
        _sql(
            cursor,
            f"UPDATE {STAGE} SET state = {UNCHANGED} WHERE target_id IS NOT NULL AND EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {table} i WHERE i.id = {STAGE}.target_id AND "
            f"{_same_content('i', STAGE)})",
        )
        _sql(
            cursor,
            f"UPDATE {STAGE} SET state = {UPDATE if update else CONFLICT} "  # noqa: S608
            f"WHERE target_id IS NOT NULL AND state = {NEW}",
        )
    if IncidentLink.objects.filter(source__in=sources).exists():
        _sql(
            cursor,
            f"UPDATE {STAGE} SET state = {UNCHANGED} WHERE state = {NEW} AND EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {links} l WHERE l.source = {STAGE}.source "
            f"AND l.source_ref = {STAGE}.source_ref)",
        )


def _already_imported(ref: str) -> str:
    return _(
        "source_ref “%(ref)s” was already imported (or given earlier in this file) with "
        "different content."
    ) % {"ref": ref}


def _match_repeated_keys(cursor: Any, report: Callable[[int, str], None]) -> None:
    """2. Keys given twice in the file: the first line counts; a later copy with the same
    content is unchanged, with other content a conflict."""
    cursor.execute(
        f"SELECT source, source_ref, min(line) FROM {STAGE} "  # noqa: S608
        "GROUP BY source, source_ref HAVING count(*) > 1"
    )
    for _source, ref, first in cursor.fetchall():
        cursor.execute(
            f"SELECT b.line, {_same_content('a', 'b')} FROM {STAGE} a JOIN {STAGE} b "  # noqa: S608
            "ON b.source = a.source AND b.source_ref = a.source_ref AND b.line > a.line "
            "WHERE a.line = %s",
            [first],
        )
        for line, same in cursor.fetchall():
            state = UNCHANGED if same else CONFLICT
            cursor.execute(
                f"UPDATE {STAGE} SET state = %s WHERE line = %s AND state IN ({NEW}, {UPDATE})",  # noqa: S608
                [state, line],
            )
            if state == CONFLICT and ref:
                report(line, _already_imported(ref))


def _report_conflicts(cursor: Any, report: Callable[[int, str], None]) -> None:
    """3. Conflicts with the register, and rows of another source that are not in it."""
    cursor.execute(
        f"SELECT line, source_ref FROM {STAGE} WHERE state = {CONFLICT} AND target_id IS NOT NULL "  # noqa: S608
        "ORDER BY line"
    )
    for line, ref in cursor.fetchall():
        report(line, _already_imported(ref))
    cursor.execute(
        f"SELECT line, source FROM {STAGE} WHERE state = {NEW} AND source <> %s ORDER BY line",  # noqa: S608
        [Source.IMPORT.value],
    )
    for line, key_source in cursor.fetchall():
        report(
            line,
            _(
                "This row comes from Jaga's register (source “%(source)s”) but no incident has "
                "its source_ref: only imported rows can be added."
            )
            % {"source": key_source},
        )


# The incident's columns an import writes (the staging table's, without line and month).
WRITTEN = [c for c in STAGE_COLUMNS if c not in ("line", "month")]


class _RollupChanges:
    """What an import adds to (or takes from) the monthly roll-ups, by village, month and
    category."""

    def __init__(self) -> None:
        self.counts: dict[tuple[int, datetime.date, int], int] = {}

    def add(self, village_id: int, month: Any, category_id: int, n: int) -> None:
        if not isinstance(month, datetime.date):
            month = datetime.date.fromisoformat(str(month))
        key = (village_id, month, category_id)
        self.counts[key] = self.counts.get(key, 0) + n

    def nonzero(self) -> dict[tuple[int, datetime.date, int], int]:
        return {k: n for k, n in self.counts.items() if n}


def _write(
    cursor: Any,
    result: ImportResult,
    *,
    started: datetime.datetime,
    actor_id: int | None,
    actor: Actor,
) -> None:
    """Insert, link and update as decided, and add the changes to the roll-ups."""
    table = Incident._meta.db_table
    links = IncidentLink._meta.db_table
    listed = ", ".join(WRITTEN)
    stamp = connection.ops.adapt_datetimefield_value(started)
    if result.created:
        with _checked_per_statement(cursor, table):
            for first, last in _chunks(cursor):
                _sql(
                    cursor,
                    f"INSERT INTO {table} ({listed}, created_at, created_by_id) "  # noqa: S608
                    f"SELECT {listed}, %s, %s FROM {STAGE} WHERE state = {NEW}"
                    " AND line BETWEEN %s AND %s",
                    [stamp, actor_id, first, last],
                )
    if result.linked:
        _sql(
            cursor,
            f"INSERT INTO {links} (incident_id, source, source_ref, linked_at) "  # noqa: S608
            f"SELECT target_id, source, source_ref, %s FROM {STAGE} WHERE state = {LINK}",
            [stamp],
        )
    changes = _RollupChanges()
    if result.created:
        cursor.execute(
            f"SELECT village_id, month, category_id, count(*) FROM {STAGE} "  # noqa: S608
            f"WHERE state = {NEW} GROUP BY village_id, month, category_id"
        )
        for village_id, month, category_id, n in cursor.fetchall():
            changes.add(village_id, month, category_id, n)
    if result.updated:
        _update_changed(cursor, changes, actor)
    add_to_rollups(changes.nonzero())


# Rows inserted by one statement. On PostgreSQL each inserted row queues one foreign-key check
# per key until its statement ends (or, for Django's deferred keys, until the commit): inserting
# in blocks of this many rows, with the keys checked at each block's end, keeps the server's
# memory the same whatever the file's length.
WRITE_BLOCK = 200_000


def _chunks(cursor: Any) -> Iterator[tuple[int, int]]:
    """Line ranges of the staging table holding at most WRITE_BLOCK rows each (one block on
    SQLite, which queues no checks)."""
    cursor.execute(f"SELECT min(line), max(line) FROM {STAGE}")  # noqa: S608
    low, high = cursor.fetchone()
    if low is None:
        return
    step = WRITE_BLOCK if connection.vendor == "postgresql" else high - low + 1
    for first in range(low, high + 1, step):
        yield first, min(first + step - 1, high)


@contextmanager
def _checked_per_statement(cursor: Any, table: str) -> Iterator[None]:
    """Check the table's deferred foreign keys at the end of each statement while the block
    runs (PostgreSQL), then defer them again for the rest of the transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"
        " AND condeferred",
        [table],
    )
    names = ", ".join(connection.ops.quote_name(row[0]) for row in cursor.fetchall())
    if not names:
        yield
        return
    cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    yield  # an error rolls the transaction back: nothing to restore then
    cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")


def _update_changed(cursor: Any, changes: _RollupChanges, actor: Actor) -> None:
    """Update each incident whose row came back with other content (`update=True`), move it in
    the roll-ups and log the change."""
    from jaga.core.audit import snapshot

    table = Incident._meta.db_table
    zone = timezone.get_current_timezone()
    cursor.execute(
        f"SELECT target_id, village_id, category_id, month FROM {STAGE} "  # noqa: S608
        f"WHERE state = {UPDATE} ORDER BY line"
    )
    for target_id, village_id, category_id, month in cursor.fetchall():
        incident = Incident.objects.select_for_update().get(pk=target_id)
        before = snapshot(incident)
        old_month = timezone.localtime(incident.occurred_at, zone).date().replace(day=1)
        changes.add(incident.village_id, old_month, incident.category_id, -1)
        changes.add(village_id, month, category_id, +1)
        cursor.execute(
            f"UPDATE {table} SET category_id = s.category_id, village_id = s.village_id, "  # noqa: S608
            "regency_code = s.regency_code, district_code = s.district_code, "
            "occurred_at = s.occurred_at, latitude = s.latitude, longitude = s.longitude, "
            "severity = s.severity, description = s.description "
            f"FROM {STAGE} s WHERE s.target_id = {table}.id AND {table}.id = %s "
            f"AND s.state = {UPDATE}",
            [target_id],
        )
        incident.refresh_from_db()
        log_action(
            "incidents.updated_by_import",
            incident,
            actor=actor,
            before=before,
            after=snapshot(incident),
            territory_code=incident.village.code,
        )
