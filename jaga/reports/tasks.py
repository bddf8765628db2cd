from __future__ import annotations

from django_tasks import task


@task()
def generate_anev(job_id: int) -> None:
    """Background task: write the Anev report of a job (HTML and PDF)."""
    from jaga.reports.services import run_anev_job

    run_anev_job(job_id)
