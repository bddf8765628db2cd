"""Early warning above a Polres: a province or the country is scanned regency by regency.

Each regency gets its own period (a register that ends early shortens only its own window) and
its own season and trend, as its Polres sees it and as the monthly run stores it; the result is
cached per regency, so a province's page rescans only the regencies whose figures moved.
"""

from __future__ import annotations

import datetime
import io
import json

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import call_command

from jaga.analytics import warning
from jaga.analytics.rollups import bump_incidents
from jaga.analytics.units import Unit
from jaga.core.choose import territory_label
from jaga.core.months import add_months
from jaga.incidents.models import Category
from jaga.territory.models import Level, Territory
from jaga.territory.services import load_territory
from tests.analytics.conftest import LAST_MONTH, bulk_counts

pytestmark = pytest.mark.django_db

BLITAR = "35.72"  # Kota Blitar: a second regency of the province
EARLY_END = add_months(LAST_MONTH, -3)  # Blitar's register stops three months earlier


def unit(code: str) -> Unit:
    if code == "*":
        return Unit("*", "Indonesia", ["35"], "country")
    t = Territory.objects.get(code=code)
    return Unit(code, t.name, [code], t.level, t)


def plant(villages: list[Territory], last: datetime.date, seed: int) -> Territory:
    """48 months of quiet counts ending with `last`, a surge in the last two months of the first
    village; returns that village."""
    months = [add_months(last, -i) for i in range(47, -1, -1)]
    rng = np.random.default_rng(seed)
    level = rng.gamma(3.0, 0.5, size=len(villages))
    y = rng.poisson(np.repeat(level[:, None], len(months), axis=1))
    y[0, :] = rng.poisson(1.0, size=len(months))
    y[0, -2:] = [9, 11]
    bulk_counts(villages, months, y, "pencurian")
    return villages[0]


def plant_both(villages: list[Territory], blitar_end: datetime.date) -> tuple[Territory, Territory]:
    """Trenggalek's register to the last month, Blitar's to `blitar_end`; the surge villages."""
    load_territory(BLITAR)
    blitar = list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).order_by("code")
    )
    cache.clear()
    return plant(villages[5:], LAST_MONTH, 5), plant(blitar, blitar_end, 7)


@pytest.fixture
def two_regencies(frozen, villages):
    return plant_both(villages, EARLY_END)


def keys(found: list[dict]) -> set[tuple]:  # type: ignore[type-arg]
    return {
        (a["village_code"], a["category_code"], a["month"], a["observed"], a["expected"])
        for a in found
    }


@pytest.mark.parametrize("code", ["35", "*"])
def test_a_province_lists_what_each_regency_raises(two_regencies, code):
    trenggalek_surge, blitar_surge = two_regencies
    found = warning.alarms(unit(code), LAST_MONTH)
    each = warning.alarms(unit("35.03"), LAST_MONTH) + warning.alarms(unit(BLITAR), LAST_MONTH)
    assert keys(found) == keys(each)
    assert len(found) == len(each)
    # Both planted surges: Trenggalek's in its last two months, Blitar's in the last two months
    # of its shorter register. Scanned over the months both regencies cover (the old way), the
    # window would end with Blitar's register and miss Trenggalek's surge.
    surges = {(a["village_code"], a["month"]) for a in found}
    assert (trenggalek_surge.code, add_months(LAST_MONTH, -1)) in surges
    assert (blitar_surge.code, add_months(EARLY_END, -1)) in surges
    # Newest first across regencies.
    months = [a["month"] for a in found if a["ongoing"]]
    assert months == sorted(months, reverse=True)


