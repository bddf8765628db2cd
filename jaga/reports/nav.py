from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts.access import STAFF_ROLES


def items(request: HttpRequest, roles: set[str]) -> list[dict[str, Any]]:
    entries = [
        {
            "url": reverse("portal:index"),
            "label": _("Public figures"),
            "order": 90,
            "help": _("Monthly figures per district and village, and open data, for everyone."),
        }
    ]
    if roles & STAFF_ROLES:
        entries.append(
            {
                "url": reverse("reports:anev"),
                "label": _("Anev report"),
                "order": 60,
                "help": _("The monthly analysis and evaluation report for the Kapolres."),
            }
        )
    return entries
