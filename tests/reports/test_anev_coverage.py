"""The Anev reads the register's coverage: a month it does not reach is "not covered", never
"nothing recorded", and a comparison month outside it is unknown, not zero."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from jaga.reports import anev, render
from jaga.territory.models import Territory
from tests.reports.conftest import metric

pytestmark = pytest.mark.django_db

AFTER = datetime.date(2022, 3, 1)  # the demo month's register ends in 2022-01


@pytest.fixture
def trenggalek(db) -> Territory:
    return Territory.objects.get(code="35.03")


def test_a_month_after_the_register_ends_is_said_to_be_not_covered(trenggalek, demo_month):
    # Activities go on being recorded; the incident register stops at 2022-01.
    tamanan = Territory.objects.get(code="35.03.11.1002")
    metric(tamanan, AFTER, "visits.count", 12)
    with translation.override("en"):
        sections = anev.build(trenggalek, AFTER)
        page = render.html(trenggalek, AFTER, "en")
    comp = sections["compstat"]
    assert comp["known"] is False
    assert "2022-01" in comp["notice"] and "unknown, not zero" in comp["notice"]
    assert comp["areas"] == []
    text = " ".join(sections["summary"])
    assert "2022-03 is outside the period the register covers" in text
    assert "ends in 2022-01" in text
    assert "No disturbances were recorded" not in text
    assert "disturbances were recorded this month" not in text
    assert "Year to date" not in text
    assert "The register of this area ends in 2022-01" in page
    assert "No disturbances were recorded" not in page


def test_the_same_month_last_year_before_the_register_is_unknown_not_zero(trenggalek, demo_month):
    month = datetime.date(2021, 8, 1)  # the register begins in 2021-01: 2020-08 is unknown
    with translation.override("en"):
        sections = anev.build(trenggalek, month)
        page = render.html(trenggalek, month, "en")
    comp = sections["compstat"]
    assert comp["known"] is True
    total = comp["total"]
    assert total.current > 0 and not total.last_year_known
    assert total.change_last_year is None and total.change_ytd is None
    assert all(g.change_last_year is None and not g.signal_last_year for g in comp["groups"])
    text = " ".join(sections["summary"])
    assert "the same month last year is outside the period the register covers" in text
    assert "none in the same month last year" not in text
    assert "Year to date" not in text
    assert "—" in page


def test_a_covered_month_keeps_its_comparisons(trenggalek, demo_month):
    sections = anev.build(trenggalek, demo_month)
    comp = sections["compstat"]
    assert comp["known"] is True and comp["notice"] == ""
    assert comp["total"].last_year_known and comp["total"].change_last_year is not None
    assert len(comp["areas"]) == 14
