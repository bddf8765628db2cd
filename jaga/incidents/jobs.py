"""Imports of incident history run as background tasks (the web page and the API).

`queue_import` stores the uploaded file in protected storage, creates an `ImportJob` and
enqueues `jaga.incidents.tasks.run_import` after the commit; `run_import_job` (the task's body)
imports the file with `jaga.incidents.imports.import_incidents` and records the outcome: the
counts, or the message and the bad rows with their lines. The file is kept either way.

Progress: the import is one transaction (all or nothing), so it cannot write its progress into
the job's row: nobody would see the write before the end, and on PostgreSQL a row written there
would be rolled back with a refused file. The progress hook instead writes a tiny JSON file next
to the upload (`<file>.progress`, replaced atomically every block of rows); the page reads it
while the job runs. This works the same on SQLite and PostgreSQL, with any cache, and with the
worker on the same machine as the web server (both need the protected storage anyway). The
file is removed when the job ends; the row then holds the final figures.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jaga.accounts.access import active_postings, has_role
from jaga.core.audit import log_action
from jaga.core.codes import random_code
from jaga.core.errors import DomainError, ImportFailed
from jaga.core.types import Actor, signed_in
from jaga.incidents.imports import import_incidents
from jaga.incidents.models import IMPORT_JOB_ROLES, ImportJob, ImportJobStatus

log = logging.getLogger(__name__)

# The share of the bar the reading of the file fills; the rest is deciding and writing.
READING_SHARE = 90


def _unit_territory(actor: Actor) -> Any:
    """The territory of the actor's broadest importing posting (their unit), or None."""
    postings = [p for p in active_postings(actor) if p.role in IMPORT_JOB_ROLES]
    if not postings:
        return None
    return min(postings, key=lambda p: (len(p.territory.code), p.territory.code)).territory


def queue_import(
    upload: UploadedFile[bytes], *, actor: Actor, update: bool = False, dry_run: bool = False
) -> ImportJob:
    """Store the file, create the job and enqueue its task (after the commit)."""
    name = Path(upload.name or "upload.csv").name[:200]
    with transaction.atomic():
        job = ImportJob(
            code=random_code(12),
            actor=signed_in(actor),
            territory=_unit_territory(actor),
            file_name=name,
            update=update,
            dry_run=dry_run,
            language=translation.get_language() or "id",
        )
        job.file.save(name, upload, save=False)
        job.save()
        log_action(
            "incidents.import_queued",
            job,
            actor=actor,
            after={"file": name, "update": update, "dry_run": dry_run},
            territory_code=job.territory.code if job.territory else "",
        )
        job_id = job.pk

        def enqueue() -> None:
            from jaga.incidents.tasks import run_import

            run_import.enqueue(job_id)

        transaction.on_commit(enqueue)
    return job


# --------------------------------------------------------------------------- progress


def progress_path(job: ImportJob) -> Path:
    return Path(job.file.path + ".progress")


def write_progress(job: ImportJob, lines: int, percent: int) -> None:
    """Record how far the job got (outside the database: see the module's docstring)."""
    path = progress_path(job)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps({"lines": lines, "percent": percent}))
    os.replace(scratch, path)


def read_progress(job: ImportJob) -> dict[str, int]:
    """{"lines", "percent"} of a job: from the progress file while it runs, else from the row."""
    if job.status == ImportJobStatus.DONE:
        return {"lines": job.lines, "percent": 100}
    if job.status == ImportJobStatus.RUNNING and job.file:
        try:
            data = json.loads(progress_path(job).read_text())
            return {"lines": int(data["lines"]), "percent": int(data["percent"])}
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return {"lines": job.lines, "percent": 0}


def progress_hook(job: ImportJob, stream: IO[bytes], size: int) -> Any:
    """The `progress` callback of `import_incidents` for a job: rows read and how much of the
    file (by its position in bytes) has been read."""

    def hook(lines: int) -> None:
        try:
            position = stream.tell()
        except (OSError, ValueError):
            position = 0
        share = position / size if size else 0
        write_progress(job, lines, max(1, min(READING_SHARE, int(READING_SHARE * share))))

    return hook


# --------------------------------------------------------------------------- running


def _finish(job: ImportJob, status: str, **fields: Any) -> None:
    with transaction.atomic():
        job.status = status
        job.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
        log_action(
            f"incidents.import_{status}",
            job,
            after={
                "status": status,
                "lines": job.lines,
                "created": job.created,
                "updated": job.updated,
                "linked": job.linked,
                "unchanged": job.unchanged,
                "errors": len(job.errors) + job.errors_more,
            },
            territory_code=job.territory.code if job.territory else "",
        )


def run_import_job(job_id: int) -> None:
    """Import the file of a queued job and record the outcome (the task's body)."""
    job = ImportJob.objects.select_related("actor", "territory").get(pk=job_id)
    if job.status != ImportJobStatus.QUEUED:
        return
    with translation.override(job.language):
        _run(job)


def _run(job: ImportJob) -> None:
    actor = job.actor
    if actor is None or not actor.is_active or not has_role(actor, *IMPORT_JOB_ROLES):
        _finish(
            job,
            ImportJobStatus.FAILED,
            message=_("The account that started this import may no longer import."),
        )
        return
    job.status = ImportJobStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    write_progress(job, 0, 1)
    try:
        with job.file.open("rb") as stream:
            size = job.file.size
            result = import_incidents(
                stream,
                name=job.file_name,
                actor=actor,
                progress=progress_hook(job, stream, size),
                update=job.update,
                dry_run=job.dry_run,
            )
    except ImportFailed as exc:
        lines = read_progress(job)["lines"]
        _finish(
            job,
            ImportJobStatus.FAILED,
            lines=lines,
            message=str(exc.message),
            errors=list(exc.errors),
            errors_more=exc.errors.more,
        )
    except DomainError as exc:
        _finish(job, ImportJobStatus.FAILED, message=str(exc.message))
    except Exception as exc:  # the job records the failure; the worker keeps running
        log.exception("Incident import job %s failed", job.code)
        _finish(job, ImportJobStatus.FAILED, message=f"{type(exc).__name__}: {exc}")
    else:
        _finish(
            job,
            ImportJobStatus.DONE,
            lines=result.lines,
            created=result.created,
            updated=result.updated,
            linked=result.linked,
            unchanged=result.unchanged,
            run_id=result.run_id,
            changes=result.changes,
            links=result.links,
        )
    finally:
        progress_path(job).unlink(missing_ok=True)
