"""The Anev report in words: a plain sentence before the statistics, and no raw codes."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import translation

from jaga.analytics.rollups import bump_metric
from jaga.reports import anev, render
from jaga.servicedesk.models import Service
from jaga.territory.models import Territory
from tests.reports.conftest import MONTH

pytestmark = pytest.mark.django_db

# Service and raid-target codes that people must never read in the report.
CODES = ("kdrt", "balap_liar", "knalpot_brong", "miras", "requests.received")


@pytest.fixture
def trenggalek(db: object) -> Territory:
    return Territory.objects.get(code="35.03")


@pytest.fixture
def coded_month(demo_month: object) -> datetime.date:
    village = Territory.objects.get(code="35.03.11.1002")
    for key in ("kdrt", "balap_liar"):
        bump_metric(village, MONTH, "requests.received", 3, key=key)
        bump_metric(village, MONTH, "requests.resolved", 2, key=key)
        bump_metric(village, MONTH, "requests.resolved_in_time", 1, key=key)
    bump_metric(village, MONTH, "operations.findings", 4, key="balap_liar")
    bump_metric(village, MONTH, "operations.findings", 2, key="miras")
    return MONTH


def _text(document: str) -> str:
    """What a reader sees: the text outside tags, scripts and styles."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", document, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("language", ["id", "en"])
def test_no_raw_code_in_the_anev_text(
    trenggalek: Territory, coded_month: datetime.date, language: str
) -> None:
    document = render.html(trenggalek, coded_month, language)
    text = _text(document)
    for code in CODES:
        assert not re.search(rf"(?<![\w./-]){re.escape(code)}(?![\w-])", text), code
    with translation.override(language):
        assert Service.objects.get(code="kdrt").name in text
        assert Service.objects.get(code="balap_liar").name in text


def test_the_desk_and_raid_rows_carry_names(
    trenggalek: Territory, coded_month: datetime.date
) -> None:
    with translation.override("id"):
        rows = anev.desk(trenggalek, coded_month)["rows"]
        findings = anev.fieldwork(trenggalek, coded_month)["findings"]
    assert {r["service"] for r in rows} >= {"Balap liar"}
    assert all("_" not in r["service"] for r in rows)
    assert all("_" not in f["target"] for f in findings)
    assert any(f["target"].startswith("Miras") or "Minuman" in f["target"] for f in findings)


def test_the_trend_leads_with_a_sentence_and_keeps_the_figures_in_details(
    trenggalek: Territory, demo_month: datetime.date
) -> None:
    document = render.html(trenggalek, demo_month, "id")
    trend = document[document.index("3. Tren") :]
    trend = trend[: trend.index("<section")] if "<section" in trend else trend
    plain = trend.index("Gangguan di Kabupaten Trenggalek")
    details = trend.index("Rincian statistik")
    assert plain < details
    assert "Mann-Kendall" in trend[details:]
    assert "Mann-Kendall" not in trend[:details]
    summary = document[: document.index("2. CompStat")]
    assert "rasio laju" not in summary.lower() and "p =" not in summary
