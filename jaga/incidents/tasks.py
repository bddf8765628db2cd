from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> None:
    """Background task: import the file of an incident import job (`jaga.incidents.jobs`)."""
    from jaga.incidents.jobs import run_import_job

    run_import_job(job_id)
