"""State changes of the reports app: request an Anev report, and the job's progress."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jaga.accounts.models import Posting, Role
from jaga.core import events
from jaga.core.audit import log_action
from jaga.core.codes import random_code
from jaga.core.errors import DomainError
from jaga.core.gateways import get_gateway
from jaga.core.links import absolute_reverse
from jaga.core.types import Actor, signed_in
from jaga.reports import anev
from jaga.reports.models import JOB_TRANSITIONS, JobStatus, ReportJob
from jaga.territory.models import Level, Territory

log = logging.getLogger("jaga.reports")
LANGUAGES = {"id", "en"}


def request_anev(
    *,
    territory: Territory,
    month: datetime.date,
    language: str = "id",
    actor: Actor = None,
    deliver: bool = False,
) -> ReportJob:
    """Queue the Anev report of a territory and month; it is written in the background.
    `deliver`: once written, send it to the territory's leaders (`deliver_anev`)."""
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
            requested_by=signed_in(actor),
            deliver=deliver,
        )
        log_action(
            "reports.anev_requested",
            job,
            actor=actor,
            after={
                "territory": territory.code,
                "month": month,
                "language": language,
                "deliver": deliver,
            },
            territory_code=territory.code,
        )
        job_id = job.pk

        def enqueue() -> None:
            from jaga.reports.tasks import generate_anev

            if deliver:
                generate_anev.enqueue(job_id, deliver=True)
            else:
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


def leaders_of(territory: Territory) -> list[Any]:
    """The active leaders (Kapolres, Wakapolres) whose postings cover the territory."""
    codes = [territory.code]
    parts = territory.code.split(".")
    codes += [".".join(parts[:i]) for i in range(1, len(parts))]
    postings = (
        Posting.objects.active()
        .filter(role=Role.LEADER, territory__code__in=codes, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    seen: dict[int, Any] = {}
    for p in postings:
        seen.setdefault(p.user_id, p.user)
    return list(seen.values())


def deliver_anev(job_id: int) -> int:
    """Send a written Anev report to the leaders of its territory: a link to the report page (it
    opens only after they sign in) by e-mail and by SMS / WhatsApp. Returns how many leaders
    were told; a failing channel is logged, never raised."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("territory").get(pk=job_id)
        if job.status != JobStatus.DONE or job.delivered_at is not None:
            return 0  # not written, or already sent: a delivery asked twice sends once
        job.delivered_at = timezone.now()
        job.save(update_fields=["delivered_at"])
    leaders = leaders_of(job.territory)
    link = absolute_reverse("reports:job", code=job.code)
    told = 0
    for leader in leaders:
        with translation.override(leader.language or "id"):
            subject = _("Jaga: the Anev report of %(place)s for %(month)s") % {
                "place": job.territory.display_name,
                "month": job.month.strftime("%m/%Y"),
            }
            text = _("The monthly Anev report is ready: %(link)s") % {"link": link}
        sent = False
        if leader.email:
            try:
                send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [leader.email])
                sent = True
            except Exception:  # a mail outage must not stop the other leaders
                log.exception("Anev e-mail to a leader failed")
        if leader.phone:
            try:
                get_gateway().send(leader.phone, text)
                sent = True
            except Exception:
                log.exception("Anev message to a leader failed")
        told += int(sent)
    with transaction.atomic():
        log_action(
            "reports.anev_sent",
            job,
            after={"leaders": len(leaders), "told": told},
            territory_code=job.territory.code,
        )
        events.emit(
            events.ANEV_READY,
            territory_code=job.territory.code,
            object_type="reports.reportjob",
            object_id=job.code,
            data={"month": job.month.strftime("%Y-%m"), "pages": job.pages},
        )
    return told


def scheduled_anev(territory_code: str, month: datetime.date) -> ReportJob | None:
    """The monthly Anev of a Polres's regency, asked by the scheduler and sent to its leaders.
    None when the month has nothing recorded (nothing to analyse, nothing sent). Asked again
    (`jaga scheduler --run anev-monthly`, a task run twice), it answers the month's report
    already queued, written or sent and sends nothing more; only a failed one is asked anew."""
    month = month.replace(day=1)
    with transaction.atomic():
        # The territory's row is the lock: two workers asking at once make one report.
        territory = Territory.objects.select_for_update().get(code=territory_code)
        existing = (
            ReportJob.objects.filter(territory=territory, month=month, deliver=True)
            .exclude(status=JobStatus.FAILED)
            .order_by("-created_at", "-id")
            .first()
        )
        if existing is not None:
            log.info("the Anev of %s %s was already asked: %s", territory_code, month, existing)
            return existing
        try:
            return request_anev(territory=territory, month=month, deliver=True)
        except DomainError as exc:
            if exc.code == "no_data":
                log.info("no Anev for %s %s: no data", territory_code, month)
                return None
            raise
