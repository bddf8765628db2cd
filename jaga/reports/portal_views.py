"""The public portal (no login): figures per regency, district and village, and open data."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from jaga.accounts.access import allow_public
from jaga.core.months import add_months
from jaga.core.tabular import csv_writer
from jaga.reports import portal
from jaga.territory.models import Level, Territory


@require_GET
@cache_control(public=True, max_age=300)
@allow_public
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/portal_index.html", {"regencies": portal.regencies_with_data()})


def _territory_month(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    territory = portal.public_territory(code)
    if territory is None:
        raise Http404
    regency_code = territory.regency_code or territory.code
    month, _preparing = portal.month_to_show(request.GET.get("bulan"), regency_code)
    return territory, month


@require_GET
@cache_control(public=True, max_age=300)
@allow_public
def territory(request: HttpRequest, code: str) -> HttpResponse:
    place = portal.public_territory(code)
    if place is None:
        raise Http404
    month, preparing = portal.month_to_show(
        request.GET.get("bulan"), place.regency_code or place.code
    )
    crumbs = [t for t in place.ancestors() if t.level in (Level.REGENCY, Level.DISTRICT)]
    children = (
        list(Territory.objects.filter(parent=place).order_by("code"))
        if place.level != Level.VILLAGE
        else []
    )
    context = {
        "territory": place,
        "crumbs": crumbs,
        "month": month,
        "previous": add_months(month, -1),
        "next": add_months(month, 1) if month < portal.last_complete_month() else None,
        "children": children,
        "preparing": portal.preparing_note(preparing, month) if preparing else "",
        **portal.page(place, month),
    }
    return render(request, "reports/portal_territory.html", context)


def _payload(request: HttpRequest, code: str) -> dict:  # type: ignore[type-arg]
    place, month = _territory_month(request, code)
    rows = portal.flat_rows(place, month)
    return {
        "territory": {"code": place.code, "name": place.name, "level": place.level},
        "month": month.strftime("%Y-%m"),
        "licence": {"name": portal.LICENCE_NAME, "url": portal.LICENCE_URL},
        "dictionary": request.build_absolute_uri(reverse("portal:data")),
        "suppression": {
            "withheld": "x",
            "threshold": 3,
            "survey_respondents_below": 10,
        },
        "published": rows is not None,
        "note": "" if rows is not None else str(portal.not_published_note(month)),
        "rows": rows or [],
    }


@require_GET
@cache_control(public=True, max_age=300)
@allow_public
def download_json(request: HttpRequest, code: str) -> JsonResponse:
    return JsonResponse(_payload(request, code), json_dumps_params={"ensure_ascii": False})


@require_GET
@cache_control(public=True, max_age=300)
@allow_public
def download_csv(request: HttpRequest, code: str) -> HttpResponse:
    payload = _payload(request, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="jaga-{payload["territory"]["code"]}-{payload["month"]}.csv"'
    )
    writer = csv_writer(response)
    columns = ["month", "territory_code", "territory_name", "level", "table", "column", "value"]
    writer.writerow(columns)
    for row in payload["rows"]:
        writer.writerow([row[c] for c in columns])
    return response


@require_GET
@cache_control(public=True, max_age=3600)
@allow_public
def data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/portal_data.html",
        {
            "dictionary": portal.dictionary(),
            "licence_name": portal.LICENCE_NAME,
            "licence_url": portal.LICENCE_URL,
            "example": json.dumps(
                {
                    "territory_code": "35.72.01",
                    "table": "incidents",
                    "column": "total",
                    "value": "x",
                }
            ),
        },
    )
