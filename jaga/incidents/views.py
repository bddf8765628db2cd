from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jaga.accounts.access import STAFF_ROLES, allow, get_for_user, has_role, in_scope
from jaga.core.errors import DomainError, ErrorList
from jaga.core.paging import CappedPaginator
from jaga.core.tabular import write_csv, write_xlsx
from jaga.core.uploads import check_upload_size
from jaga.incidents.api import IMPORT_ROLES
from jaga.incidents.forms import FilterForm, ImportForm
from jaga.incidents.jobs import queue_import, read_progress
from jaga.incidents.models import Category, ImportJob, ImportRun, Incident
from jaga.territory.models import Territory

SOURCE_PATTERNS = [
    (re.compile(r"^op-(\d+)-"), "fieldwork:operation"),
    (re.compile(r"^ed-(\d+)$"), "fieldwork:detection"),
]


def source_url(ref: str, source: str = "") -> str | None:
    """The page of the record an incident came from, when Jaga holds it (a desk report's
    reference is its ticket). The page itself checks the reader's scope."""
    if source == "desk" and ref:
        try:
            return reverse("servicedesk:detail", args=[ref])
        except NoReverseMatch:
            return None
    for pattern, name in SOURCE_PATTERNS:
        match = pattern.match(ref)
        if match:
            try:
                return reverse(name, args=[int(match.group(1))])
            except NoReverseMatch:
                return None
    return None


def _filtered(request: HttpRequest) -> tuple[FilterForm, QuerySet[Incident]]:
    form = FilterForm(request.GET or None)
    qs = Incident.objects.for_user(request.user).select_related("category", "village")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(
                Q(village__code__startswith=data["q"]) | Q(village__name__icontains=data["q"])
            )
        if data["category"]:
            qs = qs.filter(Q(category=data["category"]) | Q(category__parent=data["category"]))
        if data["source"]:
            qs = qs.filter(source=data["source"])
        if data["since"]:
            qs = qs.filter(occurred_at__date__gte=data["since"])
        if data["until"]:
            qs = qs.filter(occurred_at__date__lte=data["until"])
    return form, qs


TERRITORY_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def _map_area(request: HttpRequest, form: FilterForm) -> Territory | None:
    """The territory the list is filtered to (`q` a code in scope), for the map to draw: the map
    of a province draws districts, and an area's point links here, down to its villages."""
    code = form.cleaned_data.get("q", "") if form.is_valid() else ""
    if not code or not TERRITORY_CODE.match(code) or not in_scope(request.user, code):
        return None
    return Territory.objects.filter(code=code).first()


@login_required
@allow(*STAFF_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    area = _map_area(request, form)
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/index.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_import": has_role(request.user, *IMPORT_ROLES),
            "export_limit": EXPORT_LIMIT,
            "map_area": area,
            "map_query": urlencode({"bulan": 3, **({"territory": area.code} if area else {})}),
        },
    )


EXPORT_LIMIT = 100_000
EXPORT_HEADERS = [
    "occurred_at",
    "village_code",
    "category",
    "source_ref",
    "latitude",
    "longitude",
    "description",
    "severity",
    "source",
    "village_name",
]


@login_required
@allow(*STAFF_ROLES)
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered register as CSV or XLSX, in the import's columns (plus source and name)."""
    _form, qs = _filtered(request)
    rows = (
        [
            timezone.localtime(i.occurred_at).isoformat(),
            i.village.code,
            i.category.code,
            i.source_ref,
            i.latitude,
            i.longitude,
            i.description,
            i.severity,
            i.source,
            i.village.name,
        ]
        for i in qs[:EXPORT_LIMIT].iterator(chunk_size=2000)
    )
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(EXPORT_HEADERS, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(write_csv(EXPORT_HEADERS, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="kejadian-{stamp}.{fmt}"'
    return response


@login_required
@allow(*STAFF_ROLES)
def detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_for_user(
        Incident.objects.select_related("category", "category__parent", "village", "created_by"),
        request.user,
        pk=incident_id,
    )
    sources = [
        (
            incident.get_source_display(),
            incident.source_ref,
            source_url(incident.source_ref, incident.source),
        )
    ]
    for link in incident.links.all():
        sources.append(
            (link.get_source_display(), link.source_ref, source_url(link.source_ref, link.source))
        )
    return render(request, "incidents/detail.html", {"incident": incident, "sources": sources})


@login_required
@allow(*STAFF_ROLES)
def categories(request: HttpRequest) -> HttpResponse:
    nodes = list(Category.objects.all())
    tree = [
        (top, [c for c in nodes if c.parent_id == top.pk]) for top in nodes if not top.parent_id
    ]
    return render(request, "incidents/categories.html", {"tree": tree})


@login_required
@allow(*IMPORT_ROLES)
def import_page(request: HttpRequest) -> HttpResponse:
    """The import form: the file is stored and imported by a background task (`jobs`)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_upload_size(upload, name=upload.name or "")
            job = queue_import(
                upload,
                actor=request.user,
                update=form.cleaned_data["update"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            return redirect("incidents:import_job", code=job.code)
    jobs = ImportJob.objects.for_user(request.user).select_related("actor")[:20]
    runs = ImportRun.objects.select_related("actor")[:20]
    return render(request, "incidents/import.html", {"form": form, "jobs": jobs, "runs": runs})


def _column(name: str) -> str:
    """A column of the import file by the name of the incident's field it fills (`village_code`:
    "village"), in the user's language."""
    try:
        field = Incident._meta.get_field(name.removesuffix("_code"))
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


@login_required
@allow(*IMPORT_ROLES)
def import_job(request: HttpRequest, code: str) -> HttpResponse:
    """One import job: a progress bar while it runs (the page polls itself with htmx), then the
    counts or the rows to correct. Only the importer and their unit's importers see it."""
    job = get_for_user(ImportJob.objects.select_related("actor"), request.user, code=code)
    errors = ErrorList(job.errors)
    errors.more = job.errors_more
    shown = len(job.changes) + len(job.links)
    context = {
        "job": job,
        "progress": read_progress(job),
        "errors": errors,
        "changes": [
            {
                "line": c["line"],
                "id": c["id"],
                "ref": c["source_ref"],
                "name": _column(name),
                **pair,
            }
            for c in job.changes
            for name, pair in c["fields"].items()
        ],
        "more_changes": max(0, job.updated + job.linked - shown),
    }
    if request.headers.get("HX-Request"):
        return render(request, "incidents/_import_job.html", context)
    return render(request, "incidents/import_job.html", context)
