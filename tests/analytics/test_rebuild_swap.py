"""The incident roll-ups' rebuild gives exactly the rows the running counts hold: no incident
dropped, none counted twice, whatever the tables held before. On PostgreSQL each test runs both
ways the rebuild has: the differences written in place, and new tables built and swapped in (on
SQLite it rewrites the rows).

The running counts are the reference: every planted incident is counted through
`bump_incidents`, as the services count them, then the rebuild must change nothing, twice in a
row, and the tables must keep taking running counts afterwards.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Sum

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.analytics.rebuild import rebuild_incidents
from jaga.analytics.rollups import bump_incidents
from jaga.incidents.models import Incident
from jaga.territory.models import Level, Territory
from tests.analytics.test_rebuild_all import snapshot
from tests.analytics.test_rebuild_fast import planted  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["in place", "in place, whole tables compared", "anew"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """On PostgreSQL: every difference corrected in place (the rows of the villages and areas
    whose fingerprints differ compared, or all rows), or every table built anew."""
    if connection.vendor != "postgresql" and request.param != "in place":
        pytest.skip("PostgreSQL's paths")
    if request.param.startswith("in place"):
        monkeypatch.setattr(rebuild, "IN_PLACE_ROWS", 10**9)
        monkeypatch.setattr(rebuild, "SUSPECTS_SHARE", 0.0 if "whole" in request.param else 1.0)
    else:
        monkeypatch.setattr(rebuild, "ALWAYS_ANEW", True)
    return str(request.param)


TABLES = ("analytics_monthlyincidentcount", "analytics_areamonthlycount")


def count_running(incidents: list[Incident]) -> None:
    for incident in incidents:
        bump_incidents(incident.village, incident.occurred_at, incident.category_id, 1)


def totals() -> tuple[int, int, int]:
    village = MonthlyIncidentCount.objects.aggregate(n=Sum("count"))["n"]
    district = AreaMonthlyCount.objects.filter(level="district").aggregate(n=Sum("count"))["n"]
    regency = AreaMonthlyCount.objects.filter(level="regency").aggregate(n=Sum("count"))["n"]
    return village, district, regency


def test_a_rebuild_neither_drops_nor_double_counts_an_incident(planted: list[Incident]) -> None:  # noqa: F811
    count_running(planted)
    running = snapshot()
    rows = (MonthlyIncidentCount.objects.count(), AreaMonthlyCount.objects.count())
    assert totals() == (len(planted),) * 3
    assert len(running["villages"]) > 100 and len(running["areas"]) > 100

    written = rebuild_incidents()
    assert written == rows[0]
    assert snapshot() == running
    assert (MonthlyIncidentCount.objects.count(), AreaMonthlyCount.objects.count()) == rows
    assert totals() == (len(planted),) * 3

    # Again, over the rebuilt tables: nothing added to what is there.
    assert rebuild_incidents() == rows[0]
    assert snapshot() == running
    assert totals() == (len(planted),) * 3


def test_a_rebuild_mends_every_kind_of_drift(planted: list[Incident]) -> None:  # noqa: F811
    """Wrong counts and codes, rows lost, rows that should not be there, on both levels."""
    count_running(planted)
    running = snapshot()
    first = MonthlyIncidentCount.objects.order_by("pk").first()
    assert first is not None
    MonthlyIncidentCount.objects.filter(pk=first.pk).update(count=7, district_code="99.99.99")
    MonthlyIncidentCount.objects.filter(month=datetime.date(2024, 3, 1)).delete()
    MonthlyIncidentCount.objects.create(
        village_id=first.village_id, month=datetime.date(1999, 1, 1), category_id=first.category_id,
        count=3, province_code=first.province_code, regency_code=first.regency_code,
        district_code=first.district_code,
    )  # fmt: skip
    AreaMonthlyCount.objects.filter(level="regency").update(count=0)
    AreaMonthlyCount.objects.filter(level="district", month=datetime.date(2024, 5, 1)).delete()
    assert snapshot() != running
    rebuild_incidents()
    assert snapshot() == running
    assert totals() == (len(planted),) * 3
    assert not MonthlyIncidentCount.objects.filter(count=0).exists()


def test_after_a_rebuild_the_running_counts_go_on(planted: list[Incident]) -> None:  # noqa: F811
    """New rows (new ids, the unique keys) and bumps of rebuilt rows both land, and a rebuild
    after them agrees with them."""
    later = planted[300:]
    Incident.objects.filter(pk__in=[i.pk for i in later]).delete()
    count_running(planted[:300])
    rebuild_incidents()
    for incident in later:
        incident.pk = None
    Incident.objects.bulk_create(later)
    count_running(later)  # new (village, month, category) rows and rebuilt ones
    assert MonthlyIncidentCount.objects.filter(count__gt=1).exists()
    running = snapshot()
    assert totals() == (len(planted),) * 3
    rebuild_incidents()
    assert snapshot() == running
    ids = list(MonthlyIncidentCount.objects.values_list("pk", flat=True))
    assert len(ids) == len(set(ids))


def test_a_rebuild_empties_the_roll_ups_of_incidents_gone(planted: list[Incident]) -> None:  # noqa: F811
    count_running(planted)
    Incident.objects.filter(pk__in=[i.pk for i in planted[100:]]).delete()
    rebuild_incidents()
    assert totals() == (100,) * 3
    Incident.objects.all().delete()
    assert rebuild_incidents() == 0
    assert not MonthlyIncidentCount.objects.exists() and not AreaMonthlyCount.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild path")
def test_the_swap_leaves_no_table_behind_and_keeps_the_keys(planted):  # noqa: F811
    def relations() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, relkind FROM pg_class WHERE relname LIKE 'analytics_%%'"
            )
            return set(cursor.fetchall())

    def keys() -> list[tuple[str, str]]:
        """Each roll-up's primary key: its name and definition."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = ANY(%s::regclass[]) AND contype = 'p' ORDER BY conname",
                [list(TABLES)],
            )
            return cursor.fetchall()

    before, keyed = relations(), keys()
    assert keyed == [
        ("analytics_areamonthlycount_pkey", "PRIMARY KEY (area_code, month, category_id) INCLUDE (count)"),
        ("analytics_monthlyincidentcount_pkey", "PRIMARY KEY (village_id, month, category_id)"),
    ]  # fmt: skip
    count_running(planted)
    rebuild_incidents()
    assert relations() == before
    assert keys() == keyed


