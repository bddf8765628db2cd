"""The Anev report: its sections for a demo month, bad months, the PDF and the command."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from jaga.core.errors import DomainError
from jaga.reports import anev, render
from jaga.territory.models import Territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trenggalek(db) -> Territory:
    return Territory.objects.get(code="35.03")


def test_simple_comparisons():
    assert anev.pct_change(12, 10) == 20.0
    assert anev.pct_change(5, 0) is None
    # Exact conditional test: 20 against 5 events is a real change, 6 against 5 is not.
    assert anev.poisson_change_p(20, 5) < 0.01
    assert anev.poisson_change_p(6, 5) > 0.5
    # P(X ≥ 9 | Poisson(1)) ≈ 1.1e-6: an alarm; P(X ≥ 2 | Poisson(1)) ≈ 0.264: none.
    assert anev.poisson_alarm(9, 1.0) == pytest.approx(1.1252e-6, rel=1e-3)
    assert anev.poisson_alarm(2, 1.0) == pytest.approx(0.2642, rel=1e-3)


def test_the_compstat_section_of_the_demo_month(trenggalek, demo_month):
    section = anev.compstat(trenggalek, demo_month)
    total = section["total"]
    groups = {g["label"]: g for g in section["groups"]}  # in Indonesian, the default
    assert total["now"] == sum(g["now"] for g in section["groups"])
    assert total["ytd"] == total["now"]  # January: the year to date is the month
    assert groups["Konvensional"]["now"] >= 9  # the fight in Tamanan
    areas = {a["code"]: a for a in section["areas"]}
    assert len(areas) == 14
    assert areas["35.03.01"]["now"] == 0  # no figures in Panggul
    assert areas["35.03.11"]["now"] + areas["35.03.02"]["now"] == total["now"]


def test_the_trend_raises_an_alarm_for_the_unusual_village(trenggalek, demo_month):
    section = anev.trend(trenggalek, demo_month)
    assert len(section["current"]) == 12 and section["months"][-1] == demo_month
    assert [a["code"] for a in section["alarms"]] == ["35.03.11.1002"]


def test_desk_fieldwork_partnership_and_coverage(trenggalek, demo_month):
    desk = anev.desk(trenggalek, demo_month)
    assert (desk["received"], desk["resolved"], desk["in_time"], desk["late"]) == (12, 10, 8, 2)
    assert desk["in_time_rate"] == 80.0
    field = {r["metric"]: r for r in anev.fieldwork(trenggalek, demo_month)["rows"]}
    assert field["visits.count"]["now"] == 31
    assert field["operations.findings"]["now"] == 17
    partnership = anev.partnership(trenggalek, demo_month)
    assert partnership["attendance_rate"] == 75.0 and partnership["on_time_rate"] == 80.0
    assert partnership["rows"][0]["name"] == "Kampung Tangguh Semeru"
    coverage = anev.coverage(trenggalek, demo_month)
    assert coverage["villages"] == 157 and coverage["covered"] == 0
    programmes = anev.programmes(trenggalek, demo_month)
    assert programmes["rows"][0]["villages"] == 1 and programmes["rows"][0]["evaluated"] == 1


def test_the_summary_says_what_changed(trenggalek, demo_month):
    sections = anev.build(trenggalek, demo_month)
    text = " ".join(sections["summary"])
    assert "Tamanan" in text  # the alarm
    assert "12" in text  # desk reports received


def test_a_month_without_figures_gets_a_clear_answer(trenggalek, demo_month):
    with pytest.raises(DomainError) as caught:
        anev.build(trenggalek, datetime.date(2019, 5, 1))
    assert caught.value.code == "no_data"
    with pytest.raises(DomainError) as caught:
        anev.check_month(trenggalek, datetime.date(2999, 1, 1))
    assert caught.value.code == "future_month"


def test_the_pdf_has_page_numbers_and_several_pages(trenggalek, demo_month):
    document = render.html(trenggalek, demo_month, "id")
    assert "counter(pages)" in document and "<svg" in document
    assert "Analisis dan evaluasi" in document
    data, pages = render.pdf(document)
    assert data.startswith(b"%PDF")
    assert 3 <= pages <= 12


def test_the_report_in_english_on_request(trenggalek, demo_month):
    document = render.html(trenggalek, demo_month, "en")
    assert "Analysis and evaluation" in document and "Service desk" in document


def test_the_command_writes_html_and_pdf(trenggalek, demo_month, tmp_path):
    out = io.StringIO()
    call_command(
        "report",
        "anev",
        "--month",
        "2022-01",
        "--territory",
        "35.03",
        "--pdf",
        str(tmp_path / "anev.pdf"),
        "--html",
        str(tmp_path / "anev.html"),
        stdout=out,
    )
    assert (tmp_path / "anev.pdf").read_bytes().startswith(b"%PDF")
    assert "pages" in out.getvalue()


def test_the_command_refuses_a_month_without_data(trenggalek, demo_month):
    with pytest.raises(CommandError, match="2019-05"):
        call_command("report", "anev", "--month", "2019-05", "--territory", "35.03")
    with pytest.raises(CommandError):
        call_command("report", "anev", "--month", "jan", "--territory", "35.03")
