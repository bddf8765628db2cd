from __future__ import annotations

from django_tasks import task


@task()
def generate_anev(job_id: int) -> None:
    """Background task: write the Anev report of a job (HTML and PDF)."""
    from jaga.reports.services import run_anev_job

    run_anev_job(job_id)


@task()
def publish_month(regency_code: str, month: str) -> None:
    """Background task: compute and store the public figures of a regency for a closed month
    (`month` as YYYY-MM)."""
    import datetime

    from jaga.reports.public import publish

    year, number = (int(p) for p in month.split("-"))
    publish(regency_code, datetime.date(year, number, 1))


@task()
def publish_closed_months(regency_code: str, missing_only: bool = True) -> int:
    """Background task (e.g. daily): publish every closed month of a regency that has no stored
    figures yet (or all of them again). Returns how many months were published."""
    from jaga.reports.models import PublicFigures
    from jaga.reports.public import closed_months, publish

    done = set(
        PublicFigures.objects.filter(regency_code=regency_code).values_list("month", flat=True)
    )
    count = 0
    for month in closed_months(regency_code):
        if missing_only and month in done:
            continue
        publish(regency_code, month)
        count += 1
    return count
