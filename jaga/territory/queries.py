"""Reads about territory: children with their figures, officers posted, population."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from jaga.accounts.access import code_in_scope, scope_codes
from jaga.accounts.models import Posting, Role
from jaga.core.types import Viewer
from jaga.territory.models import Level, Population, Territory


def visible_territories(user: Viewer) -> QuerySet[Territory]:
    scopes = scope_codes(user)
    if not scopes:
        return Territory.objects.none()
    if "*" in scopes:
        return Territory.objects.all()
    q = Q()
    for code in scopes:
        q |= Q(code=code) | Q(code__startswith=code + ".")
    return Territory.objects.filter(q)


def top_territories(user: Viewer) -> list[Territory]:
    """The broadest territories a user may see: their own scope codes (or provinces for all)."""
    scopes = scope_codes(user)
    if "*" in scopes:
        return list(Territory.objects.filter(level=Level.PROVINCE))
    return list(Territory.objects.filter(code__in=scopes))


def latest_population(codes_prefix: str) -> tuple[int, int | None, bool]:
    """Sum of the latest-year population of every village inside a territory.

    Returns (total, year, synthetic?). Villages without a figure count as 0.
    """
    rows = Population.objects.filter(
        Q(village__code=codes_prefix) | Q(village__code__startswith=codes_prefix + ".")
    )
    year = rows.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return 0, None, False
    rows = rows.filter(year=year)
    total = sum(rows.values_list("count", flat=True))
    synthetic = rows.filter(synthetic=True).exists()
    return total, year, synthetic


@dataclass
class ChildRow:
    territory: Territory
    villages: int
    population: int
    officers: int
    villages_without_officer: int
    officer_names: list[str]


def children_summary(parent: Territory) -> list[ChildRow]:
    """One row per child with village count, population and Bhabinkamtibmas coverage.

    A few queries in all, whatever the number of children.
    """
    children = list(parent.children.all().order_by("code"))
    if not children:
        return []
    child_level = children[0].level
    prefix_field: str = {
        Level.REGENCY: "regency_code",
        Level.DISTRICT: "district_code",
        Level.VILLAGE: "code",
    }.get(Level(child_level), "province_code")
    villages = Territory.objects.filter(level=Level.VILLAGE).filter(
        Q(code__startswith=parent.code + ".")
    )
    village_counts = dict(
        villages.values(prefix_field).annotate(n=Count("id")).values_list(prefix_field, "n")
    )
    pop_year = (
        Population.objects.filter(village__code__startswith=parent.code + ".")
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    populations: dict[str, int] = {}
    if pop_year is not None:
        for key, count in Population.objects.filter(
            village__code__startswith=parent.code + ".", year=pop_year
        ).values_list(f"village__{prefix_field}", "count"):
            populations[key] = populations.get(key, 0) + count
    postings = Posting.objects.active().filter(
        role=Role.BHABIN, territory__code__startswith=parent.code + "."
    )
    officers: dict[str, set[int]] = {}
    covered: dict[str, set[str]] = {}
    names: dict[str, list[str]] = {}
    for user_id, village_code, key, rank, full_name in postings.values_list(
        "user_id", "territory__code", f"territory__{prefix_field}", "user__rank", "user__full_name"
    ):
        officers.setdefault(key, set()).add(user_id)
        covered.setdefault(key, set()).add(village_code)
        names.setdefault(key, []).append(f"{rank} {full_name}".strip())
    rows = []
    for child in children:
        n_villages = village_counts.get(child.code, 0)
        rows.append(
            ChildRow(
                territory=child,
                villages=n_villages,
                population=populations.get(child.code, 0),
                officers=len(officers.get(child.code, set())),
                villages_without_officer=n_villages - len(covered.get(child.code, set())),
                officer_names=sorted(names.get(child.code, [])),
            )
        )
    return rows


def officers_of(territory: Territory) -> list[Posting]:
    """Active Bhabinkamtibmas postings inside a territory."""
    return list(
        Posting.objects.active()
        .filter(role=Role.BHABIN)
        .filter(Q(territory=territory) | Q(territory__code__startswith=territory.code + "."))
        .select_related("user", "territory")
        .order_by("territory__code")
    )


def breadcrumbs(territory: Territory, user: Viewer) -> list[tuple[Territory, bool]]:
    """Ancestors with whether the user may open each (out-of-scope ones are shown unlinked)."""
    scopes = scope_codes(user)
    return [(t, code_in_scope(t.code, scopes)) for t in territory.ancestors()]


def nearest_village(
    lat: float, lon: float, villages: QuerySet[Territory] | None = None, box: float = 0.1
) -> Territory | None:
    """The village whose recorded centre lies nearest the point (within `box` degrees, about
    11 km), or None when no centre is known around it (centres: `jaga territory import-points`)."""
    candidates = (villages if villages is not None else Territory.objects.villages()).filter(
        latitude__range=(lat - box, lat + box), longitude__range=(lon - box, lon + box)
    )
    return min(
        candidates.select_related("parent"),
        key=lambda t: (t.latitude - lat) ** 2 + (t.longitude - lon) ** 2,  # type: ignore[operator]
        default=None,
    )


def home_code(scopes: list[str]) -> str | None:
    """The territory a page opens on when none is asked for: the user's first scope; for whoever
    sees everything, the only regency when a single one is loaded, else the first province."""
    if not scopes:
        return None
    if "*" not in scopes:
        return scopes[0]
    regencies = list(
        Territory.objects.filter(level=Level.REGENCY).values_list("code", flat=True)[:2]
    )
    if len(regencies) == 1:
        return regencies[0]
    return (
        Territory.objects.filter(level=Level.PROVINCE)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )


def unit_name_for(code: str, default: str = "Polri") -> str:
    """The name of the Polres whose area holds territory `code` (else its Polda, else `default`)."""
    from jaga.territory.models import PoliceUnit, PoliceUnitKind

    parts = code.split(".")
    for kind, prefix in ((PoliceUnitKind.POLRES, 2), (PoliceUnitKind.POLDA, 1)):
        if len(parts) < prefix:
            continue
        name = (
            PoliceUnit.objects.filter(kind=kind, territories__code=".".join(parts[:prefix]))
            .order_by("pk")
            .values_list("name", flat=True)
            .first()
        )
        if name:
            return name
    return default


def polres_territories() -> list[Territory]:
    """The area (regency) of every Polres, once each: what the monthly jobs run over."""
    from jaga.territory.models import PoliceUnitKind

    return list(
        Territory.objects.filter(police_units__kind=PoliceUnitKind.POLRES, level=Level.REGENCY)
        .distinct()
        .order_by("code")
    )