def test_the_period_says_which_regencies_end_early(two_regencies):
    period = warning.alarms_report(unit("35"), LAST_MONTH)["period"]
    assert period["end"] == LAST_MONTH.isoformat()[:7]
    assert "1 of 2" in period["reason"] or "1 dari 2" in period["reason"]
    assert period["regencies_ending_earlier"] == 1
    out = io.StringIO()
    call_command(
        "analytics",
        "alarms",
        "--territory",
        "35",
        "--end",
        LAST_MONTH.isoformat()[:7],
        "--json",
        "--with-period",
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    assert printed["period"] == period
    assert {(a["village_code"], a["month"]) for a in printed["alarms"]} == {
        (a["village_code"], a["month"].isoformat())
        for a in warning.alarms_report(unit("35"), LAST_MONTH)["alarms"]
    }


def test_a_province_rescans_only_the_regencies_whose_figures_moved(two_regencies, monkeypatch):
    scanned: list[list[str]] = []
    real = warning._scan_parts

    def recording(parts, *args, **kwargs):  # type: ignore[no-untyped-def]
        scanned.append(sorted(p.key for p in parts))
        return real(parts, *args, **kwargs)

    monkeypatch.setattr(warning, "_scan_parts", recording)
    province = unit("35")
    first = warning.alarms_report(province, LAST_MONTH)
    assert scanned == [["35.03", BLITAR]]
    assert warning.alarms_report(province, LAST_MONTH) == first
    assert scanned == [["35.03", BLITAR]]  # nothing moved: all from the cache
    # A new incident in Blitar's last month: Blitar alone is scanned again.
    village = Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).first()
    bump_incidents(village, EARLY_END, Category.objects.get(code="pencurian").pk, 1)
    again = warning.alarms_report(province, LAST_MONTH)
    assert scanned == [["35.03", BLITAR], [BLITAR]]
    assert keys(again["alarms"]) >= {k for k in keys(first["alarms"]) if k[0].startswith("35.03.")}
    # The regency's own page reads what the province's scan cached, and the other way round.
    warning.alarms_report(unit("35.03"), LAST_MONTH)
    assert scanned == [["35.03", BLITAR], [BLITAR]]


@pytest.fixture
def same_period(frozen, villages):
    """Both regencies' registers end in the last month: they are scanned in one pass."""
    return plant_both(villages, LAST_MONTH)


@pytest.mark.parametrize("planted", ["two_regencies", "same_period"])
def test_one_read_for_many_regencies_gives_what_each_read_alone_gives(
    planted, request, monkeypatch
):
    request.getfixturevalue(planted)
    province = unit("35")
    coverage = warning.regency_coverage(province)
    parts = warning.regency_units(province, coverage)
    together = warning._scan_parts(parts, LAST_MONTH, warning.WINDOW, warning.ALPHA, coverage)
    monkeypatch.setattr(warning, "stored_series", lambda: False)
    alone = warning._scan_parts(parts, LAST_MONTH, warning.WINDOW, warning.ALPHA, coverage)
    assert together.keys() == alone.keys() == {"35.03", BLITAR}
    for code in together:
        assert together[code][0] == alone[code][0], code
        assert together[code][1].as_dict() == alone[code][1].as_dict()
    assert any(together[code][0] for code in together)


def test_a_page_that_shows_a_few_alarms_names_only_those(two_regencies):
    full = warning.alarms_report(unit("35"), LAST_MONTH)
    few = warning.alarms_report(unit("35"), LAST_MONTH, limit=1)
    assert len(full["alarms"]) >= 2
    assert few["alarms"] == full["alarms"][:1]
    assert few["total"] == full["total"] == len(full["alarms"])
    alone = warning.alarms_report(unit("35.03"), LAST_MONTH, limit=1)
    assert len(alone["alarms"]) == 1 and alone["total"] >= 1


