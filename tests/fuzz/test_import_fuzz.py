"""Hypothesis on every importer: generated files (any encoding Excel saves, random bytes, random
cells) are either imported or refused with a message, and a refusal changes nothing."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.core.errors import DomainError
from jaga.incidents.imports import REQUIRED as INCIDENT_COLUMNS
from jaga.incidents.imports import import_incidents
from jaga.partners import services as partners
from jaga.programs import services as programs
from jaga.surveys.services import IMPORT_COLUMNS, import_surveys
from jaga.territory import services as territory
from tests.fuzz.conftest import max_examples

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

SETTINGS = settings(
    max_examples=max_examples(150, 15),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)

# Cells that look like what people type, and what they should not.
PLAUSIBLE = st.sampled_from(
    [
        "35.03.11.1002",
        "35.03.02.2008",
        "99.99.99.9999",
        "2023-01-05",
        "0001-01-01",
        "1800-12-31",
        "2999-01-01",
        "2023-02-30",
        "2023-01-05 22:15",
        "2023-01-05T22:15:00+99:00",
        "miras",
        "KTS",
        "fkpm",
        "meeting",
        "1",
        "-1",
        "4",
        "1e308",
        "nan",
        "-8.05",
        "111.71",
        "9" * 40,
        "",
        '=HYPERLINK("http://x")',
        "Pak Slamet",
    ]
)
CELL = st.one_of(PLAUSIBLE, st.text(max_size=30))

IMPORTERS: dict[str, tuple[list[str], Callable[..., Any], list[str]]] = {
    "incidents": (
        [*INCIDENT_COLUMNS, "description"],
        lambda f, actor: import_incidents(f, name="x.csv", actor=actor),
        ["incidents.Incident", "analytics.MonthlyIncidentCount"],
    ),
    "populations": (
        territory.POPULATION_COLUMNS,
        lambda f, actor: territory.import_populations(f, name="x.csv", actor=actor),
        ["territory.Population"],
    ),
    "points": (
        territory.POINT_COLUMNS,
        lambda f, actor: territory.import_village_points(f, name="x.csv", actor=actor),
        ["territory.Territory"],
    ),
    "people": (
        ["full_name", "village_code", "birth_year", "phone", "email", "nik"],
        lambda f, actor: partners.import_people(f, name="x.csv", actor=actor),
        ["partners.Person"],
    ),
    "organisations": (
        ["kind", "name", "territory_code", "founded_on"],
        lambda f, actor: partners.import_organisations(f, name="x.csv", actor=actor),
        ["partners.Organisation"],
    ),
    "adoptions": (
        programs.ADOPTION_COLUMNS,
        lambda f, actor: programs.import_adoptions(f, name="x.csv", actor=actor),
        ["programs.ProgrammeAdoption"],
    ),
    "activities": (
        [*programs.ACTIVITY_COLUMNS, "head_count"],
        lambda f, actor: programs.import_activities(f, name="x.csv", actor=actor),
        ["programs.Activity"],
    ),
    "trust": (
        IMPORT_COLUMNS["trust"],
        lambda f, actor: import_surveys("trust", f, "x.csv", actor=actor),
        ["surveys.TrustResponse"],
    ),
}

ENCODINGS = [
    ("utf-8", b"", ","),
    ("utf-8", codecs.BOM_UTF8, ","),
    ("utf-8", b"", ";"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "\t"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "\t"),
    ("cp1252", b"", ","),
]


@st.composite
def files(draw: Any, columns: list[str]) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))  # anything at all
    header = list(columns)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=4))
    encoding, bom, delimiter = draw(st.sampled_from(ENCODINGS))

    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    text = "\r\n".join(delimiter.join(quote(c) for c in row) for row in [header, *rows])
    return bom + text.encode(encoding, errors="replace")


def counts(labels: list[str]) -> dict[str, Any]:
    state: dict[str, Any] = {label: apps.get_model(label).objects.count() for label in labels}
    # Village centres are updates, not rows: their values are the state.
    state["points"] = list(
        apps.get_model("territory.Territory")
        .objects.exclude(latitude=None)
        .values_list("code", "latitude", "longitude")
    )
    state["audit"] = apps.get_model("core.AuditLog").objects.count()
    return state


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_an_importer_imports_or_refuses_with_a_message(kind: str, satbinmas: Any) -> None:
    columns, run, models = IMPORTERS[kind]

    @SETTINGS
    @given(data=files(columns))
    def check(data: bytes) -> None:
        before = counts(models)
        try:
            run(io.BytesIO(data), satbinmas)
        except DomainError as exc:
            assert str(exc.message).strip(), "a refusal without a message"
            errors = getattr(exc, "errors", [])
            assert all(e.get("line") and str(e.get("error", "")).strip() for e in errors)
            assert counts(models) == before, "a refused import changed the database"

    check()
