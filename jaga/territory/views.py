from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    has_role,
    territory_for_user,
)
from jaga.accounts.models import Role
from jaga.core.errors import DomainError, ImportFailed
from jaga.core.views import not_found
from jaga.territory import queries, services
from jaga.territory.forms import PolmasStatusForm, PopulationImportForm
from jaga.territory.models import Level, Population, Territory

STATUS_EDITORS = (Role.POLSEK, Role.SATBINMAS, Role.ADMIN)
IMPORTERS = (Role.SATBINMAS, Role.ADMIN)


@login_required
@allow(*STAFF_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    results = None
    if q:
        matches = queries.visible_territories(request.user).filter(
            Q(name__icontains=q) | Q(code__startswith=q)
        )
        results = Paginator(matches.select_related("parent"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "territory/index.html",
        {
            "tops": queries.top_territories(request.user),
            "q": q,
            "results": results,
            "can_import": has_role(request.user, *IMPORTERS),
        },
    )


@login_required
@allow(*STAFF_ROLES)
def detail(request: HttpRequest, code: str) -> HttpResponse:
    territory = territory_for_user(request.user, code)
    population, pop_year, synthetic = queries.latest_population(territory.code)
    context = {
        "territory": territory,
        "crumbs": queries.breadcrumbs(territory, request.user),
        "population": population,
        "population_year": pop_year,
        "population_synthetic": synthetic,
        "children": queries.children_summary(territory),
        "officers": queries.officers_of(territory),
        "units": territory.police_units.all(),
    }
    if territory.level == Level.VILLAGE:
        context["population_rows"] = Population.objects.filter(village=territory)
        if has_role(request.user, *STATUS_EDITORS):
            context["status_form"] = PolmasStatusForm(
                initial={"status": territory.polmas_status, "note": territory.polmas_note}
            )
    context["can_import"] = has_role(request.user, *IMPORTERS)
    return render(request, "territory/detail.html", context)


def _village_in_scope(request: HttpRequest, code: str) -> Territory | None:
    village: Territory = territory_for_user(request.user, code, level=Level.VILLAGE)
    return village


@login_required
@require_POST
@allow(*STATUS_EDITORS)
def polmas_status(request: HttpRequest, code: str) -> HttpResponse:
    village = _village_in_scope(request, code)
    if village is None or not has_role(request.user, *STATUS_EDITORS):
        return not_found(request)
    form = PolmasStatusForm(request.POST)
    if form.is_valid():
        services.set_polmas_status(
            village, form.cleaned_data["status"], form.cleaned_data["note"], actor=request.user
        )
        messages.success(request, _("Polmas status saved."))
    else:
        messages.error(request, _("Choose a valid Polmas status."))
    return redirect("territory:detail", code=village.code)


@login_required
@allow(*IMPORTERS)
def population_import(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, *IMPORTERS):
        return not_found(request)
    errors: list[dict[str, object]] = []
    form = PopulationImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = services.import_populations(upload, name=upload.name, actor=request.user)
        except ImportFailed as exc:
            errors = exc.errors
            messages.error(request, str(exc.message))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, _("%(count)s population figures imported.") % {"count": count}
            )
            return redirect("territory:population_import")
    return render(request, "territory/population_import.html", {"form": form, "errors": errors})
