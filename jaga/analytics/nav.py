from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts.models import Role

ROLES = {Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER, Role.ADMIN}


def items(request: HttpRequest, roles: set[str]) -> list[dict[str, Any]]:
    if not request.user.is_authenticated or not (roles & ROLES or request.user.is_superuser):
        return []
    return [
        {
            "url": reverse("analytics:dashboard"),
            "label": _("Analytics"),
            "order": 80,
            "help": _("CompStat, trends, early warning, hotspots and programme evaluation."),
        }
    ]
