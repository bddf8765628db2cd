"""Early warning and CompStat with a register that ends before today: months after its last
record (and before its first) are unknown, never zeros."""

from __future__ import annotations

import datetime
import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from jaga.analytics import queries, warning
from jaga.analytics.units import Unit
from jaga.core.months import add_months
from jaga.territory.models import Territory
from tests.analytics.conftest import LAST_MONTH, bulk_counts, surge_counts

pytestmark = pytest.mark.django_db

REGISTER_END = datetime.date(2025, 12, 1)  # history imported up to 2025-12; today is 2026-11


def unit(code: str) -> Unit:
    t = Territory.objects.get(code=code)
    return Unit(code, t.display_name, [code], t.level, t)


@pytest.fixture
def ended(villages, village_a):
    """36 months of counts up to 2025-12, a surge in village A in the register's last two."""
    months = [add_months(REGISTER_END, -i) for i in range(35, -1, -1)]
    y = surge_counts(villages, months, village_a, seed=7)
    y[:, 0] = np.maximum(y[:, 0], 1)  # the register begins in its first month everywhere
    bulk_counts(villages, months, y, "pencurian")
    return months


def test_the_scan_ends_with_the_register_and_says_so(frozen, ended, village_a):
    period = warning.alarm_period(unit("35.03"), LAST_MONTH)
    assert period.end == REGISTER_END and period.start == ended[0]
    assert "2025-12" in period.reason() and "bukan nol" in period.reason()
    found = warning.alarms(unit("35.03"), LAST_MONTH)
    # Read as zeros, 2026 would hide the surge; it is found, in the register's last months.
    mine = [a for a in found if a["village_code"] == village_a.code]
    assert len(mine) == 1
    assert mine[0]["month"] == add_months(REGISTER_END, -1)
    assert mine[0]["end_month"] == REGISTER_END and mine[0]["observed"] == 20
    assert found == warning.alarms(unit("35.03"), REGISTER_END)


def test_months_before_the_register_are_no_baseline(frozen, ended, village_a):
    # Asked for an end 8 months into the register: the baseline is the 2 months before the
    # window, not 36 months of which 34 are zeros (which would make every village alarm).
    end = add_months(ended[0], 7)
    period = warning.alarm_period(unit("35.03"), end)
    assert period.start == ended[0] and period.end == end
    assert len(warning.alarms(unit("35.03"), end)) <= 3
    # With no month before the window, there is nothing to compare with: no alarm at all.
    assert warning.alarms(unit("35.03"), add_months(ended[0], 5)) == []


def test_json_list_stays_and_the_period_is_given(frozen, ended, village_a):
    out, err = io.StringIO(), io.StringIO()
    args = ["analytics", "alarms", "--territory", "35.03", "--end", "2026-10", "--json"]
    call_command(*args, stdout=out, stderr=err)
    found = json.loads(out.getvalue())
    assert isinstance(found, list) and village_a.code in {a["village_code"] for a in found}
    assert "2025-12" in err.getvalue()
    out = io.StringIO()
    call_command(*args, "--with-period", stdout=out)
    report = json.loads(out.getvalue())
    assert report["period"]["end"] == "2025-12" and report["period"]["asked_end"] == "2026-10"
    assert [a["village_code"] for a in report["alarms"]] == [a["village_code"] for a in found]


def test_the_alarms_page_and_dashboard_api_say_the_period(frozen, ended, village_a, bob_client):
    html = bob_client.get("/analitik/peringatan/?territory=35.03.11&month=2026-10").content.decode()
    assert "2025-12" in html and village_a.name in html
    data = bob_client.get("/api/v1/analytics/dashboard?territory=35.03.11&month=2026-10").json()
    assert data["alarms_period"]["end"] == "2025-12"
    assert village_a.code in {a["village_code"] for a in data["alarms"]}


def test_compstat_after_the_register_is_unknown_not_zero(frozen, ended, bob_client):
    comp = queries.compstat(unit("35.03"), LAST_MONTH)
    assert not comp.known and comp.rows == []
    assert "2025-12" in comp.notice() and comp.notice()
    assert comp.total is not None and comp.total.change_prev is None
    assert comp.total.change_last_year is None and comp.total.change_ytd is None
    html = bob_client.get("/analitik/?territory=35.03.11&month=2026-10").content.decode()
    assert "2025-12" in html
    api = bob_client.get("/api/v1/analytics/compstat?territory=35.03.11&month=2026-10").json()
    assert api["known"] is False and "2025-12" in api["notice"] and api["rows"] == []
    # The one-read dashboard gives the same.
    assert not queries.dashboard_counts(unit("35.03"), LAST_MONTH).comp.known


def test_comparisons_outside_the_register_are_unknown(frozen, ended):
    # The register's last month: every comparison is inside it.
    comp = queries.compstat(unit("35.03"), REGISTER_END)
    assert comp.known and comp.rows
    total = comp.total
    assert total is not None and total.prev_known and total.last_year_known and total.ytd_known
    # The register's first year: the same month last year and last year's YTD are unknown.
    first_year = queries.compstat(unit("35.03"), add_months(ended[0], 3))
    t = first_year.total
    assert t is not None and t.prev_known and not t.last_year_known and not t.ytd_known
    assert t.change_last_year is None and t.change_ytd is None and t.change_prev is not None
    row = first_year.rows[0].as_dict()
    assert row["last_year"] is None and row["ytd_last_year"] is None
    assert row["previous"] == first_year.rows[0].previous
    # Before the register begins: unknown, and the notice says when it begins.
    before = queries.compstat(unit("35.03"), add_months(ended[0], -2))
    assert not before.known and ended[0].isoformat()[:7] in before.notice()
