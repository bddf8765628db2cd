"""The incident roll-ups' indexes on PostgreSQL (migrations analytics 0012, 0014, 0015): each one
serves the reads, none is a prefix of another (a rebuild that builds the tables anew builds every
index once, every write updates each), and the village table's code index compares codes byte by
byte, which serves the reads' `=`, `IN` and `LIKE 'prefix%'` alike, a district's too (its reads
name its regency)."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

import pytest
from django.db import connection
from django.db.models import QuerySet, Sum

from jaga.analytics.models import AreaLevel, AreaMonthlyCount, MonthlyIncidentCount
from jaga.analytics.units import Unit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes"),
]

TABLES = ("analytics_monthlyincidentcount", "analytics_areamonthlycount")
SINCE = datetime.date(2025, 1, 1)


class Index(NamedTuple):
    columns: tuple[str, ...]  # key columns
    classes: tuple[str, ...]  # their operator classes
    covered: frozenset[str]  # every column, INCLUDE ones too
    unique: bool


def btree_indexes(table: str) -> dict[str, Index]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.indisunique, i.indnkeyatts,
                   array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                         ORDER BY k.n),
                   array(SELECT o.opcname FROM unnest(i.indclass) WITH ORDINALITY k(oid, n)
                         JOIN pg_opclass o ON o.oid = k.oid ORDER BY k.n)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = %s::regclass AND am.amname = 'btree'
            """,
            [table],
        )
        return {
            name: Index(tuple(columns[:keys]), tuple(classes), frozenset(columns), unique)
            for name, unique, keys, columns, classes in cursor.fetchall()
        }


@pytest.mark.parametrize("table", TABLES)
def test_no_roll_up_index_is_served_by_another(table: str) -> None:
    """No index but a unique one (it enforces its key) has key columns (and operator classes)
    that begin another's, whose columns cover all of its own: the other serves its reads."""
    indexes = btree_indexes(table)
    assert len(indexes) >= 2
    for name, index in indexes.items():
        if index.unique:
            continue
        n = len(index.columns)
        for other, wider in indexes.items():
            served = (wider.columns[:n], wider.classes[:n]) == (index.columns, index.classes)
            assert other == name or not (served and index.covered <= wider.covered), (
                f"{name} {index.columns} is served by {other} {wider.columns}"
            )


def test_the_village_code_indexes_compare_bytes() -> None:
    indexes = btree_indexes("analytics_monthlyincidentcount")
    codes = {index.columns: index.classes for index in indexes.values()}
    assert codes[("regency_code", "month")] == ("varchar_pattern_ops", "date_ops")
    # None by district (migration 0015): the reads of a district name its regency (key_q).
    assert not [columns for columns in codes if "district_code" in columns]


def plan(qs: QuerySet[Any]) -> str:
    """The plan of the query with sequential scans priced out: an index that can serve it is
    named in the plan; one that cannot leaves a sequential scan."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            return qs.explain()
        finally:
            cursor.execute("RESET enable_seqscan")


# The territory codes of each read, as a unit's `rollup_q` filters them (the regency code, the
# distribution key, beside the district's).
VILLAGE_READS = {
    "a regency": ["35.03"],
    "regencies": ["35.03", "35.04"],
    "a province's regencies": ["35"],
    "a district": ["35.03.11"],
    "a Polsek's districts": ["35.03.11", "35.03.12"],
}


@pytest.mark.parametrize("read", VILLAGE_READS)
def test_the_village_reads_by_code_use_the_code_index(read: str) -> None:
    codes = VILLAGE_READS[read]
    level = {1: "province", 2: "regency", 3: "district"}[len(codes[0].split("."))]
    unit = Unit(codes[0], read, codes, level)
    qs = (
        MonthlyIncidentCount.objects.filter(unit.rollup_q(), month__gte=SINCE)
        .values("month")
        .annotate(n=Sum("count"))
    )
    found = plan(qs)
    conditions = [line for line in found.splitlines() if "Index Cond" in line]
    assert "analytics_m_regency_0ee7df_idx" in found, found
    assert any("regency_code" in line and "month" in line for line in conditions), found


AREA_READS = {
    "a regency's districts": {"level": AreaLevel.DISTRICT, "parent_code": "35.03"},
    "provinces' regencies": {"level": AreaLevel.REGENCY, "parent_code__in": ["35", "36"]},
    "the regencies": {"level": AreaLevel.REGENCY},
}


@pytest.mark.parametrize("read", AREA_READS)
def test_the_area_reads_by_parent_use_the_covering_index(read: str) -> None:
    qs = (
        AreaMonthlyCount.objects.filter(**AREA_READS[read], month__gte=SINCE)
        .values("month", "area_code")
        .annotate(n=Sum("count"))
    )
    found = plan(qs)
    conditions = [line for line in found.splitlines() if "Index Cond" in line]
    assert "area_count_children_by_area" in found and any("level" in c for c in conditions), found


@pytest.mark.parametrize("table", TABLES)
def test_no_roll_up_index_by_category_alone(table: str) -> None:
    """Every read by category names a place too; the category's own index only cost writes."""
    assert ("category_id",) not in {index.columns for index in btree_indexes(table).values()}


AREA_CODE_READS = {
    "a district": {"area_code": "35.03.11"},
    "regencies": {"area_code__in": ["35.03", "35.04"]},
}


@pytest.mark.parametrize("read", AREA_CODE_READS)
def test_the_area_reads_by_code_are_index_only_on_the_primary_key(read: str) -> None:
    """The primary key (area_code, month, category_id) carries the count (INCLUDE, migrations
    analytics 0014 and 0016): the reads by area code and months are index-only scans of it, with no
    second (area_code, month) index to build and update beside it."""
    qs = (
        AreaMonthlyCount.objects.filter(**AREA_CODE_READS[read], month__gte=SINCE)
        .values("month", "category_id")
        .annotate(n=Sum("count"))
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
        try:
            found = plan(qs)
        finally:
            cursor.execute("RESET enable_bitmapscan")
    assert "Index Only Scan using analytics_areamonthlycount_pkey" in found, found
    assert ("area_code", "month") not in {
        index.columns for index in btree_indexes(TABLES[1]).values()
    }
