"""Activities held are counted once, where they were held: every "activities held" figure of an
area (scorecard, Anev, the public tables, surveys, the programme list) reads `activities.held`;
`activities.count` stays a village's own exposure (once in every village an activity covers).
The scorecard's figure links to the activities list, which counts exactly the same activities."""

from __future__ import annotations

import datetime
import importlib
import io
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from jaga.analytics import scorecard
from jaga.analytics.models import MonthlyMetric
from jaga.analytics.rebuild import rebuild_all
from jaga.analytics.rollups import bump_incidents
from jaga.analytics.units import resolve_unit
from jaga.incidents.models import Category
from jaga.programs import services as programs
from jaga.programs.queries import activity_counts
from jaga.reports.models import PublicFigures
from jaga.territory.models import Territory
from tests.analytics.test_rebuild_all import snapshot
from tests.partners.conftest import programme  # noqa: F401

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
FIRST = datetime.date(2023, 4, 1)  # the scorecard's twelve months end in March 2024


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, 0))


@pytest.fixture
def planted(
    programme: Any,  # noqa: F811
    satbinmas: Any,
    village_a: Any,
    village_b: Any,
    village_c: Any,
    district_ab: Any,
) -> dict[str, Any]:
    """In Kecamatan Trenggalek: one activity held in Tamanan covering three villages (March),
    one in village B (February); outside the months, one a year earlier and one on the evening
    of 31 March UTC (1 April in Jakarta); outside the district, one in Munjungan (March)."""
    third = (
        Territory.objects.filter(parent=district_ab, level="village")
        .exclude(pk__in=[village_a.pk, village_b.pk])
        .order_by("code")
        .first()
    )

    def record(village: Any, starts: datetime.datetime, **extra: Any) -> Any:
        return programs.record_activity(
            actor=satbinmas, programme=programme, kind="meeting", title="Rapat",
            starts_at=starts, village=village, **extra,
        )  # fmt: skip

    wide = record(
        village_a, at(2024, 3, 5), area=district_ab, villages=[village_b, third], head_count=90
    )
    return {
        "third": third,
        "wide": wide,
        "feb": record(village_b, at(2024, 2, 10)),
        "old": record(village_a, at(2023, 1, 10)),
        "april": record(village_b, datetime.datetime(2024, 3, 31, 18, 30, tzinfo=datetime.UTC)),
        "elsewhere": record(village_c, at(2024, 3, 7)),
    }


def value(village: Any, metric: str, month: datetime.date = MARCH) -> int:
    row = MonthlyMetric.objects.filter(village=village, month=month, metric=metric, key="FKPM")
    return sum(row.values_list("value", flat=True))


def test_an_activity_is_held_once_and_covers_each_village(planted, village_a, village_b):
    assert value(village_a, "activities.held") == 1
    assert value(village_b, "activities.held") == 0
    assert value(planted["third"], "activities.held") == 0
    # A village's own exposure is unchanged: the wide activity covered each of the three.
    for village in (village_a, village_b, planted["third"]):
        assert value(village, "activities.count") == 1
    assert value(village_b, "activities.count", datetime.date(2024, 4, 1)) == 1


def test_the_district_scorecard_counts_the_wide_activity_once(planted, bob):
    out = scorecard.outputs(resolve_unit(bob, "35.03.11"), MARCH)["FKPM"]
    assert out["activities"] == 2  # the wide one and February's; summing coverage said 4
    assert out["start"] == "2023-04" and out["end"] == "2024-03"


def test_the_anev_counts_the_wide_activity_once(planted, district_ab):
    from jaga.reports import anev

    section = anev.partnership(district_ab, MARCH)
    assert section["activities"] == 1
    assert {r["code"]: r["activities"] for r in section["rows"]}["FKPM"] == 1
    assert section["head_count"] == 90


def test_the_public_tables_count_the_wide_activity_once(planted):
    from jaga.reports import public

    table = public.activities("35.03", MARCH, "held")
    assert table.kind == "activities.held"
    assert table._values[("35.03.11", "FKPM")] == 1
    assert table._values[("35.03", "FKPM")] == 2  # with Munjungan's
    assert "activities.held" in public.compute("35.03", MARCH)["tables"]


def test_surveys_and_the_programme_list_count_the_wide_activity_once(planted):
    from jaga.surveys.queries import joined_by_child

    regency = Territory.objects.get(code="35.03")
    rows = {
        r["territory"].code: r["activities"]
        for r in joined_by_child(regency, FIRST, datetime.date(2024, 3, 31))["rows"]
    }
    assert rows["35.03.11"] == 2 and rows["35.03.02"] == 1
    counts = activity_counts(territory_code="35.03.11")
    assert counts["FKPM"]["held"] == 4  # the wide one, February, a year before and 1 April


def test_the_scorecard_links_to_a_list_of_exactly_its_activities(planted, bob, bob_client):
    unit = resolve_unit(bob, "35.03.11")
    out = scorecard.outputs(unit, MARCH)["FKPM"]
    url = scorecard.activities_url(unit, "FKPM", out)
    assert url is not None
    assert parse_qs(urlsplit(url).query) == {
        "programme": ["FKPM"], "area": ["35.03.11"], "start": ["2023-04"], "end": ["2024-03"],
    }  # fmt: skip
    response = bob_client.get(url)
    assert response.status_code == 200
    listed = {a.pk for a in response.context["page"].object_list}
    assert listed == {planted["wide"].pk, planted["feb"].pk}
    assert response.context["page"].paginator.count == out["activities"]
    body = response.content.decode()
    assert "2 kegiatan" in body  # the count, in Indonesian
    assert 'value="Kec. Trenggalek' in body  # the area by its name, not its code


