"""The incident roll-ups' rebuild (on PostgreSQL: indexes and foreign keys dropped, rows counted
in a few statements, indexes and keys put back) writes exactly the rows the plain GROUP BY over
the incidents gives, and leaves the tables with the same indexes and constraints."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.analytics.rebuild import rebuild_incidents
from jaga.incidents.models import Category, Incident
from jaga.territory.models import Level, Territory

pytestmark = pytest.mark.django_db

VILLAGE_COLUMNS = (
    "village_id", "month", "category_id", "count", "province_code", "regency_code", "district_code",
)  # fmt: skip
AREA_COLUMNS = ("level", "area_code", "parent_code", "month", "category_id", "count")


@pytest.fixture
def planted() -> list[Incident]:
    """Incidents written straight into the table (no running counts): villages of several
    districts, every category, moments around the local month boundary (17:00 UTC on the last
    day of a month is already the next month in Jakarta)."""
    rng = np.random.default_rng(13)
    villages = list(Territory.objects.filter(level=Level.VILLAGE).order_by("code")[::9])
    categories = list(Category.objects.filter(parent__isnull=False))
    assert len({v.district_code for v in villages}) >= 5 and len(categories) >= 3
    base = datetime.datetime(2024, 1, 31, 16, 0, tzinfo=datetime.UTC)
    incidents = []
    for k in range(600):
        village = villages[int(rng.integers(len(villages)))]
        moment = base + datetime.timedelta(
            days=31 * int(rng.integers(14)), minutes=int(rng.integers(-90, 150))
        )
        incidents.append(
            Incident(
                category=categories[int(rng.integers(len(categories)))],
                village=village,
                regency_code=village.regency_code,
                district_code=village.district_code,
                occurred_at=moment,
                source="import",
                source_ref=f"planted-{k}",
            )
        )
    return Incident.objects.bulk_create(incidents)


def expected_villages(incidents: list[Incident]) -> Counter[tuple[Any, ...]]:
    """The village roll-up computed from the incidents here, month by month in local time."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for i in incidents:
        month = timezone.localtime(i.occurred_at).date().replace(day=1)
        v = i.village
        key = (v.pk, month, i.category_id, v.province_code, v.regency_code, v.district_code)
        counts[key] += 1
    return counts


def village_rows() -> set[tuple[Any, ...]]:
    return set(MonthlyIncidentCount.objects.values_list(*VILLAGE_COLUMNS))


def area_rows() -> set[tuple[Any, ...]]:
    return set(AreaMonthlyCount.objects.values_list(*AREA_COLUMNS))


def test_the_rebuild_counts_every_incident_once_in_its_local_month(planted):
    MonthlyIncidentCount.objects.all().delete()
    written = rebuild_incidents()
    expected = {
        (v, m, c, n, p, r, d) for (v, m, c, p, r, d), n in expected_villages(planted).items()
    }
    assert village_rows() == expected
    assert written == len(expected)
    assert sum(row[3] for row in expected) == len(planted)
    # Rows of the local month after the UTC one exist (the boundary moments are in the data).
    assert datetime.date(2024, 2, 1) in {row[1] for row in expected}
    districts: Counter[tuple[Any, ...]] = Counter()
    regencies: Counter[tuple[Any, ...]] = Counter()
    for _v, m, c, n, p, r, d in expected:
        districts[("district", d, r, m, c)] += n
        regencies[("regency", r, p, m, c)] += n
    assert area_rows() == {(*k, n) for k, n in (districts | regencies).items()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild path")
def test_the_rebuild_gives_the_rows_of_the_plain_group_by(planted):
    """The statement the rebuild used before (one INSERT ... SELECT grouping the incidents joined
    to their villages, and the areas grouped from the villages) as the reference."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.village_id, date_trunc('month', i.occurred_at AT TIME ZONE %s)::date,
                   i.category_id, count(*), t.province_code, t.regency_code, t.district_code
            FROM incidents_incident i JOIN territory_territory t ON t.id = i.village_id
            GROUP BY 1, 2, 3, 5, 6, 7
            """,
            ["Asia/Jakarta"],
        )
        reference = set(cursor.fetchall())
    # A drifted roll-up to replace, with its area rows.
    MonthlyIncidentCount.objects.update(count=99)
    AreaMonthlyCount.objects.filter(level="district").delete()
    rebuild_incidents()
    assert village_rows() == reference
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'district', district_code, regency_code, month, category_id, SUM(count)
            FROM analytics_monthlyincidentcount GROUP BY 2, 3, 4, 5
            UNION ALL
            SELECT 'regency', regency_code, province_code, month, category_id, SUM(count)
            FROM analytics_monthlyincidentcount GROUP BY 2, 3, 4, 5
            """
        )
        assert area_rows() == set(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild path")
@pytest.mark.parametrize("anew", [False, True])
def test_the_rebuild_leaves_the_sessions_settings_as_they_were(planted, monkeypatch, anew):
    """The rebuild counts months with the session's time zone set to settings.TIME_ZONE
    (`rebuild.LOCAL_MONTH`) and sorts with more memory; the caller's transaction goes on with
    its own settings after it, whether a drifted row was corrected in place or both roll-ups
    were built anew."""
    names = ["TimeZone", "work_mem", "maintenance_work_mem"]

    def current() -> tuple[str, ...]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
            return tuple(cursor.fetchone())

    rebuild_incidents()  # the roll-ups filled (built anew: they were empty)
    MonthlyIncidentCount.objects.filter(pk=MonthlyIncidentCount.objects.first().pk).update(count=99)
    monkeypatch.setattr(rebuild, "ALWAYS_ANEW", anew)
    before = current()
    assert before[0] != settings.TIME_ZONE  # the connection's is UTC (USE_TZ)
    rebuild_incidents()
    assert current() == before
    expected = {
        (v, m, c, n, p, r, d) for (v, m, c, p, r, d), n in expected_villages(planted).items()
    }
    assert village_rows() == expected


def schema(table: str) -> tuple[set[tuple[str, str]], set[tuple[str, str, bool, bool]]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = set(cursor.fetchall())
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid), condeferrable, convalidated
            FROM pg_constraint WHERE conrelid = %s::regclass""",
            [table],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild path")
def test_the_rebuild_puts_back_every_index_and_constraint(planted, village_a):
    tables = ["analytics_monthlyincidentcount", "analytics_areamonthlycount"]
    before = {t: schema(t) for t in tables}
    assert all(len(indexes) >= 2 for indexes, _ in before.values())
    rebuild_incidents()
    assert {t: schema(t) for t in tables} == before
    row = MonthlyIncidentCount.objects.filter(village=village_a).first() or (
        MonthlyIncidentCount.objects.first()
    )
    assert row is not None
    # The primary key holds again ...
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyIncidentCount.objects.create(
            village_id=row.village_id, month=row.month, category_id=row.category_id, count=1,
            province_code="35", regency_code="35.03", district_code="35.03.11",
        )  # fmt: skip
    # ... and so do the foreign keys (checked at the end of the transaction, here at once).
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyIncidentCount.objects.create(
            village_id=row.village_id, month=datetime.date(1999, 1, 1), category_id=987654,
            count=1, province_code="35", regency_code="35.03", district_code="35.03.11",
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
