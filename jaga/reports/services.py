"""State changes of the reports app: request an Anev report, and the job's progress."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core.audit import log_action
from jaga.core.codes import random_code
from jaga.core.errors import DomainError
from jaga.reports import anev
from jaga.reports.models import JOB_TRANSITIONS, JobStatus, ReportJob
from jaga.territory.models import Level, Territory

log = logging.getLogger("jaga.reports")
LANGUAGES = {"id", "en"}


def request_anev(
    *, territory: Territory, month: datetime.date, language: str = "id", actor: Any = None
) -> ReportJob:
    """Queue the Anev report of a territory and month; it is written in the background."""
    if territory.level not in (Level.REGENCY, Level.DISTRICT, Level.PROVINCE):
        raise DomainError("bad_territory", _("The Anev report covers a regency or a district."))
    if language not in LANGUAGES:
        raise DomainError("bad_language", _("The report is written in Indonesian or English."))
    month = month.replace(day=1)
    anev.check_month(territory, month)
    with transaction.atomic():
        job = ReportJob.objects.create(
            code=random_code(12),
            territory=territory,
            month=month,
            language=language,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            "reports.anev_requested",
            job,
            actor=actor,
            after={"territory": territory.code, "month": month, "language": language},
            territory_code=territory.code,
        )
        job_id = job.pk

        def enqueue() -> None:
            from jaga.reports.tasks import generate_anev

            generate_anev.enqueue(job_id)

        transaction.on_commit(enqueue)
    return job


def move_job(job_id: int, status: str, **fields: Any) -> ReportJob:
    """Move a job along its transitions (each step commits on its own so a page can poll it)."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job_id)
        if status not in JOB_TRANSITIONS[job.status]:
            raise DomainError(
                "bad_transition",
                _("A report job cannot go from %(old)s to %(new)s.")
                % {"old": job.get_status_display(), "new": JobStatus(status).label},
            )
        job.status = status
        for name, value in fields.items():
            setattr(job, name, value)
        if status in (JobStatus.DONE, JobStatus.FAILED):
            job.finished_at = timezone.now()
            log_action(
                f"reports.anev_{status}",
                job,
                after={"status": status, "pages": job.pages},
                territory_code=job.territory.code,
            )
        job.save()
    return job


def run_anev_job(job_id: int) -> None:
    """Write the report of a queued job: sections with progress, then HTML and PDF."""
    from jaga.reports import render

    job = ReportJob.objects.select_related("territory").get(pk=job_id)
    if job.finished:
        return
    move_job(job_id, JobStatus.RUNNING, progress=1, stage="start")

    def progress(percent: int, stage: str) -> None:
        move_job(job_id, JobStatus.RUNNING, progress=max(percent, 1), stage=stage)

    try:
        document = render.html(job.territory, job.month, job.language, progress=progress)
        move_job(job_id, JobStatus.RUNNING, progress=85, stage="pdf")
        data, pages = render.pdf(document)
    except DomainError as exc:
        move_job(job_id, JobStatus.FAILED, error=str(exc.message))
        return
    except Exception as exc:  # the job records the failure; the worker keeps running
        log.exception("Anev job %s failed", job.code)
        move_job(job_id, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        return
    move_job(
        job_id, JobStatus.DONE, progress=100, stage="done", html=document, pdf=data, pages=pages
    )
