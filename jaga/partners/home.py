"""The partner coordinator's home: what their organisation has to do next.

A coordinator opens Jaga to answer invitations, prepare the activities their organisation runs,
record who came and keep its members' contact details current; the panel lists each of those
(scoped through `jaga.partners.access` and `jaga.programs.access`) with the button that does it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from jaga.accounts.access import roles_of
from jaga.accounts.models import Role
from jaga.partners.access import coordinated_org_ids, memberships_for_user, organisations_for_user

AHEAD = datetime.timedelta(days=30)
BEHIND = datetime.timedelta(days=60)
SHOWN = 5


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated or Role.PARTNER not in roles_of(user):
        return []
    from jaga.programs.access import activities_for_user, invitations_for_user
    from jaga.programs.models import AttendanceStatus, Response

    orgs = coordinated_org_ids(user)
    now = timezone.now()
    mine = Q(organisers__in=orgs) | Q(partners__in=orgs) if orgs else Q()
    activities = activities_for_user(user)
    upcoming = list(
        activities.filter(mine, starts_at__gte=now, starts_at__lte=now + AHEAD)
        .select_related("village")
        .distinct()
        .order_by("starts_at")[:SHOWN]
    )
    invited = invitations_for_user(user).filter(
        response=Response.PENDING, activity__starts_at__gte=now
    )
    if orgs:
        invited = invited.filter(
            Q(organisation_id__in=orgs)
            | Q(person__memberships__organisation_id__in=orgs, person__memberships__ended_on=None)
        )
    to_answer = list(
        invited.select_related("activity__village", "person", "organisation")
        .distinct()
        .order_by("activity__starts_at", "id")[:SHOWN]
    )
    unrecorded = list(
        activities.filter(mine, starts_at__lt=now, starts_at__gte=now - BEHIND)
        .annotate(
            pending=Count("invitations", filter=Q(invitations__status=AttendanceStatus.PENDING))
        )
        .filter(pending__gt=0)
        .distinct()
        .order_by("-starts_at")[:SHOWN]
    )
    members = memberships_for_user(user).filter(ended_on=None)
    if orgs:
        members = members.filter(organisation_id__in=orgs)
    no_phone = members.filter(person__phone="").select_related("person", "organisation")
    organisations = list(organisations_for_user(user).filter(pk__in=orgs)) if orgs else []
    return [
        {
            "template": "partners/home_panel.html",
            "context": {
                "organisations": organisations,
                "upcoming": upcoming,
                "to_answer": to_answer,
                "unrecorded": unrecorded,
                "no_phone": list(no_phone.order_by("person__full_name")[:SHOWN]),
                "no_phone_count": no_phone.count(),
            },
            "order": 10,
        }
    ]
