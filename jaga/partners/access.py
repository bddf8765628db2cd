"""Who sees which partners, activities and invitations.

Police staff see by territory (jaga.accounts.access). A partner coordinator whose posting names an
organisation (`Posting.organisation_id`) sees that organisation, the organisations inside it, their
members and the activities it organises or partners in; a coordinator posting without an
organisation falls back on its territory. Out of scope is a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from jaga.accounts.access import (
    ALL_CODES,
    active_postings,
    has_role,
    mark_scoped,
    scope_codes,
    scope_q,
)
from jaga.accounts.models import Role
from jaga.core.types import Actor
from jaga.partners.models import Agreement, Membership, Organisation, Person

TERRITORY_ROLES = {Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER, Role.ADMIN}
EDITOR_ROLES = (Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.ADMIN, Role.PARTNER)
PROGRAMME_ROLES = (Role.SATBINMAS, Role.ADMIN)


def _cache(user: Actor) -> dict[str, Any]:
    cache: dict[str, Any] | None = getattr(user, "_jaga_partners", None)
    if cache is None:
        cache = {}
        setattr(user, "_jaga_partners", cache)  # noqa: B010 - a per-request cache on the object
    return cache


def territory_roles(user: Actor) -> set[str]:
    roles: set[str] = set(TERRITORY_ROLES)
    if any(p.role == Role.PARTNER and p.organisation_id is None for p in active_postings(user)):
        roles.add(Role.PARTNER)
    return roles


def coordinated_org_ids(user: Actor) -> set[int]:
    """The organisations a partner coordinator coordinates, with those inside them."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = _cache(user)
    if "orgs" not in cache:
        roots = {
            p.organisation_id
            for p in active_postings(user)
            if p.role == Role.PARTNER and p.organisation_id is not None
        }
        found = set(roots)
        frontier = set(roots)
        while frontier:  # a perguruan inside FKPSB, a Pokdar unit inside the regency's Pokdar
            frontier = (
                set(
                    Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
                )
                - found
            )
            found |= frontier
        cache["orgs"] = found
    orgs: set[int] = cache["orgs"]
    return orgs


def ancestor_codes_of(codes: list[str]) -> set[str]:
    out: set[str] = set()
    for code in codes:
        parts = code.split(".")
        out |= {".".join(parts[:i]) for i in range(1, len(parts))}
    return out


def organisations_for_user(user: Actor) -> QuerySet[Organisation]:
    roles = territory_roles(user)
    scopes = scope_codes(user, roles)
    q = scope_q(user, "territory__code", roles)
    if scopes and ALL_CODES not in scopes:
        # Organisations serving a wider area (a district's Pokdar unit, the regency's FKPSB)
        # work in the user's villages too.
        q |= Q(territory__code__in=ancestor_codes_of(scopes))
    orgs = coordinated_org_ids(user)
    if orgs:
        q |= Q(pk__in=orgs)
    return mark_scoped(Organisation.objects.filter(q), "partners.access")


def agreements_for_user(user: Actor) -> QuerySet[Agreement]:
    roles = territory_roles(user)
    scopes = scope_codes(user, roles)
    q = scope_q(user, "territory__code", roles)
    if scopes and ALL_CODES not in scopes:
        q |= Q(territory__code__in=ancestor_codes_of(scopes))
    orgs = coordinated_org_ids(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return mark_scoped(Agreement.objects.filter(q), "partners.access")


def people_for_user(user: Actor) -> QuerySet[Person]:
    q = scope_q(user, "village__code", territory_roles(user))
    orgs = coordinated_org_ids(user)
    if orgs:
        q |= Q(pk__in=Membership.objects.filter(organisation_id__in=orgs).values("person_id"))
    return mark_scoped(Person.objects.filter(q), "partners.access")


def memberships_for_user(user: Actor) -> QuerySet[Membership]:
    q = scope_q(user, "person__village__code", territory_roles(user))
    orgs = coordinated_org_ids(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return mark_scoped(Membership.objects.filter(q), "partners.access")


def get_or_404(queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_person_for_user(user: Actor, pk: Any) -> Person:
    person: Person = get_or_404(people_for_user(user).select_related("village"), pk=pk)
    return person


def get_organisation_for_user(user: Actor, pk: Any) -> Organisation:
    org: Organisation = get_or_404(
        organisations_for_user(user).select_related("territory", "parent"), pk=pk
    )
    return org


def can_edit(user: Actor) -> bool:
    return has_role(user, *EDITOR_ROLES)


def can_manage_programmes(user: Actor) -> bool:
    return has_role(user, *PROGRAMME_ROLES)
