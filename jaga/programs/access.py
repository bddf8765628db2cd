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


def activities_for_user(user: Actor, *, invited: bool = False) -> QuerySet[Activity]:
    """The activities a user may see and, as an editor, work on. `invited`: also those an
    organisation the user coordinates is invited to (to read and answer, not to run)."""
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
        if invited:
            q |= Q(pk__in=Invitation.objects.filter(organisation__in=orgs).values("activity_id"))
    return Activity.objects.filter(q)


def get_activity_for_user(user: Actor, pk: Any, *, invited: bool = False) -> Activity:
    activity: Activity = get_or_404(
        activities_for_user(user, invited=invited).select_related("programme", "village", "area"),
        pk=pk,
    )
    return activity


def runs_activity(user: Actor, activity: Activity) -> bool:
    """Whether the user may work on the activity (invite, check in, record, attach), not only
    read it as the coordinator of an invited organisation."""
    if not coordinated_org_ids(user):
        return True  # without organisations, what a user sees is what they work on
    return activities_for_user(user).filter(pk=activity.pk).exists()


def invitations_for_user(user: Actor) -> QuerySet[Invitation]:
    roles = territory_roles(user)
    own_side = scope_q(user, "activity__village__code", roles)
    orgs = coordinated_org_ids(user)
    if orgs:
        own_side |= Q(activity__organisers__in=orgs)
    visible = Q(activity__in=activities_for_user(user).values("pk")) & (
        own_side
        | Q(person__in=people_for_user(user).values("pk"))
        | Q(organisation__in=organisations_for_user(user).values("pk"))
    )
    if orgs:  # an organisation's own invitations, to answer and print, wherever it is held
        visible |= Q(organisation__in=orgs)
    return Invitation.objects.filter(visible)


def get_invitation_for_user(user: Actor, **lookup: Any) -> Invitation:
    invitation: Invitation = get_or_404(
        invitations_for_user(user).select_related(
            "activity__programme", "activity__village", "person__village", "organisation"
        ),
        **lookup,
    )
    return invitation
