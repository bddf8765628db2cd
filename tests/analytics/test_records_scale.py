"""The incidents behind a figure (`/analitik/catatan/`) for a regency and above: the regency's
incidents by their regency code alone, and a count that stops at the cap."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jaga.analytics.units import resolve_unit
from jaga.incidents.models import Category, Incident
from jaga.incidents.services import record_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(frozen, village_a, village_b, village_c):
    cat = Category.objects.get(code="miras")
    for i in range(20):
        for village in (village_a, village_b, village_c):
            record_incident(
                category=cat, village=village, source="desk",
                source_ref=f"{village.code}-{i}", description=f"row {village.code} {i}",
                occurred_at=datetime.datetime(2026, 10, 1 + i, tzinfo=datetime.UTC),
            )  # fmt: skip


def _incident_reads(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "incidents_incident"' in q["sql"]]


@pytest.mark.parametrize("code", ["35.03", "35", "35.03.11", "35.03.11.1002"])
def test_the_unit_filter_keeps_the_same_incidents(incidents, admin_user, code):
    unit = resolve_unit(admin_user, code)
    got = set(Incident.objects.filter(unit.incident_q(key="regency_code")).values_list("pk"))
    want = {
        (pk,)
        for pk, village in Incident.objects.values_list("pk", "village__code")
        if village == code or village.startswith(code + ".")
    }
    assert got == want and want


def test_a_regency_reads_its_incidents_without_the_territory_join(incidents, leader_client):
    with CaptureQueriesContext(connection) as seen:
        html = leader_client.get("/analitik/catatan/?month=2026-10").content.decode()
    assert "row 35.03.02.2008 19" in html and "row 35.03.11.1002 19" in html
    reads = _incident_reads(seen.captured_queries)
    # The village is joined for its name (select_related), never filtered by its code.
    filtered = [sql for sql in reads if '"territory_territory"."code"' in sql.split(" WHERE ")[1]]
    assert reads and not filtered, filtered


def test_the_count_stops_at_the_cap(incidents, leader_client, monkeypatch):
    """60 incidents, 50 a page: with the cap above them the page has a total; below them it has
    none, and the count reads at most cap + 1 rows."""
    monkeypatch.setattr("jaga.core.paging.CAP", 100)
    html = leader_client.get("/analitik/catatan/").content.decode()
    assert "Halaman 1 dari 2" in html
    monkeypatch.setattr("jaga.core.paging.CAP", 55)
    with CaptureQueriesContext(connection) as seen:
        html = leader_client.get("/analitik/catatan/").content.decode()
    counts = [sql for sql in _incident_reads(seen.captured_queries) if "COUNT(" in sql]
    assert counts and all("LIMIT 56" in sql for sql in counts)
    assert "Halaman 1" in html and "Halaman 1 dari" not in html
    assert "?territory=35.03&amp;category=&amp;page=2" in html or "page=2" in html
