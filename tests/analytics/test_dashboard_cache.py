"""The dashboard of a province or the country keeps its CompStat, trend, sparklines and coverage
in the shared cache (`jaga.analytics.dashcache`) under a key naming every input: a change of any
of them (a new incident in one regency, the population, a posting, the territory, a category, a
norm, the language, the month) shows at once, and the figures equal those computed afresh.

Each change is written the way a bulk writer would (`QuerySet.update`, no signal): the versions
are kept by triggers in the database."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from jaga.accounts.models import Role
from jaga.incidents.models import Category
from jaga.territory.models import NormSetting, Population, Territory
from tests.analytics.conftest import LAST_MONTH, put_count
from tests.analytics.test_large_scopes import world  # noqa: F401 - a fixture
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(world):  # noqa: F811
    """Incidents, invitations and residents in sixteen villages of two regencies of 35."""
    return world


API = "/api/v1/analytics/dashboard?territory={}&month=2026-10"
# The parts of the answer the cache keeps (the alarms, glance and live figures are read anew).
KEPT = ("compstat", "trend", "areas", "coverage")


def _answer(client, territory: str, **headers) -> dict:
    response = client.get(API.format(territory), **headers)
    assert response.status_code == 200
    return {k: response.json()[k] for k in KEPT}


def _afresh(client, territory: str, **headers) -> dict:
    from tests.analytics.test_dashboard_miss import forget

    forget()  # the shared cache and what the process keeps by version
    return _answer(client, territory, **headers)


def _new_incident(villages):
    put_count(villages[-1], LAST_MONTH, "miras", 7)  # a village of 35.99


def _population(villages):
    Population.objects.filter(village=villages[0]).update(count=F("count") + 50_000)


def _posting(villages):
    PostingFactory(
        user=UserFactory(username="bhabin-baru"), role=Role.BHABIN, territory=villages[-1],
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip


def _province_name(villages):
    Territory.objects.filter(code="35").update(name="Jawa Timur Raya")


def _regency_name(villages):
    Territory.objects.filter(code="35.99").update(name="Kabupaten Uji Baru")


def _category_name(villages):
    Category.objects.filter(code="miras").update(name_id="Minuman keras (oplosan)")


def _norm(villages):
    NormSetting.objects.update_or_create(
        key="bhabin_per_village", defaults={"value": 2, "label": "Bhabinkamtibmas per desa"}
    )


# (change, territory, the parts it must move)
CHANGES = [
    (_new_incident, "*", ("compstat", "trend", "areas")),
    (_new_incident, "35", ("compstat", "trend", "areas")),
    (_population, "*", ("compstat", "trend", "coverage")),
    (_population, "35", ("compstat", "trend", "coverage")),
    (_posting, "*", ("coverage",)),
    (_posting, "35", ("coverage",)),
    (_province_name, "*", ("areas",)),
    (_regency_name, "35", ("areas",)),
    (_category_name, "*", ("compstat",)),
    (_norm, "35", ("coverage",)),
]


@pytest.mark.parametrize(
    ("change", "territory", "moved"), CHANGES, ids=[f"{c[0].__name__}-{c[1]}" for c in CHANGES]
)
def test_a_change_of_any_input_shows_at_once(planted, admin_client_, change, territory, moved):
    before = _answer(admin_client_, territory)
    assert _answer(admin_client_, territory) == before  # from the cache
    change(planted)
    after = _answer(admin_client_, territory)
    assert after == _afresh(admin_client_, territory)
    for part in KEPT:
        assert (after[part] != before[part]) == (part in moved), part


def test_another_language_has_its_own_names(planted, admin_client_):
    indonesian = _answer(admin_client_, "*")
    english = _answer(admin_client_, "*", HTTP_ACCEPT_LANGUAGE="en")
    assert english == _afresh(admin_client_, "*", HTTP_ACCEPT_LANGUAGE="en")
    names = {r["code"]: r["name"] for r in indonesian["compstat"]["rows"]}
    assert names["miras"] != {r["code"]: r["name"] for r in english["compstat"]["rows"]}["miras"]
    assert _answer(admin_client_, "*") == indonesian


def test_another_month_is_another_entry(planted, admin_client_):
    october = _answer(admin_client_, "*")
    september = admin_client_.get("/api/v1/analytics/dashboard?territory=*&month=2026-09").json()
    assert september["compstat"] != october["compstat"]
    cache.clear()
    assert (
        admin_client_.get("/api/v1/analytics/dashboard?territory=*&month=2026-09").json()
        == september
    )


@pytest.mark.parametrize("territory", ["*", "35"])
def test_the_page_shows_the_cached_figures(planted, admin_client_, territory):
    url = f"/analitik/?territory={territory}&month=2026-10"
    first = admin_client_.get(url).content.decode()
    _new_incident(planted)
    _population(planted)
    after = admin_client_.get(url).content.decode()
    cache.clear()
    fresh = admin_client_.get(url).content.decode()
    assert after != first
    strip = _without_csrf
    assert strip(after) == strip(fresh)


def _without_csrf(html: str) -> str:
    import re

    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


# --- queries --------------------------------------------------------------------------------------

# A request that finds the figures in the cache reads the regencies' versions, the tables'
# versions and the two entries instead of the roll-up sums, the categories, the population, the
# child areas, the villages and the postings; the alarms come from the process (one less: the
# regencies' cached lists are not read again under the same versions).
PINNED = {
    ("api", "*"): 14,
    ("api", "35"): 14,
    ("page", "*"): 15,
    ("page", "35"): 16,
}


@pytest.mark.parametrize(("kind", "territory"), list(PINNED))
def test_a_cached_dashboard_reads_no_population_village_or_posting(
    planted, admin_client_, kind, territory
):
    url = (
        API.format(territory)
        if kind == "api"
        else f"/analitik/?territory={territory}&month=2026-10"
    )
    admin_client_.get(url)
    with CaptureQueriesContext(connection) as seen:
        assert admin_client_.get(url).status_code == 200
    sql = [q["sql"] for q in seen.captured_queries]
    assert not [s for s in sql if "territory_population" in s or "COUNT(DISTINCT" in s]
    assert not [s for s in sql if "incidents_category" in s]
    assert len(sql) == PINNED[(kind, territory)], "\n".join(sql)


@pytest.mark.parametrize("territory", ["*", "35"])
def test_a_new_incident_does_not_sum_the_population_again(planted, admin_client_, territory):
    """A new incident moves the figures' key, not the population's (nor the coverage's): the
    figures are computed again without summing the villages' residents."""
    before = _answer(admin_client_, territory)
    _new_incident(planted)
    with CaptureQueriesContext(connection) as seen:
        after = _answer(admin_client_, territory)
    assert not [q for q in seen.captured_queries if "territory_population" in q["sql"]]
    assert after["compstat"] != before["compstat"]
    assert after == _afresh(admin_client_, territory)