def test_a_wide_list_names_its_villages_from_values_not_models(
    two_regencies, monkeypatch, django_assert_num_queries
):
    """Above one regency each alarm is named "village, Kec. district, regency" from one read of
    values: building the village, its district and its regency as models was most of the time
    of naming the country's thousand alarms. The names are `territory_label`'s; the categories'
    names are those of the request's language."""
    from django.utils import translation

    built: list[int] = []
    original = Territory.from_db.__func__  # type: ignore[attr-defined]

    def counted(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        built.append(1)
        return original(cls, db, field_names, values)

    province = unit("35")
    with translation.override("id"):  # scanned, kept and named in Indonesian
        warning.alarms_report(province, LAST_MONTH)
    again = unit("35")  # a new request
    monkeypatch.setattr(Territory, "from_db", classmethod(counted))
    # The regencies' versions and the tables' (territory, categories); the alarms and the
    # villages' names are kept by the process under them, the categories' English names read.
    with translation.override("en"), django_assert_num_queries(3):
        found = warning.alarms_report(again, LAST_MONTH)["alarms"]
    monkeypatch.undo()
    assert len(found) >= 2 and built == []
    villages = {
        t.code: t
        for t in Territory.objects.filter(
            code__in=[a["village_code"] for a in found]
        ).select_related("parent__parent")
    }
    categories = {c.code: c for c in Category.objects.all()}
    for alarm in found:
        assert alarm["village_name"] == territory_label(
            villages[alarm["village_code"]], regency=True
        )
        if alarm["category_code"]:
            assert alarm["category_name"] == categories[alarm["category_code"]].name_en


def test_the_alarms_page_lists_every_alarm_page_by_page(two_regencies, monkeypatch):
    """The country has over a thousand alarms: the page names and shows a page of them; the
    pages together are the whole list, in its order, and the sentence counts every village."""
    import re

    from jaga.accounts.models import Role
    from jaga.analytics import plain, views
    from tests.conftest import client_for
    from tests.factories import PostingFactory, UserFactory

    user = UserFactory(username="kapolda-pages")
    PostingFactory(
        user=user, role=Role.LEADER, territory=Territory.objects.get(code="35"),
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip
    client = client_for(user)
    full = warning.alarms_report(unit("35"), LAST_MONTH)
    assert len(full["alarms"]) >= 2
    for alarm in full["alarms"]:  # named as everywhere else above one regency
        village = Territory.objects.get(code=alarm["village_code"])
        assert alarm["village_name"] == territory_label(village, regency=True)
    monkeypatch.setattr(views, "ALARMS_PAGE", 1)
    shown = []
    pages = len(full["alarms"])
    for number in range(1, pages + 2):  # and one past the end: the last page again
        html = client.get(f"/analitik/peringatan/?territory=35&month=2026-10&page={number}")
        text = html.content.decode()
        names = re.findall(r'territory=(35\.\d\d\.\d\d\.\d{4})">', text)
        if number <= pages:
            shown.extend(names)
        else:
            assert names == [a["village_code"] for a in full["alarms"]][-len(names) :]
        assert f"{min(number, pages)}/{pages}" in text
    assert shown == [a["village_code"] for a in full["alarms"]]
    ongoing = len({a["village_code"] for a in full["alarms"] if a["ongoing"]})
    assert full["ongoing_villages"] == ongoing > 0
    assert plain.ongoing_villages_in_words(ongoing) in text.replace("&#x27;", "'")


def test_the_stored_series_are_the_roll_up_and_follow_every_write(same_period):
    """Each regency's packed matrix equals its roll-up read alone; a write moves the regency's
    version and its matrix is built again at the next read, the other regency's is kept."""
    from jaga.analytics import series
    from jaga.analytics.models import RegencySeries

    coverage = warning.regency_coverage(unit("35"))
    stored = series.matrices(coverage)
    assert set(stored) == {"35.03", BLITAR}
    for c in coverage:
        first, last = series.stored_span(c)
        alone = warning.with_village_totals(
            warning.incident_matrix(
                Unit(c.code, "", [c.code], Level.REGENCY).rollup_q(), first, last
            )
        )
        expected = {
            (int(v), int(k)): row.tolist()
            for v, k, row in zip(alone.village_ids, alone.category_ids, alone.counts, strict=True)
        }
        got = stored[c.code]
        assert got.first_month == first and got.last_month == last
        assert {
            (int(v), int(k)): row.astype(float).tolist()
            for v, k, row in zip(got.village_ids, got.category_ids, got.counts, strict=True)
        } == expected
        pairs = [(int(v), int(k)) for v, k in zip(got.village_ids, got.category_ids, strict=True)]
        categories = [p for p in pairs if p[1] != warning.ALL_CATEGORIES]
        assert categories == sorted(categories) == pairs[: len(categories)]  # totals after
    rows = dict(RegencySeries.objects.values_list("regency_code", "version"))
    assert rows.keys() == {"35.03", BLITAR}

    village = Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).first()
    category = Category.objects.get(code="pencurian")
    bump_incidents(village, LAST_MONTH, category.pk, 40)
    cache.clear()
    coverage = warning.regency_coverage(unit("35"))
    again = series.matrices(coverage)
    after = dict(RegencySeries.objects.values_list("regency_code", "version"))
    assert after["35.03"] == rows["35.03"]
    assert after[BLITAR] != rows[BLITAR]
    row = (again[BLITAR].village_ids == village.pk) & (again[BLITAR].category_ids == category.pk)
    assert again[BLITAR].counts[row, -1].tolist() == [stored[BLITAR].counts[row, -1][0] + 40]


def test_a_stored_matrix_reads_back_exactly():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from jaga.analytics import series

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(0, 30),
        st.integers(1, 70),
        st.sampled_from([3, 300, 70_000, 5_000_000]),
        st.integers(0, 2**32 - 1),
    )
    def check(n: int, months: int, top: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        m = series.RegencyMatrix(
            "35.03",
            datetime.date(2022, 1, 1),
            np.sort(rng.integers(1, 5_000_000, n)),
            rng.integers(0, 900, n),
            rng.integers(0, top, (n, months)),
        )
        back = series.decode("35.03", m.first_month, series.encode(m))
        assert back.village_ids.tolist() == m.village_ids.tolist()
        assert back.category_ids.tolist() == m.category_ids.tolist()
        assert back.counts.tolist() == m.counts.tolist()
        assert back.last_month == add_months(m.first_month, months - 1)

    check()


def test_the_daily_refresh_builds_only_what_moved(same_period):
    from jaga.analytics import series
    from jaga.core import schedule

    assert "regency-series" in {job.name for job in schedule.jobs()}
    assert series.refresh() == 2
    assert series.refresh() == 0
    village = Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).first()
    bump_incidents(village, LAST_MONTH, Category.objects.get(code="pencurian").pk, 1)
    assert series.refresh() == 1


