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
            "url": reverse("incidents:index"),
            "label": _("Incidents"),
            "order": 40,
            "help": _("The kamtibmas disturbance register."),
        }
    ]
