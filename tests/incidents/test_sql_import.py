"""PostgreSQL's fast import path agrees with the Python path (`jaga.incidents.sql_import`).

The SQL checks are a second writing of `_Checker.quick`'s rules: on generated rows, every row
the SQL accepts must be one Python accepts, converted to the very same values; and the text
COPY reads must be the cells and lines Python's csv module reads, or be refused.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.incidents.imports import (
    FIELDS,
    REQUIRED,
    STAGE,
    STAGE_COLUMNS,
    _Checker,
    _create_stage,
    _fields,
    _picker,
    import_incidents,
)
from jaga.incidents.models import Category, Incident, Source
from jaga.incidents.sql_import import (
    RAW,
    WHITESPACE,
    RawFile,
    _create_raw,
    check_and_stage,
    stage_raw_csv,
)
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C
from tests.fuzz.conftest import max_examples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's")


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    space = st.text(st.sampled_from(WHITESPACE[:8] + "\u00a0\u3000 "), max_size=2)
    return st.tuples(space, values, space).map("".join) | values


FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S+07:00",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M-05:30",
    "%Y-%m-%dT%H:%M:%S+0700",
    "%Y-%m-%dT%H",
    "%d/%m/%Y",
]
moments = st.builds(
    lambda moment, form: moment.strftime(form),
    st.datetimes(datetime.datetime(1940, 1, 1), datetime.datetime(2035, 12, 31)),
    st.sampled_from(FORMATS),
)
odd = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8)
dates = padded(moments | st.sampled_from(["2023-02-29", "2024-02-29", "2023-04-31", "1969-12-31"]))
codes = padded(st.sampled_from([VILLAGE_A, VILLAGE_B, VILLAGE_C, "35.03.11", "99.99.99.9999", ""]))
refs = padded(st.sampled_from(["SPKT-1", "SPKT-2", "'-1", "'x", "", "R" * 101]) | odd)
numbers = padded(
    st.sampled_from(["", "-8.05", "-8,05", "111.71", "1e1", "+1.5", "'-8.05", "-11.5", "6.5"])
    | st.floats(-12, 142).map(lambda x: f"{x:.5f}")
    | odd
)
severities = padded(st.sampled_from(["", "1", "2", "3", "4", "x"]))
sources = padded(st.sampled_from(["", "import", "desk", "field", "operation", "bogus"]))
texts = padded(st.sampled_from(["", "Pesta miras", "'=SUM(A1)", "'a"]) | odd)


def categories() -> st.SearchStrategy[str]:
    return padded(st.sampled_from(["miras", "balap_liar", "nope", ""]))


rows = st.lists(
    st.tuples(dates, codes, categories(), refs, numbers, numbers, texts, severities, sources).map(
        list
    ),
    max_size=12,
)
CANONICAL = ["2023-01-20T22:15:00+07:00", VILLAGE_A, "miras", "OK-1", "", "", "", "", ""]


def _sql_staged(cells: list[list[str]], checker: _Checker) -> dict[int, tuple[object, ...]]:
    with connection.cursor() as cursor:
        _create_stage(cursor)
        _create_raw(len(FIELDS))
        listed = ", ".join(f"c{i}" for i in range(len(FIELDS)))
        with cursor.cursor.copy(f"COPY {RAW} (line, {listed}) FROM STDIN") as copy:
            for line, row in enumerate(cells, start=2):
                copy.write_row([line, *row])
        check_and_stage(
            RawFile(columns=list(FIELDS)),
            STAGE,
            scopes=checker.scopes,
            sources=list(Source.values),
            now=checker.now,
            zone=timezone.get_current_timezone_name(),
        )
        cursor.execute(f"SELECT {', '.join(STAGE_COLUMNS)} FROM {STAGE}")  # noqa: S608
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


@pytest.mark.parametrize("who", ["operator", "bob"])
def test_sql_accepts_only_what_python_accepts_with_the_same_values(request, who):  # type: ignore[no-untyped-def]
    actor = None if who == "operator" else request.getfixturevalue("bob")
    Category.objects.filter(code="balap_liar").update(is_active=False)
    zone = timezone.get_current_timezone()

    @settings(
        max_examples=max_examples(200, 30),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(rows)
    def check(generated: list[list[str]]) -> None:
        cells = [CANONICAL, *generated]
        checker = _Checker(actor)
        with transaction.atomic():
            staged = _sql_staged(cells, checker)
            transaction.set_rollback(True)
        assert 2 in staged  # the canonical row: the SQL path does take the common rows
        pick = _picker(list(FIELDS))
        for line, row in enumerate(cells, start=2):
            fields = _fields(list(row), pick)
            problems, values = checker.convert(fields)
            if line not in staged:
                continue
            assert values is not None, (row, problems)
            local = values[4].astimezone(zone)
            assert staged[line] == (*values, datetime.date(local.year, local.month, 1)), row

    check()


cell = st.text(st.sampled_from(" ,;\t\"'ab\\.\r\n\u00a0"), max_size=5)


@settings(max_examples=max_examples(300, 40), deadline=None)
@given(
    st.lists(st.lists(cell, min_size=3, max_size=6), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_copy_reads_the_cells_and_lines_python_reads_or_refuses_the_file(
    records: list[list[str]], delimiter: str, ending: str, written: bool
) -> None:
    header = delimiter.join([*REQUIRED, "description"])
    if written:  # as a csv writer writes (quoted where needed)
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(records)
        body = out.getvalue()
    else:  # by hand: stray quotes, short and long rows, empty lines
        body = "".join(delimiter.join(r) + ending for r in records)
    text = header + ending + body
    try:
        read = list(enumerate_records(text, delimiter))
    except csv.Error:
        read = None
    with transaction.atomic():
        raw = stage_raw_csv(io.BytesIO(text.encode()), "x.csv", REQUIRED)
        copied = None
        if raw is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT line, c0, c1, c2, c3, c4 FROM {RAW} ORDER BY line")  # noqa: S608
                copied = [(line, list(cells)) for line, *cells in cursor.fetchall()]
        transaction.set_rollback(True)
    if copied is not None:
        assert read is not None and all(len(cells) == 5 for _, cells in read)
        assert copied == read


def enumerate_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    next(reader)
    return [(reader.line_num, row) for row in reader if row]


def test_a_file_with_a_quoted_line_break_takes_the_python_path_with_the_same_lines():
    text = (
        "occurred_at,village_code,category,source_ref,description\n"
        '2023-01-05,35.03.11.1002,miras,A-1,"two\nlines"\n'
        "2023-01-05,35.03.11.1002,nope,A-2,\n"
    )
    with pytest.raises(Exception) as caught:
        import_incidents(io.BytesIO(text.encode()), name="x.csv")
    assert [e["line"] for e in caught.value.errors] == [4]  # type: ignore[attr-defined]


def test_rows_the_sql_refuses_are_checked_in_python_with_their_lines(english):  # type: ignore[no-untyped-def]
    text = (
        "occurred_at,village_code,category,source_ref\n"
        "2023-01-05,35.03.11.1002,miras,A-1\n"
        "05/01/2023,35.03.11.1002,miras,A-2\n"
        "1950-01-05T10:00,35.03.11.1002,miras,A-3\n"
    )
    from jaga.core.errors import ImportFailed

    with pytest.raises(ImportFailed) as caught:
        import_incidents(io.BytesIO(text.encode()), name="x.csv")
    assert [e["line"] for e in caught.value.errors] == [3]
    assert "not an ISO 8601 date" in caught.value.errors[0]["error"]
    fixed = text.replace("05/01/2023", "2023-01-05 ")
    result = import_incidents(io.BytesIO(fixed.encode()), name="x.csv")
    assert result.created == 3
    old = Incident.objects.get(source_ref="A-3").occurred_at
    assert old == timezone.make_aware(datetime.datetime(1950, 1, 5, 10))  # noqa: DTZ001
