"""The Anev report: its sections for a demo month, bad months, the PDF and the command."""

from __future__ import annotations

import datetime
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jaga.analytics import queries
from jaga.analytics.stats.compstat import poisson_change_p
from jaga.analytics.stats.trend import MannKendall, TrendFit
from jaga.core.errors import DomainError
from jaga.core.months import add_months
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.reports import anev, render
from jaga.territory.models import Level, Territory
from tests.reports.conftest import incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def trenggalek(db) -> Territory:
    return Territory.objects.get(code="35.03")


def test_the_compstat_section_is_the_engines_regrouped(trenggalek, demo_month):
    section = anev.compstat(trenggalek, demo_month)
    total = section["total"]
    engine = queries.compstat(anev.unit_of(trenggalek), demo_month).total
    assert (total.current, total.last_year, total.p_last_year) == (
        engine.current,
        engine.last_year,
        engine.p_last_year,
    )
    groups = {g.name: g for g in section["groups"]}  # in Indonesian, the default
    assert total.current == sum(g.current for g in section["groups"])
    assert total.ytd == total.current  # January: the year to date is the month
    assert groups["Konvensional"].current >= 9  # the fight in Tamanan
    # A group gets the engine's exact test on its own counts.
    k = groups["Konvensional"]
    assert k.p_last_year == pytest.approx(poisson_change_p(k.current, k.last_year))
    areas = {a.code: a for a in section["areas"]}
    assert len(areas) == 14
    assert areas["35.03.01"].current == 0  # no figures in Panggul
    assert areas["35.03.11"].current + areas["35.03.02"].current == total.current
    assert section["categories"][0].current >= section["categories"][-1].current


def test_the_trend_is_the_engines_fit_in_words(trenggalek, demo_month):
    section = anev.trend(trenggalek, demo_month)
    assert len(section["counts"]) == 13 and section["months"][-1] == demo_month
    assert section["fit"] is not None and len(section["fitted"]) == 13
    assert len(section["statement"]) == 2


def _fit(direction: str, rr: float, mk_trend: str) -> TrendFit:
    mk = MannKendall(0, 1.0, 0.0, 0.004, 0.0, 0.0, mk_trend)
    return TrendFit("poisson", rr, rr - 0.05, rr + 0.05, 0.001, 1.0, 36, direction, mk, [])


def test_the_trend_statement_says_which_way_and_how_sure(settings):
    with translation.override("en"):
        falling = anev.trend_statement(_fit("falling", 0.8, "decreasing"))
        assert falling[0].startswith("Disturbances are falling: about 20% fewer per year")
        assert "0.75 to 0.85" in falling[0] and "36 months" in falling[0]
        assert "also finds a decrease (p = 0.004)" in falling[1]
        rising = anev.trend_statement(_fit("rising", 1.25, "no trend"))
        assert "about 25% more per year" in rising[0] and "no steady rise" in rising[1]
        flat = anev.trend_statement(_fit("flat", 1.02, "no trend"))
        assert flat[0].startswith("No clear trend")
        assert anev.trend_statement(None)[0].startswith("Too few months")


def test_the_cusum_alarm_of_the_month_names_the_unusual_village(trenggalek, demo_month):
    rows = anev.alarms(trenggalek, demo_month)["rows"]
    assert rows and {a["village_code"] for a in rows} == {"35.03.11.1002"}
    assert all(a["new"] and a["month"] == demo_month for a in rows)
    assert "perkelahian" in {a["category_code"] for a in rows}


def test_desk_fieldwork_partnership_and_coverage(trenggalek, demo_month):
    desk = anev.desk(trenggalek, demo_month)
    assert (desk["received"], desk["resolved"], desk["in_time"], desk["late"]) == (12, 10, 8, 2)
    assert desk["in_time_rate"] == 80.0
    field = {r["metric"]: r for r in anev.fieldwork(trenggalek, demo_month)["rows"]}
    assert field["visits.count"]["now"] == 31
    assert field["operations.findings"]["now"] == 17
    partnership = anev.partnership(trenggalek, demo_month)
    assert partnership["rates"]["attendance_pct"] == 75.0
    assert partnership["rates"]["on_time_pct"] == 80.0
    assert partnership["rows"][0]["name"] == "Kampung Tangguh Semeru"
    assert partnership["association"] is None  # one village with invitations: nothing to say
    coverage = anev.coverage(trenggalek, demo_month)
    assert coverage["villages"] == 157 and coverage["villages_covered"] == 0
    assert len(coverage["villages_without"]) == 157


def test_coverage_counts_the_postings_of_the_months_end(trenggalek, demo_month, alice):
    # alice is posted from January 2020: counted in the demo month, not in December 2019.
    assert anev.coverage(trenggalek, demo_month)["villages_covered"] == 1
    before = anev.coverage(trenggalek, datetime.date(2019, 12, 1))
    assert before["villages_covered"] == 0 and before["bhabinkamtibmas"] == 0


def test_a_programme_with_a_known_effect_is_evaluated(db):
    """Six of Panggul's villages adopt in July 2021 and their disturbances halve from 4 to 2."""
    panggul = Territory.objects.get(code="35.03.01")
    villages = list(Territory.objects.filter(level=Level.VILLAGE, parent=panggul).order_by("code"))
    programme = Programme.objects.create(code="TEST", name="Programme under test")
    adopt = datetime.date(2021, 7, 1)
    rng = np.random.default_rng(3)
    for i, village in enumerate(villages):
        if i < 6:
            ProgrammeAdoption.objects.create(programme=programme, village=village, adopted_on=adopt)
        for m in range(13):
            month = add_months(datetime.date(2021, 1, 1), m)
            mean = 2 if i < 6 and month >= adopt else 4
            n = int(rng.poisson(mean))
            if n:
                incident(village, month, "pencurian", n)
    rows = anev.programmes(panggul, datetime.date(2022, 1, 1))["rows"]
    assert [(r["code"], r["villages"], r["first"]) for r in rows] == [("TEST", 6, adopt)]
    result = rows[0]["result"]
    assert result["ci_low"] <= -2 <= result["ci_high"] < 0  # the true effect, told from none
    assert result["n_treated"] == 6
    assert "lower" in result["statement"]["finding"] or "rendah" in result["statement"]["finding"]


def test_a_programme_without_months_to_compare_says_why(trenggalek, demo_month):
    assert anev.programmes(trenggalek, datetime.date(2020, 1, 1))["rows"] == []  # KTS: 2021
    kts = anev.programmes(trenggalek, demo_month)["rows"][0]
    assert kts["villages"] == 1 and kts["result"] is not None and kts["error"] == ""
    # Adopted before the records begin (January 2021): nothing before adoption to compare.
    old = Programme.objects.create(code="OLD", name="Older programme")
    tamanan = Territory.objects.get(code="35.03.11.1002")
    ProgrammeAdoption.objects.create(
        programme=old, village=tamanan, adopted_on=datetime.date(2020, 3, 1)
    )
    rows = {r["code"]: r for r in anev.programmes(trenggalek, demo_month)["rows"]}
    assert rows["OLD"]["result"] is None and "Januari 2021" in rows["OLD"]["error"]


def test_the_summary_says_what_changed(trenggalek, demo_month):
    sections = anev.build(trenggalek, demo_month)
    text = " ".join(sections["summary"])
    assert "Tamanan" in text  # the CUSUM alarm
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
