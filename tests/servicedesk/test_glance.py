"""The desk's live figure on the analytics dashboard: open reports past their deadline, scoped."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from jaga.analytics import glance
from jaga.analytics.units import resolve_unit
from jaga.servicedesk import services
from jaga.servicedesk.glance import overdue_reports

pytestmark = pytest.mark.django_db

FILED = datetime.datetime(2026, 5, 4, 2, 0, tzinfo=datetime.UTC)
MONTH = datetime.date(2026, 5, 1)


@pytest.fixture
def reports(file_report: Any, service: Any, village_a: Any, village_c: Any, bob: Any) -> dict:
    with time_machine.travel(FILED, tick=False):
        late = file_report(village_a)
        handled = file_report(village_a)
        elsewhere = file_report(village_c)
    later = FILED + datetime.timedelta(hours=service.sla_hours + 2)
    with time_machine.travel(later, tick=False):
        fresh = file_report(village_a)
        services.transition_request(handled, "assigned", actor=bob, assignee=bob)
        services.transition_request(handled, "resolved", actor=bob, note="Sudah ditegur.")
    return {"late": late, "elsewhere": elsewhere, "fresh": fresh, "now": later}


def figure(user: Any, key: str, now: datetime.datetime) -> dict[str, Any]:
    with time_machine.travel(now, tick=False):
        (item,) = overdue_reports(resolve_unit(user, key), MONTH, user)
    return item


def test_it_counts_the_open_reports_past_their_deadline_in_the_unit(
    reports: dict, bob: Any, leader: Any
) -> None:
    district = figure(bob, "35.03.11", reports["now"])
    assert (district["value"], district["level"]) == (1, "bad")
    assert district["url"] == "/layanan/?status=open&overdue=1&district=35.03.11"
    assert figure(leader, "35.03", reports["now"])["value"] == 2
    village = figure(leader, "35.03.11.2001", reports["now"])
    assert (village["value"], village["level"]) == (0, "ok")
    assert village["url"].endswith("&village=35.03.11.2001")


def test_it_counts_only_what_the_viewer_may_see(
    reports: dict, bob: Any, charlie: Any, leader: Any
) -> None:
    regency = resolve_unit(leader, "35.03")
    with time_machine.travel(reports["now"], tick=False):
        assert overdue_reports(regency, MONTH, bob)[0]["value"] == 1
        assert overdue_reports(regency, MONTH, charlie)[0]["value"] == 1


def test_the_dashboard_shows_it_in_indonesian(reports: dict, bob_client: Any) -> None:
    assert overdue_reports in glance.PROVIDERS
    with time_machine.travel(reports["now"], tick=False):
        html = bob_client.get("/analitik/?territory=35.03.11").content.decode()
    assert "Laporan lewat tenggat saat ini" in html
    assert 'href="/layanan/?status=open&amp;overdue=1&amp;district=35.03.11"' in html
