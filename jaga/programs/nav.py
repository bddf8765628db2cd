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
            "url": reverse("programs:index"),
            "label": _("Programmes"),
            "order": 25,
            "help": _("Programmes, the villages that adopted them, and their activities."),
        },
        {
            "url": reverse("programs:activities"),
            "label": _("Activities"),
            "order": 26,
            "help": _("Meetings and events, invitations and attendance."),
        },
        {
            "url": reverse("programs:participation"),
            "label": _("Participation"),
            "order": 27,
            "help": _("Who was invited and who came: on time, late, represented or absent."),
        },
    ]
