"""Reports API: the public figures (no login) and the Anev sections (staff, in scope)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Router, Schema

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    allow_public,
    territory_for_user,
)
from jaga.reports import anev, portal
from jaga.territory.models import Level

router = Router(tags=["reports"])


class PublicRow(Schema):
    month: str
    territory_code: str
    territory_name: str
    level: str
    table: str
    column: str
    value: int | float | str


class PublicOut(Schema):
    territory_code: str
    month: str
    licence: str
    licence_url: str
    published: bool
    note: str
    rows: list[PublicRow]


@router.get(
    "/public/{code}",
    response=PublicOut,
    auth=None,
    summary=gettext_lazy("Published monthly figures of a place (public)"),
)
@allow_public
def public_figures(request: HttpRequest, code: str, month: str = "") -> Any:
    """Published monthly figures of a regency, district or village ("x": withheld); read from
    the figures stored when the month closed (`published` false, no rows, before that)."""
    place = portal.public_territory(code)
    if place is None:
        raise Http404
    first = portal.parse_month(month, place.regency_code or place.code)
    rows = portal.flat_rows(place, first)
    return {
        "territory_code": place.code,
        "month": first.strftime("%Y-%m"),
        "licence": portal.LICENCE_NAME,
        "licence_url": portal.LICENCE_URL,
        "published": rows is not None,
        "note": "" if rows is not None else portal.not_published_note(first),
        "rows": rows or [],
    }


@router.get("/anev/{code}", summary=gettext_lazy("The Anev report's figures"))
@allow(*STAFF_ROLES)
def anev_sections(request: HttpRequest, code: str, month: str) -> Any:
    """The Anev report's figures as JSON (the summary sentences included)."""
    place = territory_for_user(request.user, code)
    if place.level not in (Level.REGENCY, Level.DISTRICT):
        raise Http404
    first = portal.parse_month(month, place.regency_code or place.code)
    sections = anev.build(place, first)
    surveys = sections.pop("surveys")
    sections["surveys"] = {
        "trust_respondents_12m": surveys["trust_year"].respondents,
        "ikm": None
        if surveys["ikm"] is None
        else {
            "respondents": surveys["ikm"].respondents,
            "converted": str(surveys["ikm"].converted),
            "grade": surveys["ikm"].grade,
        },
    }
    return _jsonable(sections)


def _jsonable(value: Any) -> Any:
    import dataclasses
    import datetime

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        as_dict = getattr(value, "as_dict", None)
        return _jsonable(as_dict() if as_dict else dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
