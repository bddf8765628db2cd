"""Roll-ups: rebuilt from the records with the same result; pluggable metric rebuilders."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Sum

from jaga.analytics import rebuild
from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount, MonthlyMetric, RebuildRun
from jaga.core.models import AuditLog
from jaga.incidents.models import Category
from jaga.incidents.services import record_incident
from tests.analytics.conftest import put_metric

pytestmark = pytest.mark.django_db


def _snapshot() -> set[tuple]:
    villages = set(
        MonthlyIncidentCount.objects.values_list(
            "village_id", "month", "category_id", "count", "district_code", "regency_code"
        )
    )
    areas = set(
        AreaMonthlyCount.objects.values_list(
            "level", "area_code", "parent_code", "month", "category_id", "count"
        )
    )
    return villages | areas


def test_rebuild_gives_the_same_counts_as_the_running_rollup(village_a, village_b, village_c):
    cats = [Category.objects.get(code=c) for c in ("miras", "pencurian", "knalpot_brong")]
    # 16:30 UTC on the last day of a month is the next month in Jakarta: the month is local.
    moments = [
        datetime.datetime(2025, 1, 31, 16, 30, tzinfo=datetime.UTC),
        datetime.datetime(2025, 1, 31, 16, 30, tzinfo=datetime.UTC),
        datetime.datetime(2025, 2, 3, 8, 0, tzinfo=datetime.UTC),
        datetime.datetime(2025, 6, 30, 12, 0, tzinfo=datetime.UTC),
    ]
    n = 0
    for village in (village_a, village_b, village_c):
        for i, moment in enumerate(moments):
            n += 1
            record_incident(
                category=cats[(i + n) % 3], village=village, occurred_at=moment,
                source="desk", source_ref=f"R{n}",
            )  # fmt: skip
    before = _snapshot()
    village_rows = {r for r in before if isinstance(r[0], int)}
    assert sum(row[3] for row in village_rows) == 12
    assert AreaMonthlyCount.objects.filter(level="regency").aggregate(n=Sum("count"))["n"] == 12
    assert datetime.date(2025, 2, 1) in {row[1] for row in village_rows}
    MonthlyIncidentCount.objects.update(count=99)  # drifted
    AreaMonthlyCount.objects.filter(level="district").delete()
    call_command("analytics", "rebuild", stdout=__import__("io").StringIO())
    assert _snapshot() == before
    run = RebuildRun.objects.get()
    assert run.rows["incidents"] == len(village_rows)
    assert AuditLog.objects.filter(action="analytics.rebuilt").count() == 1


def test_registered_metric_rebuilders_replace_only_their_own_metrics(village_a, village_b):
    put_metric(village_a, datetime.date(2025, 3, 1), "visits.count", 7)
    put_metric(village_a, datetime.date(2025, 3, 1), "testdesk.received", 99, key="old")

    @rebuild.register("testdesk.", metrics=("testdesk.received", "testdesk.resolved"))
    def rows():
        yield rebuild.MetricRow(
            village_a.pk, datetime.date(2025, 3, 9), "testdesk.received", "kehilangan", 1
        )
        yield rebuild.MetricRow(
            village_a.pk, datetime.date(2025, 3, 1), "testdesk.received", "kehilangan", 2
        )
        yield rebuild.MetricRow(village_b.pk, datetime.date(2025, 4, 1), "testdesk.resolved", "", 1)

    name = f"{rows.__module__}.{rows.__qualname__}"
    try:
        written = rebuild.rebuild_metrics([name])
    finally:
        rebuild.REGISTRY.pop(name)
    assert written == {name: 2}
    got = set(MonthlyMetric.objects.values_list("village_id", "month", "metric", "key", "value"))
    assert got == {
        (village_a.pk, datetime.date(2025, 3, 1), "visits.count", "", 7),
        (village_a.pk, datetime.date(2025, 3, 1), "testdesk.received", "kehilangan", 3),
        (village_b.pk, datetime.date(2025, 4, 1), "testdesk.resolved", "", 1),
    }
    row = MonthlyMetric.objects.get(metric="testdesk.resolved")
    assert (row.district_code, row.regency_code, row.province_code) == ("35.03.11", "35.03", "35")


def test_a_rebuilder_may_not_write_outside_its_prefix(village_a):
    @rebuild.register("mine.", metrics=("mine.count",))
    def rows():
        yield rebuild.MetricRow(village_a.pk, datetime.date(2025, 3, 1), "visits.count", "", 1)

    try:
        with pytest.raises(ValueError, match="outside"):
            rebuild.rebuild_metrics()
    finally:
        rebuild.REGISTRY.pop(f"{rows.__module__}.{rows.__qualname__}")


def test_a_rebuilder_may_not_write_a_name_it_did_not_register(village_a):
    @rebuild.register("mine.", metrics=("mine.count",))
    def rows():
        yield rebuild.MetricRow(village_a.pk, datetime.date(2025, 3, 1), "mine.other", "", 1)

    try:
        with pytest.raises(ValueError, match="outside its registered metrics"):
            rebuild.rebuild_metrics()
    finally:
        rebuild.REGISTRY.pop(f"{rows.__module__}.{rows.__qualname__}")


def test_the_registry_knows_each_name_once_and_within_its_prefixes():
    assert rebuild.registered_metrics()["requests.received"].name == (
        "jaga.servicedesk.rollup_sources.request_rows"
    )
    with pytest.raises(ValueError, match="outside"):
        rebuild.register("mine.", metrics=("yours.count",))
    with pytest.raises(ValueError, match="no metric names"):
        rebuild.register("mine.", metrics=())
    with pytest.raises(ValueError, match="already registered"):

        @rebuild.register("requests.", metrics=("requests.received",))
        def rows():  # pragma: no cover - refused
            yield from ()

    assert all(r.name.startswith("jaga.") for r in rebuild.REGISTRY.values())


def test_the_rebuild_can_run_in_the_background(village_a):
    out = __import__("io").StringIO()
    call_command("analytics", "rebuild", "--background", stdout=out)
    assert "diantrekan" in out.getvalue()  # "queued", in the commands' language
    assert RebuildRun.objects.count() == 1  # the immediate backend ran it
