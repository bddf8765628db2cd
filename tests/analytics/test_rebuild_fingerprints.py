"""The rebuild's fingerprints (PostgreSQL): per village and per area, the sums of a hash of each
row's (month, category) weighted by its count, from the incidents and from the roll-ups. Right
roll-ups have no suspect; each kind of drift makes its village (its area code) a suspect, and
only it, so that the comparison, which looks at the suspects only, finds every row to write."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
from jaga.incidents.models import Incident
from jaga.territory.models import Level, Territory
from tests.analytics.test_rebuild_fast import planted  # noqa: F401
from tests.analytics.test_rebuild_swap import count_running

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's rebuild"),
]


def suspects() -> tuple[set[int], set[str]]:
    """The villages and area codes the fingerprints find, as the rebuild computes them (the
    area ones against the recount, which the village rows hold once corrected)."""
    with transaction.atomic(), connection.cursor() as cursor:
        rebuild._fingerprints(cursor, *rebuild.PRINTS)
        cursor.execute(rebuild._village_suspects())
        villages = {row[0] for row in cursor.fetchall()}
        cursor.execute(*rebuild._area_suspects())
        areas = {row[0] for row in cursor.fetchall()}
        transaction.set_rollback(True)
    return villages, areas


def rows(**where: object) -> list[MonthlyIncidentCount]:
    return list(MonthlyIncidentCount.objects.filter(**where).order_by("pk"))


def test_right_roll_ups_have_no_suspect(planted: list[Incident]) -> None:  # noqa: F811
    count_running(planted)
    assert suspects() == (set(), set())


def test_each_drift_of_a_village_row_makes_its_village_a_suspect(
    planted: list[Incident],  # noqa: F811
) -> None:
    count_running(planted)
    by_village: dict[int, list[MonthlyIncidentCount]] = {}
    for row in rows():
        by_village.setdefault(row.village_id, []).append(row)
    several = [v for v, found in by_village.items() if len(found) >= 2]
    counted, lost, coded, moved, zero, extra = several[:6]
    MonthlyIncidentCount.objects.filter(pk=by_village[counted][0].pk).update(count=99)
    MonthlyIncidentCount.objects.filter(pk=by_village[lost][1].pk).delete()
    MonthlyIncidentCount.objects.filter(pk=by_village[coded][0].pk).update(regency_code="99.99")
    # One incident moved between two rows of a village: its total stays.
    a, b = by_village[moved][:2]
    MonthlyIncidentCount.objects.filter(pk=a.pk).update(count=a.count + 1)
    MonthlyIncidentCount.objects.filter(pk=b.pk).update(count=b.count - 1)
    first = by_village[zero][0]
    for village_id, count in [(zero, 0), (extra, 2)]:
        MonthlyIncidentCount.objects.create(
            village_id=village_id, month=datetime.date(1999, 1, 1), category_id=first.category_id,
            count=count, province_code=first.province_code, regency_code=first.regency_code,
            district_code=first.district_code,
        )  # fmt: skip
    # A village with rows and no incident, and its rows.
    quiet = Territory.objects.filter(level=Level.VILLAGE).exclude(pk__in=by_village).first()
    assert quiet is not None
    MonthlyIncidentCount.objects.create(
        village=quiet, month=datetime.date(2024, 2, 1), category_id=first.category_id, count=1,
        province_code=quiet.province_code, regency_code=quiet.regency_code,
        district_code=quiet.district_code,
    )  # fmt: skip
    villages, areas = suspects()
    assert villages == {counted, lost, coded, moved, zero, extra, quiet.pk}
    assert areas == set()  # the area rows are the recount's: the village rows drifted alone


def test_each_drift_of_an_area_row_makes_its_code_a_suspect(planted: list[Incident]) -> None:  # noqa: F811
    count_running(planted)
    districts = list(AreaMonthlyCount.objects.filter(level="district").order_by("pk"))
    regencies = list(AreaMonthlyCount.objects.filter(level="regency").order_by("pk"))
    counted = districts[0]
    lost = next(d for d in districts if d.area_code != counted.area_code)
    parent = regencies[-1]
    AreaMonthlyCount.objects.filter(pk=counted.pk).update(count=counted.count + 5)
    AreaMonthlyCount.objects.filter(pk=lost.pk).delete()
    AreaMonthlyCount.objects.filter(pk=parent.pk).update(parent_code="99")
    AreaMonthlyCount.objects.create(
        level="province", area_code="35", parent_code="", month=datetime.date(1999, 1, 1),
        category_id=counted.category_id, count=4,
    )  # fmt: skip
    assert suspects() == (set(), {counted.area_code, lost.area_code, parent.area_code, "35"})
