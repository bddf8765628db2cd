"""Live figures other apps add to the dashboard's month at a glance (e.g. overdue desk reports).

The roll-ups hold what happened in each month; a figure such as "reports past their SLA now" is a
state, which only the owning app can count. An app registers a provider once (in its
`apps.ready` or a module Django imports):

    from jaga.analytics.glance import register

    @register
    def overdue(unit, month, user):
        n = ServiceRequest.objects.for_user(user).filter(unit.incident_q(), ...).count()
        return [{"label": _("Reports past their deadline"), "value": n,
                 "url": reverse("servicedesk:list") + "?overdue=1", "level": "bad" if n else "ok"}]

Each provider returns a list of {"label", "value", "url" (optional), "level" (ok/warn/bad,
optional)} and must keep to a query or two: it runs on every dashboard view.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from jaga.analytics.units import Unit
from jaga.core.types import Viewer

Provider = Callable[[Unit, datetime.date, Any], list[dict[str, Any]]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def figures(unit: Unit, month: datetime.date, user: Viewer) -> list[dict[str, Any]]:
    return [item for provider in PROVIDERS for item in provider(unit, month, user)]