def test_the_scorecard_page_shows_the_link(planted, bob_client, village_a):
    bump_incidents(village_a, FIRST, Category.objects.get(code="pencurian").pk, 1)
    cache.clear()
    body = bob_client.get("/analitik/rapor-program/?territory=35.03.11&month=2024-03")
    html = body.content.decode()
    assert body.status_code == 200
    assert (
        "/program/kegiatan/?programme=FKPM&amp;start=2023-04&amp;end=2024-03&amp;area=35.03.11"
        in (html)
    )


def test_the_list_filters_by_area_and_months_within_the_users_scope(
    planted, leader_client: Client, charlie_client: Client, client: Client
):
    wide, feb, old = planted["wide"], planted["feb"], planted["old"]
    page = leader_client.get("/program/kegiatan/", {"area": "35.03", "start": "2024-03"})
    assert {a.pk for a in page.context["page"]} == {
        wide.pk,
        planted["april"].pk,
        planted["elsewhere"].pk,
    }
    page = leader_client.get("/program/kegiatan/", {"area": "Tamanan", "end": "2023-12"})
    assert {a.pk for a in page.context["page"]} == {old.pk}  # a village typed by name
    page = leader_client.get("/program/kegiatan/", {"start": "2024-02", "end": "2024-02"})
    assert {a.pk for a in page.context["page"]} == {feb.pk}
    bad = leader_client.get("/program/kegiatan/", {"start": "2024-03", "end": "2024-01"})
    assert bad.status_code == 200 and bad.context["page"].paginator.count == 0
    assert "sebelum" in bad.content.decode()
    # Kecamatan Trenggalek is not Charlie's to choose: the filter says so and lists nothing.
    other = charlie_client.get("/program/kegiatan/", {"area": "35.03.11"})
    assert other.status_code == 200 and other.context["page"].paginator.count == 0
    assert other.context["form"].errors["area"]
    assert client.get("/program/kegiatan/", {"area": "35.03.11"}).status_code == 302


def test_moving_an_activity_moves_its_held_figure_and_a_rebuild_agrees(
    planted, satbinmas, village_a, village_b
):
    from jaga.programs.models import Programme

    other = programs.create_programme(actor=satbinmas, code="KTS", name="Kampung Tangguh")
    assert isinstance(other, Programme)
    feb = planted["feb"]
    programs.update_activity(
        feb, actor=satbinmas, village=village_a, area=village_a, starts_at=at(2024, 1, 20)
    )
    january = datetime.date(2024, 1, 1)
    assert value(village_b, "activities.held", datetime.date(2024, 2, 1)) == 0
    assert value(village_a, "activities.held", january) == 1
    programs.update_activity(planted["wide"], actor=satbinmas, programme=other)
    assert value(village_a, "activities.held") == 0
    held = MonthlyMetric.objects.get(
        village=village_a, month=MARCH, metric="activities.held", key="KTS"
    )
    assert held.value == 1
    before = snapshot()
    rebuild_all()
    assert snapshot() == before


def test_the_migration_fills_the_held_figure_as_the_services_count_it(planted):
    from django.apps import apps
    from django.db import connection

    live = {row for row in snapshot()["metrics"] if row[2] == "activities.held"}
    assert len(live) == 5  # the April evening has its own month
    MonthlyMetric.objects.filter(metric="activities.held").delete()
    migration = importlib.import_module("jaga.programs.migrations.0006_activities_held_rollup")
    editor = SimpleNamespace(connection=connection)  # all `fill` asks of the schema editor
    migration.fill(apps, editor)
    migration.fill(apps, editor)  # twice: the same rows
    assert {row for row in snapshot()["metrics"] if row[2] == "activities.held"} == live


def test_a_month_published_before_the_held_table_is_published_again(planted, client: Client):
    from jaga.reports import public
    from jaga.reports.tasks import publish_closed_months

    row = public.publish("35.03", MARCH)
    tables = row.payload["tables"]
    tables["activities.count"] = tables.pop("activities.held")  # as stored before
    row.save()
    assert MARCH not in public.published_months("35.03")
    cache.clear()
    page = client.get("/publik/35.03/", {"bulan": "2024-03"})
    assert page.status_code == 200
    kinds = {t["kind"] for t in page.context["tables"]}
    assert "activities.count" not in kinds  # the old, summed-coverage table is not shown
    # Opening the stale month queued it: it is stored again with the table of activities held.
    stored = PublicFigures.objects.get(regency_code="35.03", month=MARCH).payload["tables"]
    assert "activities.held" in stored
    stored_row = PublicFigures.objects.get(regency_code="35.03", month=MARCH)
    stored_row.payload["tables"].pop("activities.held")
    stored_row.save()
    assert publish_closed_months.enqueue("35.03").return_value >= 1
    assert MARCH in public.published_months("35.03")
    out = io.StringIO()
    from django.core.management import call_command

    call_command("report", "publish", "--all", "--missing", "--territory", "35.03", stdout=out)
    assert "2024-03" not in out.getvalue()
