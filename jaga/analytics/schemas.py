from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel


class EventPointOut(Schema):
    e: int
    att: float
    se: float
    ci_low: float
    ci_high: float


class EvaluationOut(Schema):
    method: str
    programme: str
    programme_name: str
    territory: str
    category: str
    start: str
    end: str
    att: float
    se: float
    att_pct: float | None
    counterfactual_mean: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int
    n_always_treated: int
    pre_trend_p: float | None
    pre_trend_chi2: float
    pre_trend_df: int
    pre_slope: float | None
    pre_slope_se: float | None
    pre_slope_p: float | None
    pre_trend_rejected: bool
    max_pre_drift: float | None
    post_months_weight: float | None
    breakdown: float | None
    n_never: int
    event_study: list[EventPointOut]
    its: dict[str, Any] | None
    period: dict[str, Any]
    statement: dict[str, str]


class CompRowOut(Schema):
    code: str
    name: str
    current: int
    previous: int | None  # None: outside the register's coverage (unknown, not zero)
    last_year: int | None
    ytd: int | None  # None: a month of this year to date is outside the register's coverage
    ytd_last_year: int | None
    rate: float | None
    change_prev: float | None
    change_last_year: float | None
    change_ytd: float | None
    p_prev: float
    p_last_year: float
    p_ytd: float


class CompStatOut(Schema):
    territory: str
    name: str
    month: str
    population: int
    population_year: int | None
    rows: list[CompRowOut]
    total: CompRowOut
    known: bool = True  # False: the month is outside the register's coverage
    notice: str = ""


# A plain pydantic model, not a ninja `Schema`: the country's list has over a thousand alarms,
# and a `Schema` reads every field of every row through a wrapper object (more time than finding
# and naming them); the rows are dicts, which pydantic validates itself. (No docstring: it would
# become the OpenAPI description.)
class AlarmOut(BaseModel):
    village_code: str
    village_name: str
    category_code: str
    category_name: str
    month: datetime.date
    end_month: datetime.date
    months: int
    observed: int
    expected: float
    window_observed: int
    window_expected: float
    statistic: float
    limit: float
    ongoing: bool


class RaidPlanIn(Schema):
    territory: str
    week: datetime.date


class RaidPlaceOut(Schema):
    cell: str
    lat: float
    lon: float
    count: int
    z: float
    village_code: str
    village_name: str


class RaidPlanOut(Schema):
    id: int
    territory: str
    week: datetime.date
    places: list[RaidPlaceOut]


# A plain pydantic model, not a ninja `Schema`: up to 10,000 rows a page, and a `Schema` reads
# every field of every row through a wrapper object; the rows are dicts, which pydantic validates
# itself. (No docstring: it would become the OpenAPI description.)
class RollupRowOut(BaseModel):
    code: str
    month: str
    value: int


class ScorecardOutputsOut(Schema):
    start: str
    end: str
    activities: int
    people_reached: int
    invited: int
    attended: int
    late: int
    represented: int
    attendance_pct: float | None
    late_pct: float | None
    represented_pct: float | None


class ScorecardRowOut(Schema):
    code: str
    name: str
    villages: int
    first_adopted: str | None
    adoption_months: int
    method: str  # "did", "its" or "none"
    sentence: str
    outputs_sentence: str
    outputs: ScorecardOutputsOut | None
    evaluation: EvaluationOut | None
    its: dict[str, Any] | None


class ScorecardOut(Schema):
    territory: str
    name: str
    month: str
    programmes: list[ScorecardRowOut]
