from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema


class ChoiceOut(Schema):
    key: str
    name: str


class QuestionOut(Schema):
    code: str
    prompt: str
    datatype: str
    required: bool
    choices: list[ChoiceOut]


class ServiceOut(Schema):
    code: str
    name: str
    group: str
    description: str
    sla_hours: int
    sensitive: bool
    questions: list[QuestionOut]


class VillageOut(Schema):
    code: str
    name: str
    district: str


class RequestIn(Schema):
    service_code: str
    village_code: str
    description: str = Field(..., max_length=4000)
    latitude: float | None = None
    longitude: float | None = None
    occurred_at: datetime.datetime | None = None
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    answers: dict[str, Any] = {}


class DeskRequestIn(RequestIn):
    channel: str = "walk_in"


class CreatedOut(Schema):
    """`tracking_code` / `tracking_url` are the submitter's private key to the report, given
    only in the answer that created it (empty on a retry)."""

    ticket: str
    status: str
    due_at: datetime.datetime
    track_url: str
    tracking_code: str
    tracking_url: str
    created: bool


class ReporterNoteIn(Schema):
    text: str = Field(..., max_length=4000)


class PublicUpdateOut(Schema):
    at: datetime.datetime
    text: str
    status: str


class PublicRequestOut(Schema):
    """With the ticket alone: the public status and the approved public text of a report that
    may be public. With the tracking code (`private`): also the reporter's own text and the
    officers' notes to the reporter. Never a name, phone, email, address or point."""

    ticket: str
    service_code: str
    service_name: str
    status: str
    status_label: str
    village: str
    district: str
    agency: str
    received_at: datetime.datetime
    due_at: datetime.datetime
    overdue: bool
    private: bool
    description: str
    updates: list[PublicUpdateOut]


class NearbyOut(Schema):
    ticket: str
    service_name: str
    status_label: str
    village: str
    received_at: datetime.datetime


class UpdateOut(Schema):
    at: datetime.datetime
    author: str
    public: bool
    text: str
    status_from: str
    status_to: str


class StaffRequestOut(Schema):
    ticket: str
    channel: str
    service_code: str
    status: str
    village_code: str
    village: str
    unit: str
    assignee: str
    received_at: datetime.datetime
    due_at: datetime.datetime
    overdue: bool
    resolved_in_time: bool | None
    version: int


class StaffRequestDetail(StaffRequestOut):
    description: str
    answers: dict[str, Any]
    latitude: float | None
    longitude: float | None
    address: str
    anonymous: bool
    reporter_name: str
    phone: str
    email: str
    duplicate_of: str | None
    incident_id: int | None
    allowed: list[str]
    updates: list[UpdateOut]


class TransitionIn(Schema):
    status: str
    note: str = ""
    public: bool = True
    assignee: str | None = None
    version: int | None = None
    duplicate_of: str | None = None


class UpdateIn(Schema):
    text: str
    public: bool = False


class MoveIn(Schema):
    village: str  # the code of one of the villages that replaced the report's ended village
    version: int | None = None


class UnitSummaryOut(Schema):
    district_code: str
    unit: str
    open: int
    overdue: int
    resolved: int
    resolved_in_time: int
    in_time_pct: int | None
