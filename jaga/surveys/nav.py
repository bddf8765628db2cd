from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts.access import STAFF_ROLES


def items(request: HttpRequest, roles: set[str]) -> list[dict[str, Any]]:
    if roles & STAFF_ROLES:
        return [
            {
                "url": reverse("surveys:results"),
                "label": _("Surveys"),
                "order": 70,
                "help": _("IKM satisfaction and residents' trust, with paper-form entry."),
            }
        ]
    return [
        {
            "url": reverse("surveys:trust"),
            "label": _("Safety survey"),
            "order": 71,
            "help": _(
                "Two minutes, anonymous: how safe do you feel, how much do you trust the police?"
            ),
        },
        {
            "url": reverse("surveys:ikm"),
            "label": _("Rate our service"),
            "order": 72,
            "help": _("The public satisfaction survey (IKM) of the police service you received."),
        },
    ]
