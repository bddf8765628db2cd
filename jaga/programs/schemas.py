from __future__ import annotations

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from jaga.programs.models import CHECKIN_CLOSES_DEFAULT, CHECKIN_OPENS_DEFAULT
from jaga.programs.services.scans import MAX_SCANS


class ProgrammeOut(Schema):
    code: str
    name: str
    goal: str
    lead_unit: str
    started_on: datetime.date | None
    ended_on: datetime.date | None
    indicators: list[str]
    partner_ids: list[int]
    villages_adopted: int


class ProgrammeIn(Schema):
    code: str
    name: str
    goal: str = ""
    lead_unit: str = ""
    started_on: datetime.date | None = None
    ended_on: datetime.date | None = None
    indicators: list[str] = []


class AdoptionOut(Schema):
    programme_code: str
    village_code: str
    village_name: str
    adopted_on: datetime.date


class AdoptionIn(Schema):
    village_code: str
    adopted_on: datetime.date


class ActivityOut(Schema):
    id: int
    programme_code: str
    kind: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    village_code: str
    area_code: str
    village_codes: list[str]
    organiser_ids: list[int]
    partner_ids: list[int]
    head_count: int | None
    grace_minutes: int
    checkin_opens_minutes: int
    checkin_closes_minutes: int
    place: str
    outcome: str


class ActivityIn(Schema):
    programme_code: str
    kind: str
    title: str
    starts_at: datetime.datetime
    village_code: str
    area_code: str = ""
    ends_at: datetime.datetime | None = None
    village_codes: list[str] = []
    organiser_ids: list[int] = []
    partner_ids: list[int] = []
    head_count: int | None = None
    grace_minutes: int = 15
    checkin_opens_minutes: int = CHECKIN_OPENS_DEFAULT
    checkin_closes_minutes: int = CHECKIN_CLOSES_DEFAULT
    place: str = ""
    outcome: str = ""


class InvitationOut(Schema):
    id: int
    activity_id: int
    person_id: int | None
    organisation_id: int | None
    invitee: str
    code: str
    sent_at: datetime.datetime
    response: str
    status: str
    checked_in_at: datetime.datetime | None
    representative_name: str


class InvitationIn(Schema):
    person_id: int | None = None
    organisation_id: int | None = None


class ResponseIn(Schema):
    response: str


class AttendanceIn(Schema):
    status: str
    checked_in_at: datetime.datetime | None = None
    representative_name: str = ""
    note: str = ""


class CheckInIn(Schema):
    code: str
    representative_name: str = ""


class CheckInOut(Schema):
    already: bool
    invitation: InvitationOut


class ScanIn(Schema):
    code: str = Field(max_length=64)
    # When the code was scanned (ISO 8601 with a zone), for scans kept on a phone without signal:
    # believed when it lies within the last two days, otherwise the server's time is used.
    at: datetime.datetime | None = None
    representative_name: str = Field("", max_length=150)


class CheckInBatchIn(Schema):
    scans: list[ScanIn] = Field(min_length=1, max_length=MAX_SCANS)


class ScanOut(Schema):
    code: str
    result: Literal["done", "already", "error"]
    error: str | None
    message: str
    invitation: InvitationOut | None


class CheckInBatchOut(Schema):
    done: int
    already: int
    refused: int
    results: list[ScanOut]


class RatesOut(Schema):
    label: str
    key: str
    invited: int
    responded: int
    attended: int
    on_time: int
    late: int
    represented: int
    absent: int
    excused: int
    response_rate: float | None
    attendance_rate: float | None
    punctuality: float | None
    representation_rate: float | None


class ParticipationOut(Schema):
    territory_code: str
    organisation_id: int | None
    programme_code: str | None
    start: datetime.date | None
    end: datetime.date | None
    total: RatesOut
    by_group: list[RatesOut]
    by_education: list[RatesOut]
    by_programme: list[RatesOut]


class ImportResult(Schema):
    imported: int
