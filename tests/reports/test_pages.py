"""Anev pages: request a report, follow the job, download the PDF; scope and login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.reports.models import JobStatus, ReportJob
from jaga.reports.services import move_job

pytestmark = pytest.mark.django_db


def test_a_leader_gets_the_report_written_in_the_background(
    leader_client, demo_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = leader_client.post(
            reverse("reports:anev"), {"territory": "35.03", "month": "2022-01", "language": "id"}
        )
    job = ReportJob.objects.get()
    assert response.url == reverse("reports:job", args=[job.code])
    assert job.status == JobStatus.DONE and job.progress == 100 and job.pages >= 3
    page = leader_client.get(response.url)
    assert reverse("reports:job_pdf", args=[job.code]) in page.content.decode()
    pdf = leader_client.get(reverse("reports:job_pdf", args=[job.code]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    html = leader_client.get(reverse("reports:job_html", args=[job.code]))
    assert b"<svg" in html.content
    assert AuditLog.objects.filter(action="reports.anev_done").exists()


def test_progress_is_polled_with_htmx_until_done(bob_client, bob, demo_month, district_ab):
    job = ReportJob.objects.create(code="J1", territory=district_ab, month=demo_month)
    move_job(job.pk, JobStatus.RUNNING, progress=40, stage="desk")
    partial = bob_client.get(reverse("reports:job", args=["J1"]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and 'value="40"' in body
    assert "<html" not in body
    with pytest.raises(DomainError):
        move_job(job.pk, JobStatus.QUEUED)


def test_a_month_without_data_is_refused_with_a_message(leader_client, demo_month):
    response = leader_client.post(
        reverse("reports:anev"), {"territory": "35.03", "month": "2019-05", "language": "id"}
    )
    assert response.status_code == 200
    assert "2019-05" in str(response.context["form"].non_field_errors())
    assert ReportJob.objects.count() == 0


def test_jobs_out_of_scope_are_404(charlie_client, demo_month, district_ab):
    ReportJob.objects.create(code="J2", territory=district_ab, month=demo_month)
    for name in ("job", "job_pdf", "job_html"):
        assert charlie_client.get(reverse(f"reports:{name}", args=["J2"])).status_code == 404
    outside = charlie_client.post(
        reverse("reports:anev"), {"territory": "35.03.11", "month": "2022-01", "language": "id"}
    )
    assert outside.status_code == 200 and "territory" in outside.context["form"].errors


def test_anonymous_users_are_sent_to_login(client: Client, demo_month):
    assert client.get(reverse("reports:anev")).status_code == 302
    assert client.get(reverse("reports:job", args=["J3"])).status_code == 302
    assert client.get("/api/v1/reports/anev/35.03", {"month": "2022-01"}).status_code == 401


def test_the_anev_api_in_and_out_of_scope(bob_client, charlie_client, demo_month):
    ok = bob_client.get("/api/v1/reports/anev/35.03.11", {"month": "2022-01"})
    assert ok.status_code == 200
    assert ok.json()["desk"]["received"] == 12
    assert (
        charlie_client.get("/api/v1/reports/anev/35.03.11", {"month": "2022-01"}).status_code == 404
    )
    empty = bob_client.get("/api/v1/reports/anev/35.03.11", {"month": "2019-05"})
    assert empty.status_code == 400 and empty.json()["code"] == "no_data"


def test_the_list_of_jobs_is_scoped(bob_client, charlie_client, demo_month, district_ab):
    ReportJob.objects.create(code="J4", territory=district_ab, month=demo_month)
    assert len(bob_client.get(reverse("reports:anev")).context["jobs"]) == 1
    assert len(charlie_client.get(reverse("reports:anev")).context["jobs"]) == 0


def test_the_home_page_lists_the_latest_reports(bob_client, partner, demo_month, district_ab):
    ReportJob.objects.create(code="J5", territory=district_ab, month=demo_month)
    body = bob_client.get("/").content.decode()
    assert reverse("reports:job", args=["J5"]) in body
    other = Client()
    other.force_login(partner)
    assert reverse("reports:job", args=["J5"]) not in other.get("/").content.decode()
