"""What a dashboard is about: a territory (village ... province) or a Polsek, and its scope check.

A unit resolves to the territory codes it covers; every roll-up read filters on those codes with
the denormalised ancestor columns, so any level is one GROUP BY on an indexed column.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from jaga.accounts.access import (
    ALL_CODES,
    code_in_scope,
    key_q,
    scope_codes,
    territory_for_user,
)
from jaga.core.months import add_months, month_start
from jaga.core.types import Viewer
from jaga.territory.models import Level, PoliceUnit, Territory

LEVEL_FIELD = {1: "province_code", 2: "regency_code", 3: "district_code", 4: "village__code"}


@dataclass
class Unit:
    key: str  # the territory code, or "polsek:<slug>"
    name: str
    codes: list[str]
    level: str
    territory: Territory | None = None
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def rollup_q(self) -> Q:
        """Rows of MonthlyIncidentCount / MonthlyMetric inside the unit (naming the regency
        code, their distribution key)."""
        return self.key_q() & reduce(
            or_, (Q(**{LEVEL_FIELD[len(c.split("."))]: c}) for c in self.codes)
        )

    def key_q(self, key: str = "regency_code") -> Q:
        """The regency-code filter implied by the unit; none for the whole country (every
        shard, by design)."""
        return Q() if self.level == "country" else key_q(self.codes, key)

    def incident_q(
        self, prefix: str = "", key: str | None = None, codes: list[str] | None = None
    ) -> Q:
        """Rows of a model with a village foreign key (`prefix` is the path to it); `key` names
        its regency-code column if it has one (Incident: "regency_code").

        With `key`, a province or a whole regency is its regency-code condition alone (every row
        inside carries a regency code equal to it or starting with it, no other row does): the
        territory join beside it would add nothing but a plan PostgreSQL misjudges (it expected
        one village of a regency's 172 and rescanned the regency for each); the whole country is
        every row. Districts and villages keep the territory condition too."""
        if key:
            if self.level == "country":
                return Q()
            whole = [c for c in self.codes if len(c.split(".")) <= 2]
            finer = [c for c in self.codes if len(c.split(".")) > 2]
            parts = [key_q(whole, key)] if whole else []
            if finer:
                parts.append(key_q(finer, key) & self.incident_q(prefix, None, finer))
            return reduce(or_, parts)
        q = reduce(
            or_,
            (
                Q(**{f"{prefix}village__code": c})
                | Q(**{f"{prefix}village__code__startswith": c + "."})
                for c in (self.codes if codes is None else codes)
            ),
        )
        return q

    def population_q_territory(self) -> Q:
        """Territory rows inside the unit, through the indexed ancestor-code columns."""
        if self.level == "country":
            return Q()
        fields = {1: "province_code", 2: "regency_code", 3: "district_code", 4: "code"}
        return reduce(or_, (Q(**{fields[len(c.split("."))]: c}) for c in self.codes))

    def village_q(self) -> Q:
        """Territory rows that are villages inside the unit (the country: every village)."""
        if self.level == "country":
            return Q(level=Level.VILLAGE)
        return Q(level=Level.VILLAGE) & reduce(
            or_, (Q(code=c) | Q(code__startswith=c + ".") for c in self.codes)
        )


COUNTRY_KEY = "*"


def country_unit() -> Unit:
    """All of the loaded territory: the national level's roll-up, one row per province."""
    codes = list(
        Territory.objects.filter(level=Level.PROVINCE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not codes:
        raise Http404
    return Unit(COUNTRY_KEY, "Indonesia", codes, "country")


def default_unit_key(user: Viewer) -> str | None:
    """The user's own area; for whoever sees everything, the only regency when just one is
    loaded (a single Polres), else the whole country."""
    scopes = scope_codes(user)
    if not scopes:
        return None
    if ALL_CODES in scopes:
        regencies = list(
            Territory.objects.filter(level=Level.REGENCY).values_list("code", flat=True)[:2]
        )
        if len(regencies) == 1:
            return regencies[0]
        return COUNTRY_KEY if regencies else None
    return scopes[0]


def resolve_unit(user: Viewer, key: str | None) -> Unit:
    """The unit named by `key` if the user may see all of it; 404 otherwise (never 403)."""
    key = (key or default_unit_key(user) or "").strip()
    if not key:
        raise Http404
    scopes = scope_codes(user)
    if key == COUNTRY_KEY:
        if ALL_CODES not in scopes:
            raise Http404
        return country_unit()
    if key.startswith("polsek:"):
        try:
            unit = PoliceUnit.objects.get(code=key.split(":", 1)[1])
        except PoliceUnit.DoesNotExist:
            raise Http404 from None
        codes = sorted(unit.territories.values_list("code", flat=True))
        if not codes or not all(code_in_scope(c, scopes) for c in codes):
            raise Http404
        return Unit(key, unit.name, codes, "polsek")
    territory = territory_for_user(user, key)
    codes = [key]
    if territory.level == Level.VILLAGE:
        from jaga.territory.pemekaran import lineage_codes

        # A village made by a split or merge carries its predecessors' history.
        codes = [c for c in lineage_codes(key) if code_in_scope(c, scopes)]
    return Unit(key, territory.display_name, codes, territory.level, territory)


def last_complete_month(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return add_months(month_start(today), -1)


def parse_month(value: str | None) -> datetime.date | None:
    """'2026-10' or '2026-10-01' to the month's first day; None when absent or unreadable."""
    if not value:
        return None
    try:
        parts = [int(p) for p in value.split("-")[:2]]
        return datetime.date(parts[0], parts[1], 1)
    except (ValueError, IndexError):
        return None
