"""Who sees which activities and invitations (built on jaga.partners.access).

An activity is visible where it is held, and also to everyone whose area it serves (a regency-wide
declaration is visible to each Kapolsek and Bhabinkamtibmas who invites their residents to it), and
to the coordinators of the organisations that organise it or partner in it. An invitation is
visible to the organiser's side, and to those who may see the invitee.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from jaga.accounts.access import ALL_CODES, scope_codes, scope_q
from jaga.core.types import Actor
from jaga.partners.access import (
    ancestor_codes_of,
    coordinated_org_ids,
    get_or_404,
    organisations_for_user,
    people_for_user,
    territory_roles,
)
from jaga.programs.models import Activity, Invitation


def activities_for_user(user: Actor) -> QuerySet[Activity]:
    roles = territory_roles(user)
    scopes = scope_codes(user, roles)
    q = scope_q(user, "village__code", roles)
    if scopes and ALL_CODES not in scopes:
        q |= scope_q(user, "area__code", roles)
        q |= Q(area__code__in=ancestor_codes_of(scopes))
    orgs = coordinated_org_ids(user)
    if orgs:
        q |= Q(pk__in=Activity.objects.filter(organisers__in=orgs).values("pk"))
        q |= Q(pk__in=Activity.objects.filter(partners__in=orgs).values("pk"))
    return Activity.objects.filter(q)


def get_activity_for_user(user: Actor, pk: Any) -> Activity:
    activity: Activity = get_or_404(
        activities_for_user(user).select_related("programme", "village", "area"), pk=pk
    )
    return activity


def invitations_for_user(user: Actor) -> QuerySet[Invitation]:
    roles = territory_roles(user)
    own_side = scope_q(user, "activity__village__code", roles)
    orgs = coordinated_org_ids(user)
    if orgs:
        own_side |= Q(activity__organisers__in=orgs)
    return Invitation.objects.filter(
        Q(activity__in=activities_for_user(user).values("pk"))
        & (
            own_side
            | Q(person__in=people_for_user(user).values("pk"))
            | Q(organisation__in=organisations_for_user(user).values("pk"))
        )
    )


def get_invitation_for_user(user: Actor, **lookup: Any) -> Invitation:
    invitation: Invitation = get_or_404(
        invitations_for_user(user).select_related(
            "activity__programme", "activity__village", "person__village", "organisation"
        ),
        **lookup,
    )
    return invitation
