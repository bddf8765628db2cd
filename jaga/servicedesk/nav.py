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
                "url": reverse("servicedesk:queue"),
                "label": _("Service desk"),
                "order": 20,
                "help": _("Reports from residents: triage, assign, follow up."),
            }
        ]
    mine = (
        [
            {
                "url": reverse("servicedesk:my_reports"),
                "label": _("My reports"),
                "order": 12,
                "help": _("The reports you made while logged in, with the officers' answers."),
            }
        ]
        if request.user.is_authenticated
        else []
    )
    return mine + [
        {
            "url": reverse("servicedesk:report"),
            "label": _("Report"),
            "order": 10,
            "help": _("Report a security problem or ask the police for a service."),
        },
        {
            "url": reverse("servicedesk:track_lookup"),
            "label": _("Follow a report"),
            "order": 11,
            "help": _("See what happened to your report with its ticket code."),
        },
    ]
