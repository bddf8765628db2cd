from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema

from jaga.accounts.access import STAFF_ROLES, allow, territory_for_user
from jaga.core.apidocs import gettext_lazy
from jaga.core.params import Limit
from jaga.territory import queries
from jaga.territory.models import Territory

router = Router(tags=["territory"])


class TerritoryOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    polmas_status: str


class OfficerOut(Schema):
    name: str
    village_code: str


class TerritoryDetail(TerritoryOut):
    ancestors: list[TerritoryOut]
    population: int
    population_year: int | None
    population_synthetic: bool
    officers: list[OfficerOut]
    polmas_note: str


def _out(t: Territory) -> TerritoryOut:
    return TerritoryOut(
        code=t.code,
        name=t.name,
        level=t.level,
        kind=t.kind,
        parent_code=t.code.rsplit(".", 1)[0] if "." in t.code else None,
        polmas_status=t.polmas_status,
    )


@router.get("", response=list[TerritoryOut], summary=gettext_lazy("Search territories in my scope"))
@allow(*STAFF_ROLES)
def search(
    request: HttpRequest, q: str = "", level: str | None = None, limit: Limit = 50
) -> list[TerritoryOut]:
    found = queries.visible_territories(request.user)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if level:
        found = found.filter(level=level)
    return [_out(t) for t in found.order_by("code")[: max(1, min(limit, 500))]]


def _get(request: HttpRequest, code: str) -> Territory:
    found: Territory = territory_for_user(request.user, code)
    return found


@router.get(
    "/{code}", response=TerritoryDetail, summary=gettext_lazy("A territory with its ancestors")
)
@allow(*STAFF_ROLES)
def detail(request: HttpRequest, code: str) -> TerritoryDetail:
    t = _get(request, code)
    population, year, synthetic = queries.latest_population(t.code)
    return TerritoryDetail(
        **_out(t).model_dump(),
        ancestors=[_out(a) for a in t.ancestors()],
        population=population,
        population_year=year,
        population_synthetic=synthetic,
        officers=[
            OfficerOut(name=p.user.display_name, village_code=p.territory.code)
            for p in queries.officers_of(t)
        ],
        polmas_note=t.polmas_note,
    )


@router.get(
    "/{code}/children", response=list[TerritoryOut], summary=gettext_lazy("A territory's children")
)
@allow(*STAFF_ROLES)
def children(request: HttpRequest, code: str) -> list[TerritoryOut]:
    t = _get(request, code)
    return [_out(c) for c in t.children.order_by("code")]
