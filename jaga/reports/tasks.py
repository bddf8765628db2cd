from __future__ import annotations

from django_tasks import task


@task()
def generate_anev(job_id: int, deliver: bool = False) -> None:
    """Background task: write the Anev report of a job (HTML and PDF); `deliver`: then send it
    to the territory's leaders."""
    from jaga.reports.services import deliver_anev, run_anev_job

    run_anev_job(job_id)
    if deliver:
        deliver_anev(job_id)


@task()
def monthly_anev(territory_code: str, month: str) -> str | None:
    """Background task (the scheduler, on the 1st): the Anev of a Polres's regency for `month`
    (YYYY-MM), written and sent to its leaders. Returns the job's code (None: no data)."""
    import datetime

    from jaga.reports.services import scheduled_anev

    year, number = (int(p) for p in month.split("-"))
    job = scheduled_anev(territory_code, datetime.date(year, number, 1))
    return job.code if job else None


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
    """Background task (e.g. daily): publish every closed month of a regency that has no current
    stored figures yet (none, or stored without a table published today: `public.current_q`), or
    all of them again. Returns how many months were published."""
    from jaga.reports.public import closed_months, publish, published_months

    done = published_months(regency_code)
    count = 0
    for month in closed_months(regency_code):
        if missing_only and month in done:
            continue
        publish(regency_code, month)
        count += 1
    return count
