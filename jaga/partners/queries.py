"""Reads of the partnership registry that are more than one filter."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from jaga.accounts.access import unscoped
from jaga.partners.models import Membership, Organisation, OrgKind
from jaga.territory.models import Territory

POKDAR_MEMBERS_PER_VILLAGE = 5  # the article: 5 residents from each desa / kelurahan


def active_memberships(on: datetime.date | None = None) -> Q:
    on = on or timezone.localdate()
    return Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gte=on))


@dataclass
class VillageQuota:
    village: Territory
    members: int
    missing: int


def pokdar_quota(org: Organisation, on: datetime.date | None = None) -> list[VillageQuota]:
    """Each village of a Pokdar unit's kecamatan with its active members and how many it lacks."""
    villages = list(
        Territory.objects.current(on).villages().within(org.territory.code).order_by("code")
    )
    counts = dict(
        unscoped(
            Membership.objects.filter(active_memberships(on), organisation=org),
            "the organisation's own members: the caller fetched it for the user",
        )
        .values_list("person__village_id")
        .annotate(n=Count("id"))
        .values_list("person__village_id", "n")
    )
    return [
        VillageQuota(
            village=v,
            members=counts.get(v.pk, 0),
            missing=max(0, POKDAR_MEMBERS_PER_VILLAGE - counts.get(v.pk, 0)),
        )
        for v in villages
    ]


def villages_lacking_pokdar_members(org: Organisation) -> list[VillageQuota]:
    if org.kind != OrgKind.POKDAR:
        return []
    return [q for q in pokdar_quota(org) if q.missing]
