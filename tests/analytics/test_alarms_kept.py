"""The alarms of a province or the country as a process keeps them: each regency's list under its
roll-up version, the merged list and its period under every regency's version, the villages'
and categories' names under the territory's and the categories' versions (and the language).

Each answer after a change is compared with the one computed from nothing (the shared cache and
everything the process keeps emptied)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation

from jaga.analytics import coverage, warning
from jaga.analytics.rollups import bump_incidents
from jaga.core.months import add_months
from jaga.incidents.models import Category
from jaga.territory.models import Level, Territory
from tests.analytics.conftest import LAST_MONTH
from tests.analytics.test_warning_regencies import BLITAR, EARLY_END, plant_both, unit

pytestmark = pytest.mark.django_db


def forget() -> None:
    cache.clear()
    coverage._COVERAGE.clear()
    for kept in (
        warning._REGENCY_ALARMS,
        warning._MERGED,
        warning._VILLAGE_LABELS,
        warning._CATEGORY_NAMES,
    ):
        kept.clear()


@pytest.fixture
def planted(frozen, villages):
    forget()
    return plant_both(villages, EARLY_END)


def report(code: str, language: str = "id", **kwargs) -> dict:
    with translation.override(language):
        return warning.alarms_report(unit(code), LAST_MONTH, **kwargs)


def afresh(code: str, language: str = "id", **kwargs) -> dict:
    forget()
    return report(code, language, **kwargs)


def _surge(planted):
    """A new surge in a quiet Blitar village: its alarm joins the list."""
    village = Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).order_by("code")
    theft = Category.objects.get(code="pencurian").pk
    bump_incidents(village[3], EARLY_END, theft, 25)
    bump_incidents(village[3], add_months(EARLY_END, -1), theft, 20)


def _village_name(planted):
    Territory.objects.filter(code=planted[0].code).update(name="Desa Baru Sekali")


def _district_name(planted):
    Territory.objects.filter(code=planted[1].parent.code).update(name="Kecamatan Baru")


def _category_name(planted):
    Category.objects.filter(code="pencurian").update(name_id="Pencurian (baru)")


CHANGES = [_surge, _village_name, _district_name, _category_name]


@pytest.mark.parametrize("code", ["35", "*"])
@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_a_change_shows_at_once_and_equals_the_list_from_nothing(planted, code, change):
    before = report(code)
    assert report(code) == before  # from what the process keeps
    change(planted)
    after = report(code)
    assert after == afresh(code)
    assert after["alarms"] != before["alarms"]


@pytest.mark.parametrize("code", ["35", "*"])
def test_each_language_has_its_names_and_period(planted, code):
    indonesian = report(code)
    english = report(code, "en")
    assert english == afresh(code, "en")
    assert report(code) == indonesian == afresh(code)
    assert english["period"]["reason"] != indonesian["period"]["reason"]
    named = [a["category_name"] for a in english["alarms"] if a["category_code"]]
    assert named and named != [
        a["category_name"] for a in indonesian["alarms"] if a["category_code"]
    ]


def test_a_page_of_the_list_is_the_list_cut(planted):
    full = report("35")
    for offset in range(len(full["alarms"]) + 1):
        page = report("35", limit=1, offset=offset)
        assert page["alarms"] == full["alarms"][offset : offset + 1]
        assert (page["total"], page["ongoing_villages"]) == (
            full["total"],
            full["ongoing_villages"],
        )


def test_a_request_after_nothing_moved_reads_no_cache_entry(planted, monkeypatch):
    """The regencies' lists come from the process (no unpickling of every regency's entry) once
    it has read them under their versions."""
    report("*")
    asked: list[int] = []
    real = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: asked.append(len(keys)) or real(keys))
    report("*")
    assert asked == []
    _surge(planted)
    report("*")
    assert asked == [1]  # Blitar's new version: not in the cache, scanned
