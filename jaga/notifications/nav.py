from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts.access import PARTNERSHIP_ROLES


def items(request: HttpRequest, roles: set[str]) -> list[dict[str, Any]]:
    if roles & PARTNERSHIP_ROLES:
        return []  # officers reach the inbox from the top bar
    return [
        {
            "url": reverse("notifications:subscribe"),
            "label": _("Follow your village"),
            "order": 73,
            "help": _(
                "New public reports and the monthly figures of your village, by e-mail or WhatsApp."
            ),
        }
    ]
