"""The desk's live figure on the analytics dashboard: reports past their deadline right now.

A state, not a monthly count, so it is not in the roll-ups: one COUNT over the open reports the
viewer may see inside the dashboard's unit, whatever month the dashboard shows.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.analytics.glance import register
from jaga.analytics.units import Unit
from jaga.core.types import Viewer
from jaga.servicedesk.models import ServiceRequest
from jaga.territory.models import Level


@register
def overdue_reports(unit: Unit, month: datetime.date, user: Viewer) -> list[dict[str, Any]]:
    visible: Any = ServiceRequest.objects.for_user(user)
    n = visible.overdue().filter(unit.incident_q()).count()
    params = {"status": "open", "overdue": "1"}
    territory = unit.territory
    if territory is not None and territory.level in (Level.VILLAGE, Level.DISTRICT):
        params["village" if territory.level == Level.VILLAGE else "district"] = territory.code
    return [
        {
            "label": _("Reports past their deadline now"),
            "value": n,
            "url": f"{reverse('servicedesk:queue')}?{urlencode(params)}",
            "level": "bad" if n else "ok",
        }
    ]
