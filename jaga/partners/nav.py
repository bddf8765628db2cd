from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _


def items(request: HttpRequest, roles: Any) -> list[dict[str, Any]]:
    if not request.user.is_authenticated or not (set(roles) - {"public"}):
        return []
    return [
        {
            "url": reverse("partners:index"),
            "label": _("Partners"),
            "order": 20,
            "help": _("FKPM, Pokdar, FKPSB, Dai Kamtibmas, agencies and the people in them."),
        }
    ]
