from __future__ import annotations

import datetime
import importlib
import importlib.util
import logging
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from jaga.accounts.access import active_postings, allow_public, roles_of
from jaga.core.links import absolute_url
from jaga.territory import queries as territory_queries

log = logging.getLogger("jaga")


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


def home_panels(request: HttpRequest) -> list[dict[str, Any]]:
    """Panels other apps contribute to the home page: `jaga.<app>.home.panels(request)`.

    Each returns a list of {"template": ..., "context": {...}, "order": int}.
    """
    panels: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("jaga."):
            continue
        module_name = f"{config.name}.home"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        panels.extend(module.panels(request))
    return sorted(panels, key=lambda p: p.get("order", 100))


@allow_public
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    tops = territory_queries.top_territories(request.user)
    summaries = []
    for territory in tops[:12]:
        population, year, synthetic = territory_queries.latest_population(territory.code)
        summaries.append(
            {
                "territory": territory,
                "population": population,
                "year": year,
                "synthetic": synthetic,
                "children": territory_queries.children_summary(territory),
            }
        )
    return render(
        request,
        "core/home.html",
        {
            "roles": sorted(roles_of(request.user)),
            "postings": active_postings(request.user),
            "summaries": summaries,
            "panels": home_panels(request),
        },
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: which roles the page is for, the user's own, and whom to ask for a posting."""
    from django.db.models import Q

    from jaga.accounts.access import RoleRequired, route_roles
    from jaga.accounts.models import Posting, Role, User

    needed = exception.roles if isinstance(exception, RoleRequired) else frozenset()
    mine = route_roles(request.user)
    today = timezone.localdate()
    admins: list[Any] = []
    if request.user.is_authenticated:
        posted = Posting.objects.active(today).filter(role=Role.ADMIN).values("user_id")
        admins = list(
            User.objects.filter(Q(pk__in=posted) | Q(is_superuser=True), is_active=True)
            .exclude(pk=request.user.pk)
            .order_by("-is_superuser", "full_name")[:3]
        )
    return render(
        request,
        "403.html",
        {
            "needed": [label for value, label in Role.choices if value in needed],
            "mine": [label for value, label in Role.choices if value in mine],
            "admins": admins,
            "partner_page": bool(needed) and Role.PARTNER in needed,
        },
        status=403,
    )


@allow_public
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@allow_public
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: where to report a vulnerability (the contact the Polres sets, SECURITY.md)."""
    contact = settings.SECURITY_CONTACT
    if not contact:
        return not_found(request)
    if "@" in contact and ":" not in contact:
        contact = f"mailto:{contact}"
    expires = timezone.now() + datetime.timedelta(days=365)
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}",
        "Preferred-Languages: id, en",
        f"Canonical: {absolute_url('/.well-known/security.txt')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