def test_months_older_than_the_stored_ones_are_read_from_the_roll_up(same_period, monkeypatch):
    """A request for an earlier end month than the stored months hold reads the roll-up: the
    same alarms as without the store."""
    from jaga.analytics import series

    monkeypatch.setattr(series, "STORED_MONTHS", 44)
    end = add_months(LAST_MONTH, -3)
    province = unit("35")
    coverage = warning.regency_coverage(province)
    parts = warning.regency_units(province, coverage)
    stored = warning._scan_parts(parts, end, warning.WINDOW, warning.ALPHA, coverage)
    period = stored["35.03"][1]
    assert not series.matrices(coverage)["35.03"].holds(period.start, period.end)
    monkeypatch.setattr(warning, "stored_series", lambda: False)
    alone = warning._scan_parts(parts, end, warning.WINDOW, warning.ALPHA, coverage)
    assert stored.keys() == alone.keys()
    for code in stored:
        assert stored[code][0] == alone[code][0]


def test_above_one_regency_a_village_is_named_with_its_district_and_regency(frozen, villages):
    """Ngadirejo is a village of Kabupaten Trenggalek and a kelurahan of Kota Blitar: on the
    Polda's list (page, API, command line) each says where it is; a Polres's own list keeps the
    short name."""
    from jaga.accounts.models import Role
    from tests.conftest import client_for
    from tests.factories import PostingFactory, UserFactory

    load_territory(BLITAR)
    cache.clear()
    both = []
    for regency, seed in (("35.03", 5), (BLITAR, 7)):
        inside = list(Territory.objects.filter(level=Level.VILLAGE, regency_code=regency))
        same = next(v for v in inside if v.name == "Ngadirejo")
        both.append(plant([same] + [v for v in inside if v != same], LAST_MONTH, seed))
    labels = {v.code: f"Ngadirejo, Kec. {v.parent.name}, {v.parent.parent.name}" for v in both}
    assert len(set(labels.values())) == 2 and "Kota Blitar" in labels[both[1].code]

    user = UserFactory(username="kapolda-names")
    PostingFactory(
        user=user, role=Role.LEADER, territory=Territory.objects.get(code="35"),
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip
    client = client_for(user)
    page = client.get("/analitik/peringatan/?territory=35&month=2026-10").content.decode()
    api = client.get("/api/v1/analytics/alarms?territory=35&month=2026-10").json()
    out = io.StringIO()
    call_command("analytics", "alarms", "--territory", "35", "--end", "2026-10", stdout=out)
    for code, label in labels.items():
        assert label in page
        assert {a["village_name"] for a in api if a["village_code"] == code} == {label}
        assert label in out.getvalue()
    # A regency's own list: its villages only, the short name.
    regency = warning.alarms_report(unit("35.03"), LAST_MONTH)["alarms"]
    mine = {a["village_name"] for a in regency if a["village_code"] == both[0].code}
    assert mine == {both[0].display_name}
