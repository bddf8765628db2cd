from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jaga.accounts.access import code_in_scope, scope_codes
from jaga.core.views import not_found
from jaga.territory import queries
from jaga.territory.models import Level, Population, Territory


@login_required
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
        {"tops": queries.top_territories(request.user), "q": q, "results": results},
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    if not code_in_scope(code, scope_codes(request.user)):
        return not_found(request)
    try:
        territory = Territory.objects.select_related("parent", "successor").get(code=code)
    except Territory.DoesNotExist:
        return not_found(request)
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
    return render(request, "territory/detail.html", context)
