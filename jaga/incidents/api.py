"""The register's API: categories, incidents in my scope, import of history."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jaga.accounts.access import STAFF_ROLES, allow, get_for_user, has_role
from jaga.accounts.models import Role
from jaga.core.apidocs import gettext_lazy
from jaga.core.errors import DomainError
from jaga.core.params import Limit, Offset
from jaga.core.uploads import check_upload_size
from jaga.incidents.imports import import_incidents
from jaga.incidents.jobs import queue_import, read_progress
from jaga.incidents.models import Category, ImportJob, Incident

router = Router(tags=["incidents"])

IMPORT_ROLES = (Role.SATBINMAS, Role.ADMIN)


class Forbidden(DomainError):
    status = 403


class CategoryOut(Schema):
    code: str
    name_id: str
    name_en: str
    group: str
    parent: str | None
    legal_basis: str
    is_active: bool


class LinkOut(Schema):
    source: str
    source_ref: str


class IncidentOut(Schema):
    id: int
    category: str
    village_code: str
    occurred_at: datetime.datetime
    source: str
    source_ref: str
    severity: int
    latitude: float | None
    longitude: float | None
    description: str
    links: list[LinkOut]


class ImportOut(Schema):
    lines: int
    created: int
    unchanged: int
    updated: int = 0
    linked: int = 0
    dry_run: bool = False
    # The first 200 of each: updated incidents with their fields old → new, rows linked to one.
    changes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.pk,
        category=incident.category.code,
        village_code=incident.village.code,
        occurred_at=incident.occurred_at,
        source=incident.source,
        source_ref=incident.source_ref,
        severity=incident.severity,
        latitude=incident.latitude,
        longitude=incident.longitude,
        description=incident.description,
        links=[
            LinkOut(source=link.source, source_ref=link.source_ref) for link in incident.links.all()
        ],
    )


@router.get(
    "/categories", response=list[CategoryOut], summary=gettext_lazy("The category tree (codes)")
)
@allow(*STAFF_ROLES)
def categories(request: HttpRequest) -> list[CategoryOut]:
    return [
        CategoryOut(
            code=c.code,
            name_id=c.name_id,
            name_en=c.name_en,
            group=c.group,
            parent=c.parent.code if c.parent else None,
            legal_basis=c.legal_basis,
            is_active=c.is_active,
        )
        for c in Category.objects.select_related("parent")
    ]


@router.get(
    "", response=list[IncidentOut], summary=gettext_lazy("Incidents in my scope, newest first")
)
@allow(*STAFF_ROLES)
def incidents(
    request: HttpRequest,
    village: str = "",
    category: str = "",
    source: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[IncidentOut]:
    qs = Incident.objects.for_user(request.user).select_related("category", "village")
    if village:
        qs = qs.filter(village__code__startswith=village)
    if category:
        qs = qs.filter(category__code=category)
    if source:
        qs = qs.filter(source=source)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    limit = max(1, min(limit, 1000))
    page = qs.prefetch_related("links")[max(0, offset) : max(0, offset) + limit]
    return [_out(i) for i in page]


class ImportJobOut(Schema):
    code: str
    status: str
    file_name: str
    update: bool
    dry_run: bool
    lines: int
    percent: int
    created: int
    updated: int
    linked: int
    unchanged: int
    message: str
    errors: list[dict[str, Any]]
    more_errors: int
    changes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    queued_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


def _job_out(job: ImportJob) -> ImportJobOut:
    progress = read_progress(job)
    return ImportJobOut(
        code=job.code,
        status=job.status,
        file_name=job.file_name,
        update=job.update,
        dry_run=job.dry_run,
        lines=progress["lines"],
        percent=progress["percent"],
        created=job.created,
        updated=job.updated,
        linked=job.linked,
        unchanged=job.unchanged,
        message=job.message,
        errors=list(job.errors),
        more_errors=job.errors_more,
        changes=list(job.changes),
        links=list(job.links),
        queued_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post(
    "/import",
    response={201: ImportOut, 202: ImportJobOut},
    summary=gettext_lazy("Import incident history (CSV or XLSX, all-or-nothing)"),
    description=(
        "Columns: occurred_at, village_code, category, source_ref; optional latitude, "
        "longitude, description, severity, source. A 400 answer lists every bad row with its "
        "line. `update=true` updates the incidents that rows of an export came from (key: "
        "source, source_ref); `dry_run=true` checks and counts without writing. "
        "`background=true` stores the file and imports it as a background job: the answer is "
        "`202` with the job's `code`; follow it at `GET /api/v1/incidents/import-jobs/{code}`."
    ),
)
@allow(*IMPORT_ROLES)
def import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    update: bool = False,
    dry_run: bool = False,
    background: bool = False,
) -> Status[Any]:
    if not has_role(request.user, *IMPORT_ROLES):
        raise Forbidden("forbidden", _("Only Satbinmas staff may import incident history."))
    check_upload_size(file, name=file.name or "")
    if file.file is None:
        raise DomainError("empty_file", _("The file is empty."))
    if background:
        job = queue_import(file, actor=request.user, update=update, dry_run=dry_run)
        return Status(202, _job_out(job))
    result = import_incidents(
        file.file,
        name=file.name or "upload.csv",
        actor=request.user,
        update=update,
        dry_run=dry_run,
    )
    return Status(
        201,
        ImportOut(
            lines=result.lines,
            created=result.created,
            unchanged=result.unchanged,
            updated=result.updated,
            linked=result.linked,
            dry_run=result.dry_run,
            changes=result.changes,
            links=result.links,
        ),
    )


@router.get(
    "/import-jobs/{code}",
    response=ImportJobOut,
    summary=gettext_lazy("One background import: progress, then counts or bad rows"),
)
@allow(*IMPORT_ROLES)
def import_job(request: HttpRequest, code: str) -> ImportJobOut:
    return _job_out(get_for_user(ImportJob.objects.all(), request.user, code=code))


@router.get(
    "/{incident_id}",
    response=IncidentOut,
    summary=gettext_lazy("One incident with its linked sources"),
)
@allow(*STAFF_ROLES)
def incident(request: HttpRequest, incident_id: int) -> IncidentOut:
    found = get_for_user(
        Incident.objects.select_related("category", "village").prefetch_related("links"),
        request.user,
        pk=incident_id,
    )
    return _out(found)
