"""Publishing: figures stored when a month closes, read by every public output; never an error;
sensitive services, categories and programmes in no count."""

from __future__ import annotations

import datetime
import io
from unittest import mock

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from jaga.reports import public, suppression
from jaga.reports.models import PublicFigures
from jaga.territory.models import Territory
from tests.reports.conftest import MONTH, incident, metric

pytestmark = pytest.mark.django_db

JUNE = datetime.date(2022, 6, 1)


@pytest.fixture
def june(db):
    villages = list(Territory.objects.filter(level="village", district_code="35.03.11"))[:5]
    for i, v in enumerate(villages):
        incident(v, JUNE, "pencurian", 1 + i)
    return villages


def test_svd_trouble_withholds_more_and_never_answers_500(client: Client, june):
    """/publik/35.03/data.json?bulan=2022-06 once answered 500 ("SVD did not converge")."""
    with mock.patch.object(
        suppression, "milp", side_effect=np.linalg.LinAlgError("SVD did not converge")
    ):
        call_command("report", "publish", "--month", "2022-06", stdout=io.StringIO())
    response = client.get("/publik/35.03/data.json", {"bulan": "2022-06"})
    assert response.status_code == 200
    rows = [r for r in response.json()["rows"] if r["table"] == "incidents"]
    assert rows and {r["value"] for r in rows} == {"x"}  # everything withheld
    for url in ("/publik/35.03/", "/publik/35.03.11/", "/api/v1/reports/public/35.03"):
        assert client.get(url, {"bulan": "2022-06", "month": "2022-06"}).status_code == 200


def test_a_month_not_published_says_so_and_computes_nothing(
    client: Client, june, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        page = client.get("/publik/35.03/", {"bulan": "2022-06"})
    assert page.status_code == 200 and page.context["published"] is False
    assert "belum diterbitkan" in page.content.decode()
    body = client.get("/api/v1/reports/public/35.03", {"month": "2022-06"}).json()
    assert body["published"] is False and body["rows"] == [] and body["note"]
    data = client.get("/publik/35.03.11/data.json", {"bulan": "2022-06"}).json()
    assert data["published"] is False and data["rows"] == []
    assert not PublicFigures.objects.exists()


@pytest.mark.usefixtures("frozen_clock")
def test_the_command_publishes_closed_months_and_refuses_open_ones(june):
    out = io.StringIO()
    call_command("report", "publish", "--all", "--territory", "35.03", stdout=out)
    assert "35.03 2022-06: published" in out.getvalue()
    row = PublicFigures.objects.get(regency_code="35.03", month=JUNE)
    assert set(row.payload["tables"]) == set(public.TABLES)
    # no true small count is stored: every figure is a number ≥ 3, "x" or an open desk count
    for kind, table in row.payload["tables"].items():
        for code, cells in table["cells"].items():
            for column, value in zip(table["columns"], cells, strict=True):
                if not (kind == "desk" and column == "received"):
                    assert value == "x" or value >= 3, (kind, code, column, value)
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(CommandError, match="has not closed"):
        call_command("report", "publish", "--month", this_month, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("report", "publish", stdout=io.StringIO())
    # --missing: nothing left to do
    out = io.StringIO()
    call_command("report", "publish", "--all", "--missing", stdout=out)
    assert "published" not in out.getvalue()


def test_the_task_publishes_what_is_missing(june):
    from jaga.reports.tasks import publish_closed_months, publish_month

    publish_month.enqueue("35.03", "2022-06")
    assert PublicFigures.objects.filter(month=JUNE).exists()
    result = publish_closed_months.enqueue("35.03")
    assert result.return_value == 0  # June was there already


def test_sensitive_services_and_categories_are_in_no_count(village_a):
    from jaga.analytics.rollups import bump_metric

    for _ in range(7):
        bump_metric(village_a, MONTH, "requests.received", 1, key="kdrt")
        bump_metric(village_a, MONTH, "requests.resolved", 1, key="pasung")
    incident(village_a, MONTH, "kdrt", 9)
    incident(village_a, MONTH, "pencurian", 4)
    metric(village_a, MONTH, "activities.head_count", 12, "TBP")
    from jaga.programs.models import Programme

    Programme.objects.get_or_create(code="TBP", defaults={"name": "Trenggalek Bebas Pasung"})
    assert "TBP" in public.sensitive_programme_codes()
    incidents = public.incidents("35.03", MONTH)
    assert incidents._values[("35.03", "total")] == 4  # the theft, not the domestic violence
    desk = public.desk("35.03", MONTH)
    assert desk._values[("35.03", "received")] == 0
    assert desk._values[("35.03", "resolved")] == 0
    head = public.activities("35.03", MONTH, "head_count")
    assert "TBP" not in head.columns
