from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts.access import STAFF_ROLES


def items(request: HttpRequest, roles: set[str]) -> list[dict[str, Any]]:
    if not roles & STAFF_ROLES:
        return []
    return [
        {
            "url": reverse("fieldwork:index"),
            "label": _("Field work"),
            "order": 30,
            "help": _("Visits, early detection, problem solving and raids."),
        }
    ]