def test_the_regency_versions_move_and_their_triggers_stay(planted: list[Incident]) -> None:  # noqa: F811
    """The alarms' cache and the coverage are keyed by each regency's roll-up version, moved by
    triggers on the area roll-up (migration analytics 0008). A rebuild that changes a regency's
    rows gives it a new version, in place or built anew (the new table gets the live table's
    triggers), and the running counts go on moving it afterwards."""
    from jaga.analytics.models import RegencyVersion

    def versions() -> dict[str, int]:
        return dict(RegencyVersion.objects.values_list("regency_code", "version"))

    count_running(planted)
    before = versions()
    assert before
    AreaMonthlyCount.objects.filter(level="regency").update(count=0)  # drift in every regency
    drifted = versions()
    rebuild_incidents()
    after = versions()
    assert set(after) == set(before)
    assert all(after[code] != drifted[code] for code in after)
    count_running(planted[:1])
    regency = planted[0].village.regency_code
    assert versions()[regency] != after[regency]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLES[1]],
            )
            assert cursor.fetchone()[0] == 4


def moved_between_villages(incidents: list[Incident]) -> str:
    """One incident's count moved in the village roll-up from its village to another of the same
    district (same month and category): the district and regency sums do not change, the
    regency's village series do. Returns the regency."""
    row = MonthlyIncidentCount.objects.filter(count__gt=1).order_by("pk").first()
    assert row is not None
    other = (
        Territory.objects.filter(level=Level.VILLAGE, district_code=row.district_code)
        .exclude(pk=row.village_id)
        .order_by("code")
        .first()
    )
    assert other is not None
    MonthlyIncidentCount.objects.filter(pk=row.pk).update(count=row.count - 1)
    moved, created = MonthlyIncidentCount.objects.get_or_create(
        village=other, month=row.month, category_id=row.category_id,
        defaults={
            "count": 1, "province_code": other.province_code,
            "regency_code": other.regency_code, "district_code": other.district_code,
        },
    )  # fmt: skip
    if not created:
        MonthlyIncidentCount.objects.filter(pk=moved.pk).update(count=moved.count + 1)
    return row.regency_code


@pytest.mark.parametrize("village_table", ["in place", "anew"])
def test_a_rebuild_of_village_rows_only_moves_their_regencys_version(
    planted: list[Incident],  # noqa: F811
    village_table: str,
    strategy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The village rows of a regency drifted, its district and regency rows did not: the rebuild
    writes village rows only (no trigger on the area roll-up fires), yet the regency's stored
    series and cached alarms are of the village rows, so its version must move. With the village
    table built anew and the area rows corrected in place (nothing to correct), every regency's
    does."""
    from jaga.analytics.models import RegencyVersion

    def versions() -> dict[str, int]:
        return dict(RegencyVersion.objects.values_list("regency_code", "version"))

    if village_table == "anew":
        if strategy == "anew" or connection.vendor != "postgresql":
            pytest.skip("PostgreSQL's village table built anew, area rows in place")
        monkeypatch.setattr(rebuild, "IN_PLACE_ROWS", 0)
        monkeypatch.setattr(rebuild, "IN_PLACE_SHARE", 0.0)
    count_running(planted)
    running = snapshot()
    regency = moved_between_villages(planted)
    before = versions()
    assert snapshot()["areas"] == running["areas"] and snapshot() != running
    rebuild_incidents()
    assert snapshot() == running
    after = versions()
    assert after[regency] != before[regency]
    if village_table == "anew" or strategy == "anew":  # every regency
        assert all(after[code] != before[code] for code in before)
