"""The web import as a background task: job, progress, result, errors, scope."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaga.accounts.models import Role
from jaga.core.audit import AuditLog
from jaga.incidents.jobs import progress_hook, progress_path, read_progress
from jaga.incidents.models import ImportJob, ImportRun, Incident
from jaga.territory.models import Territory
from tests.conftest import DISTRICT_C, REGENCY, client_for
from tests.factories import PostingFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "occurred_at,village_code,category,source_ref\n"
    "2023-01-05,35.03.11.1002,miras,SPKT-1\n"
    "2023-01-06,35.03.11.2001,judi,SPKT-2\n"
    "2023-01-07,35.03.02.2008,miras,SPKT-3\n"
)
BAD = GOOD + "2023-01-08,35.03.11.1002,ufo,SPKT-4\n2099-01-01,35.03.11.1002,miras,SPKT-5\n"


def _upload(text: str, name: str = "history.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _content(job: ImportJob) -> bytes:
    with job.file.open("rb") as stored:
        return stored.read()


def _post(client, capture, text: str, **options: str):  # type: ignore[no-untyped-def]
    with capture(execute=True) as callbacks:
        response = client.post(reverse("incidents:import"), {"file": _upload(text), **options})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task is enqueued after the commit
    code = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return ImportJob.objects.get(code=code), response["Location"]


def test_upload_to_job_to_counts(satbinmas, django_capture_on_commit_callbacks):
    client = client_for(satbinmas)
    job, url = _post(client, django_capture_on_commit_callbacks, GOOD)
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.lines, job.created, job.updated, job.unchanged) == (3, 3, 0, 0)
    assert job.actor == satbinmas and job.territory.code == REGENCY
    assert job.run == ImportRun.objects.get() and Incident.objects.count() == 3
    assert job.started_at and job.finished_at and job.errors == []
    # the file is kept in protected storage, the progress file is gone
    assert _content(job) == GOOD.encode()
    assert not progress_path(job).exists()
    page = client.get(url).content.decode()
    assert "Selesai" in page and "Kejadian ditambahkan" in page
    assert "every 1s" not in page  # finished: no more polling
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"incidents.import_queued", "incidents.import_done", "incidents.imported"} <= actions
    listing = client.get(reverse("incidents:import")).content.decode()
    assert job.code in listing and "history.csv" in listing


def test_a_failing_file_keeps_file_and_errors_by_line(
    satbinmas, django_capture_on_commit_callbacks
):
    client = client_for(satbinmas)
    job, url = _post(client, django_capture_on_commit_callbacks, BAD)
    job.refresh_from_db()
    assert job.status == "failed"
    assert [e["line"] for e in job.errors] == [5, 6]
    assert "ufo" in job.errors[0]["error"]
    assert job.lines == 5 and "2 dari 5 baris" in job.message
    assert not Incident.objects.exists() and not ImportRun.objects.exists()
    assert _content(job) == BAD.encode()  # nothing the user sent is lost
    page = client.get(url).content.decode()
    assert "Gagal" in page and "ufo" in page and "masa depan" in page
    assert "every 1s" not in page


def test_a_dry_run_job_writes_nothing(satbinmas, django_capture_on_commit_callbacks):
    client = client_for(satbinmas)
    job, _url = _post(client, django_capture_on_commit_callbacks, GOOD, dry_run="on")
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created) == ("done", True, 3)
    assert not Incident.objects.exists()


def test_a_dry_run_job_names_what_would_change_on_its_page_and_in_the_api(
    satbinmas, django_capture_on_commit_callbacks
):
    client = client_for(satbinmas)
    _post(client, django_capture_on_commit_callbacks, GOOD)
    first = Incident.objects.get(source_ref="SPKT-1")
    edited = GOOD.replace(
        "2023-01-05,35.03.11.1002,miras,SPKT-1", "2023-01-05,35.03.11.1002,judi,SPKT-1"
    )
    job, url = _post(client, django_capture_on_commit_callbacks, edited, dry_run="on", update="on")
    job.refresh_from_db()
    assert (job.status, job.updated, job.unchanged) == ("done", 1, 2)
    assert [(c["line"], c["id"], list(c["fields"])) for c in job.changes] == [
        (2, first.pk, ["category"])
    ]
    page = client.get(url).content.decode()
    assert "Yang akan berubah" in page
    assert f'href="/kejadian/{first.pk}/"' in page and ">miras<" in page and ">judi<" in page
    api = client.get(f"/api/v1/incidents/import-jobs/{job.code}").json()
    assert api["changes"] == job.changes and api["links"] == []
    first.refresh_from_db()
    assert first.category.code == "miras"  # a dry run


def test_jobs_are_scoped_to_the_importer_and_their_unit(
    satbinmas, admin_user, charlie, django_capture_on_commit_callbacks
):
    job, url = _post(client_for(satbinmas), django_capture_on_commit_callbacks, GOOD)
    # charlie (Kapolsek Munjungan) may not import at all; made an importer of his own district
    # he still does not see the regency's job
    assert client_for(charlie).get(url).status_code == 403
    PostingFactory(
        user=charlie,
        role=Role.SATBINMAS,
        territory=Territory.objects.get(code=DISTRICT_C),
        valid_from=datetime.date(2020, 1, 1),
    )
    other = client_for(charlie)
    assert other.get(url).status_code == 404
    assert job.code not in other.get(reverse("incidents:import")).content.decode()
    # a colleague of the same unit and an administrator see it
    colleague = PostingFactory(
        role=Role.SATBINMAS,
        territory=Territory.objects.get(code=REGENCY),
        valid_from=datetime.date(2020, 1, 1),
    ).user
    assert client_for(colleague).get(url).status_code == 200
    assert client_for(admin_user).get(url).status_code == 200
    # charlie's own job (his district): his, and the regency's importers see it
    own, own_url = _post(
        other,
        django_capture_on_commit_callbacks,
        GOOD.splitlines()[0] + "\n2023-02-01,35.03.02.2008,miras,M-1\n",
    )
    own.refresh_from_db()
    assert own.status == "done" and own.territory.code == DISTRICT_C
    assert other.get(own_url).status_code == 200
    assert client_for(satbinmas).get(own_url).status_code == 200


def test_progress_is_visible_while_the_job_runs(satbinmas):
    """The hook writes outside the database; the page shows it while the job runs."""
    from django.core.files.base import ContentFile

    job = ImportJob(code="QZRUNNING1", actor=satbinmas, file_name="big.csv", status="running")
    data = b"x" * 1000
    job.file.save("big.csv", ContentFile(data), save=False)
    job.save()
    stream = io.BytesIO(data)
    hook = progress_hook(job, stream, len(data))
    stream.seek(500)
    hook(2000)
    assert read_progress(job) == {"lines": 2000, "percent": 45}
    client = client_for(satbinmas)
    url = reverse("incidents:import_job", args=[job.code])
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="45"' in partial and "2000 baris dibaca" in partial
    assert 'hx-trigger="every 1s"' in partial and "<html" not in partial
    # the row itself is not touched by the hook (the import's transaction stays its own)
    job.refresh_from_db()
    assert job.lines == 0


def test_the_api_imports_in_the_background(satbinmas, charlie, django_capture_on_commit_callbacks):
    client = client_for(satbinmas)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/incidents/import?background=true", {"file": _upload(BAD)})
    assert response.status_code == 202
    code = response.json()["code"]
    assert response.json()["status"] == "queued"
    job = client.get(f"/api/v1/incidents/import-jobs/{code}").json()
    assert job["status"] == "failed" and job["lines"] == 5
    assert [e["line"] for e in job["errors"]] == [5, 6]
    assert not Incident.objects.exists()
    PostingFactory(
        user=charlie,
        role=Role.SATBINMAS,
        territory=Territory.objects.get(code=DISTRICT_C),
        valid_from=datetime.date(2020, 1, 1),
    )
    assert client_for(charlie).get(f"/api/v1/incidents/import-jobs/{code}").status_code == 404
    # without `background` the API still answers with the counts at once
    done = client.post("/api/v1/incidents/import", {"file": _upload(GOOD)})
    assert done.status_code == 201 and done.json()["created"] == 3
