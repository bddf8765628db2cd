from __future__ import annotations

import datetime

from ninja import Schema


class PersonOut(Schema):
    id: int
    full_name: str
    village_code: str
    gender: str
    birth_year: int | None
    education: str
    occupation: str
    community_roles: list[str]
    is_leader: bool
    position: str
    nik_masked: str


class PersonIn(Schema):
    full_name: str
    village_code: str
    gender: str = ""
    birth_year: int | None = None
    education: str = ""
    occupation: str = ""
    community_roles: list[str] = []
    position: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    nik: str = ""


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    local_name: str
    territory_code: str
    parent_id: int | None
    founded_on: datetime.date | None


class OrganisationIn(Schema):
    kind: str
    name: str
    territory_code: str
    local_name: str = ""
    parent_id: int | None = None
    founded_on: datetime.date | None = None


class MembershipOut(Schema):
    id: int
    person_id: int
    person_name: str
    organisation_id: int
    organisation_name: str
    role: str
    started_on: datetime.date
    ended_on: datetime.date | None


class MembershipIn(Schema):
    person_id: int
    organisation_id: int
    role: str = "member"
    started_on: datetime.date
    ended_on: datetime.date | None = None


class VillageQuotaOut(Schema):
    village_code: str
    village_name: str
    members: int
    missing: int


class PartyOut(Schema):
    role: str
    name: str


class AgreementOut(Schema):
    id: int
    title: str
    kind: str
    territory_code: str
    organisation_id: int | None
    signed_on: datetime.date
    document_url: str
    parties: list[PartyOut]


class ImportResult(Schema):
    imported: int
