"""Surveys API: results in the user's scope, and answers entered by staff or a field app."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jaga.accounts.access import (
    STAFF_ROLES,
    allow,
    territory_for_user,
)
from jaga.core.apidocs import gettext_lazy
from jaga.core.months import add_months, month_start
from jaga.surveys import queries, services
from jaga.surveys.models import IKM_ELEMENTS, IkmResponse
from jaga.territory.models import Level, PoliceUnit, Territory

router = Router(tags=["surveys"])


class EstimateOut(Schema):
    question: str
    n: int
    value: float | None
    low: float | None
    high: float | None


class IkmOut(Schema):
    respondents: int
    converted: str
    grade: str
    nrr: dict[str, str]


class ResultsOut(Schema):
    territory_code: str
    start: datetime.date
    end: datetime.date
    ikm: IkmOut | None
    trust_respondents: int
    trust: list[EstimateOut]


class TrustIn(Schema):
    village_code: str
    answered_on: datetime.date | None = None
    safe_home: int
    safe_night: int
    trust_police: int
    would_report: int
    knows_bhabin: bool
    was_visited: bool


class IkmIn(Schema):
    village_code: str
    unit_code: str
    answered_on: datetime.date | None = None
    service: str = ""
    scores: dict[str, int]
    gender: str = ""
    age_group: str = ""
    education: str = ""
    occupation: str = ""


class CreatedOut(Schema):
    id: int


def _staff_scope(request: HttpRequest, code: str) -> None:
    territory_for_user(request.user, code)


def _village(request: HttpRequest, code: str) -> Territory:
    village: Territory = territory_for_user(request.user, code, level=Level.VILLAGE)
    return village


@router.get(
    "/results/{code}",
    response=ResultsOut,
    summary=gettext_lazy("A survey's results for a place and period"),
)
@allow(*STAFF_ROLES)
def results(
    request: HttpRequest,
    code: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Any:
    """IKM and trust results of a territory in the caller's scope (last 12 months by default)."""
    _staff_scope(request, code)
    end = end or datetime.date.today()  # noqa: DTZ011
    start = start or add_months(month_start(end), -11)
    responses = IkmResponse.objects.for_user(request.user).filter(
        queries.within("village__code", code)
    )
    ikm = queries.ikm_overall(responses, start, end)
    trust = queries.trust_summary(code, start, end)
    return {
        "territory_code": code,
        "start": start,
        "end": end,
        "ikm": None
        if ikm is None
        else {
            "respondents": ikm.respondents,
            "converted": str(ikm.converted),
            "grade": ikm.grade,
            "nrr": {c: str(v) for c, v in ikm.nrr.items()},
        },
        "trust_respondents": trust.respondents,
        "trust": [
            {
                "question": q,
                "n": trust.respondents,
                "value": e.value if e else None,
                "low": e.low if e else None,
                "high": e.high if e else None,
            }
            for q, e in trust.estimates.items()
        ],
    }


@router.post(
    "/trust", response={201: CreatedOut}, summary=gettext_lazy("Enter a trust questionnaire")
)
@allow(*STAFF_ROLES)
def post_trust(request: HttpRequest, payload: TrustIn) -> Any:
    """Enter one trust questionnaire (a paper form or a field app) for a village in scope."""
    village = _village(request, payload.village_code)
    response = services.submit_trust_response(
        village=village,
        answers=payload.model_dump(exclude={"village_code", "answered_on"}),
        channel="paper",
        answered_on=payload.answered_on,
        actor=request.user,
    )
    return Status(201, {"id": response.pk})


@router.post("/ikm", response={201: CreatedOut}, summary=gettext_lazy("Enter an IKM questionnaire"))
@allow(*STAFF_ROLES)
def post_ikm(request: HttpRequest, payload: IkmIn) -> Any:
    """Enter one IKM questionnaire: `scores` maps u1…u9 to 1–4."""
    village = _village(request, payload.village_code)
    unit = PoliceUnit.objects.filter(code=payload.unit_code).first()
    response = services.submit_ikm_response(
        village=village,
        unit=unit,
        scores={c: payload.scores.get(c) for c in IKM_ELEMENTS},
        service=payload.service,
        profile={
            "gender": payload.gender,
            "age_group": payload.age_group,
            "education": payload.education,
            "occupation": payload.occupation,
        },
        channel="paper",
        answered_on=payload.answered_on,
        actor=request.user,
    )
    return Status(201, {"id": response.pk})
