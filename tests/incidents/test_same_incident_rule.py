"""The one rule of "the same incident" (issue 14 item 2), as a property."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jaga.incidents.models import Category, Incident, IncidentLink
from jaga.incidents.services import (
    SAME_INCIDENT_DAYS,
    SAME_INCIDENT_WINDOW,
    record_incident,
    same_incident,
    within_window,
)

BASE = datetime.datetime(2024, 3, 5, 21, 0, tzinfo=datetime.UTC)
LIMIT = SAME_INCIDENT_DAYS * 86400 * 3  # seconds either side: inside and well outside the window
offsets = st.integers(min_value=-LIMIT, max_value=LIMIT)


def test_the_window_is_three_days_both_ends_included() -> None:
    assert datetime.timedelta(days=3) == SAME_INCIDENT_WINDOW
    assert within_window(BASE, BASE + SAME_INCIDENT_WINDOW)
    assert within_window(BASE + SAME_INCIDENT_WINDOW, BASE)
    assert not within_window(BASE, BASE + SAME_INCIDENT_WINDOW + datetime.timedelta(seconds=1))


@given(a=offsets, b=offsets)
def test_within_window_is_symmetric_and_matches_the_distance(a: int, b: int) -> None:
    first = BASE + datetime.timedelta(seconds=a)
    second = BASE + datetime.timedelta(seconds=b)
    assert within_window(first, second) == within_window(second, first)
    assert within_window(first, second) == (abs(a - b) <= SAME_INCIDENT_DAYS * 86400)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=offsets,
    second=offsets,
    kinds=st.sampled_from([("desk", "operation"), ("operation", "desk"), ("field", "desk")]),
    same_category=st.booleans(),
)
def test_the_second_record_joins_the_first_exactly_when_the_rule_says_so(
    village_a, village_b, first: int, second: int, kinds: tuple[str, str], same_category: bool
) -> None:
    Incident.objects.all().delete()
    brong = Category.objects.get(code="knalpot_brong")
    miras = Category.objects.get(code="miras")
    earlier = record_incident(
        category=brong,
        village=village_a,
        occurred_at=BASE + datetime.timedelta(seconds=first),
        source=kinds[0],
        source_ref="FIRST",
    )
    record_incident(  # another village: never the same disturbance
        category=brong,
        village=village_b,
        occurred_at=BASE + datetime.timedelta(seconds=second),
        source=kinds[0],
        source_ref="ELSEWHERE",
    )
    moment = BASE + datetime.timedelta(seconds=second)
    category = brong if same_category else miras
    expected = same_category and abs(first - second) <= SAME_INCIDENT_DAYS * 86400
    found = same_incident(village=village_a, category=category, moment=moment, source=kinds[1])
    assert (found == earlier) is expected and (found is None) is not expected
    later = record_incident(
        category=category,
        village=village_a,
        occurred_at=moment,
        source=kinds[1],
        source_ref="SECOND",
    )
    assert (later == earlier) is expected
    assert IncidentLink.objects.filter(source_ref="SECOND").exists() is expected
    # Records of the same kind are never merged by the rule.
    again = same_incident(village=village_a, category=brong, moment=moment, source=kinds[0])
    assert again is None or again.source != kinds[0]


def _import_row(village, category, moment: datetime.datetime, ref: str):  # type: ignore[no-untyped-def]
    import io

    from jaga.incidents.imports import import_incidents

    text = (
        "occurred_at,village_code,category,source_ref\n"
        f"{moment.isoformat()},{village.code},{category.code},{ref}\n"
    )
    return import_incidents(io.BytesIO(text.encode()), name="history.csv")


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=offsets,
    second=offsets,
    kind=st.sampled_from(["desk", "operation", "field"]),
    same_category=st.booleans(),
)
@example(first=0, second=SAME_INCIDENT_DAYS * 86400, kind="desk", same_category=True)
@example(first=0, second=-SAME_INCIDENT_DAYS * 86400 - 1, kind="operation", same_category=True)
def test_an_imported_row_joins_exactly_the_incident_the_rule_names(
    village_a, first: int, second: int, kind: str, same_category: bool
) -> None:
    """The import writes the rule in SQL: it must pick what `same_incident` picks."""
    Incident.objects.all().delete()
    brong = Category.objects.get(code="knalpot_brong")
    category = brong if same_category else Category.objects.get(code="miras")
    earlier = record_incident(
        category=brong,
        village=village_a,
        occurred_at=BASE + datetime.timedelta(seconds=first),
        source=kind,
        source_ref="FIRST",
    )
    moment = BASE + datetime.timedelta(seconds=second)
    expected = same_incident(village=village_a, category=category, moment=moment, source="import")
    assert (expected == earlier) is (same_category and abs(first - second) <= 3 * 86400)
    result = _import_row(village_a, category, moment, "ROW-1")
    assert (result.linked, result.created) == ((1, 0) if expected else (0, 1))
    link = IncidentLink.objects.filter(source="import", source_ref="ROW-1").first()
    assert (link.incident if link else None) == expected


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=offsets, second=offsets, kind=st.sampled_from(["desk", "operation", "field"]))
@example(first=0, second=SAME_INCIDENT_DAYS * 86400, kind="desk")
@example(first=0, second=SAME_INCIDENT_DAYS * 86400 + 1, kind="desk")
def test_a_record_after_an_imported_row_joins_its_incident_by_the_same_rule(
    village_a, first: int, second: int, kind: str
) -> None:
    """The other order: history first, then a verified desk report, a raid or a field report."""
    Incident.objects.all().delete()
    brong = Category.objects.get(code="knalpot_brong")
    _import_row(village_a, brong, BASE + datetime.timedelta(seconds=first), "ROW-1")
    imported = Incident.objects.get(source_ref="ROW-1")
    later = record_incident(
        category=brong,
        village=village_a,
        occurred_at=BASE + datetime.timedelta(seconds=second),
        source=kind,
        source_ref="LATER",
    )
    assert (later == imported) is (abs(first - second) <= SAME_INCIDENT_DAYS * 86400)
    assert Incident.objects.count() == (1 if later == imported else 2)
