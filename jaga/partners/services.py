"""Every change to the partnership registry: people, organisations, memberships, agreements."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.images import clean_file
from jaga.core.tabular import EARLIEST_DATE, date_out_of_range
from jaga.partners.importing import RowError, fail_rows, run_import
from jaga.partners.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    CommunityRole,
    Education,
    Gender,
    MemberRole,
    Membership,
    Organisation,
    OrgKind,
    PartyRole,
    Person,
)
from jaga.territory.models import Level, Territory

PERSON_FIELDS = [
    "full_name", "village", "gender", "birth_year", "education", "occupation",
    "community_roles", "position", "phone", "email", "address",
]  # fmt: skip


# --- NIK -----------------------------------------------------------------------------------


def normalise_nik(raw: str) -> str:
    """Check a NIK: 16 digits; the first six a real regency and district; then the birth date
    (day + 40 for women), month and year. Returns the digits or raises DomainError."""
    nik = "".join(raw.split())
    if len(nik) != 16 or not nik.isdigit():
        raise DomainError("bad_nik", _("A NIK has exactly 16 digits."))
    district = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
    if not Territory.objects.filter(code=district, level=Level.DISTRICT).exists():
        raise DomainError(
            "bad_nik",
            _("The NIK's first six digits (%(code)s) are not a known regency and district.")
            % {"code": nik[:6]},
        )
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise DomainError("bad_nik", _("The NIK's birth date digits are not a valid date."))
    return nik


def nik_hash(nik: str) -> str:
    # Keyed, so a leaked table cannot be reversed by hashing every possible NIK.
    return hmac.new(settings.SECRET_KEY.encode(), nik.encode(), hashlib.sha256).hexdigest()


# --- people --------------------------------------------------------------------------------


def _check_person(data: dict[str, Any]) -> None:
    village = data.get("village")
    if village is None or village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("A person lives in a village (desa / kelurahan)."))
    if not str(data.get("full_name", "")).strip():
        raise DomainError("name_required", _("The name is required."))
    if data.get("gender") and data["gender"] not in Gender.values:
        raise DomainError("bad_gender", _("Gender is m or f."))
    if data.get("education") and data["education"] not in Education.values:
        raise DomainError(
            "bad_education",
            _("Unknown education level %(value)s; use one of %(choices)s.")
            % {"value": data["education"], "choices": ", ".join(Education.values)},
        )
    year = data.get("birth_year")
    if year is not None and not 1900 <= int(year) <= timezone.localdate().year:
        raise DomainError("bad_birth_year", _("The birth year is not plausible."))
    roles = data.get("community_roles") or []
    unknown = [r for r in roles if r not in CommunityRole.values]
    if unknown:
        raise DomainError(
            "bad_community_role",
            _("Unknown community role %(value)s; use one of %(choices)s.")
            % {"value": ", ".join(unknown), "choices": ", ".join(CommunityRole.values)},
        )


def create_person(*, actor: Any, nik: str = "", **data: Any) -> Person:
    """Register a partner. The NIK (optional) is validated and kept only as a hash + last 4."""
    data.setdefault("community_roles", [])
    _check_person(data)
    person = Person(**data)
    person.full_name = person.full_name.strip()
    person.regency_code = person.village.regency_code
    person.is_leader = bool(person.community_roles)
    if nik:
        digits = normalise_nik(nik)
        person.nik_hash = nik_hash(digits)
        person.nik_last4 = digits[-4:]
    with transaction.atomic():
        if person.nik_hash and Person.objects.filter(nik_hash=person.nik_hash).exists():
            raise DomainError("nik_taken", _("A person with this NIK is already registered."))
        person.save()
        log_action(
            "partners.person_created",
            person,
            actor=actor,
            after=snapshot(person),
            territory_code=person.village.code,
        )
    return person


def update_person(person: Person, *, actor: Any, nik: str | None = None, **changes: Any) -> Person:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(locked)
        for field, value in changes.items():
            if field not in PERSON_FIELDS:
                raise DomainError("bad_field", _("%(field)s cannot be changed.") % {"field": field})
            setattr(locked, field, value)
        _check_person({f: getattr(locked, f) for f in PERSON_FIELDS})
        locked.regency_code = locked.village.regency_code
        locked.is_leader = bool(locked.community_roles)
        if nik:
            digits = normalise_nik(nik)
            hashed = nik_hash(digits)
            if Person.objects.filter(nik_hash=hashed).exclude(pk=locked.pk).exists():
                raise DomainError("nik_taken", _("A person with this NIK is already registered."))
            locked.nik_hash, locked.nik_last4 = hashed, digits[-4:]
        locked.save()
        log_action(
            "partners.person_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.village.code,
        )
    return locked


# --- organisations -------------------------------------------------------------------------


def create_organisation(
    *,
    actor: Any,
    kind: str,
    name: str,
    territory: Territory,
    local_name: str = "",
    parent: Organisation | None = None,
    founded_on: datetime.date | None = None,
    phone: str = "",
    note: str = "",
) -> Organisation:
    if kind not in OrgKind.values:
        raise DomainError("bad_kind", _("Unknown organisation kind %(kind)s.") % {"kind": kind})
    if not name.strip():
        raise DomainError("name_required", _("The name is required."))
    if kind == OrgKind.POKDAR and territory.level not in (Level.DISTRICT, Level.REGENCY):
        raise DomainError(
            "pokdar_area", _("A Pokdar Kamtibmas unit serves a kecamatan (or the regency).")
        )
    if parent is not None and parent.pk is None:
        raise DomainError("bad_parent", _("The parent organisation does not exist."))
    with transaction.atomic():
        org = Organisation.objects.create(
            kind=kind,
            name=name.strip(),
            local_name=local_name.strip(),
            territory=territory,
            parent=parent,
            founded_on=founded_on,
            phone=phone,
            note=note,
        )
        log_action(
            "partners.organisation_created",
            org,
            actor=actor,
            after=snapshot(org),
            territory_code=territory.code,
        )
    return org


# --- memberships ---------------------------------------------------------------------------


def add_membership(
    *,
    actor: Any,
    person: Person,
    organisation: Organisation,
    started_on: datetime.date,
    role: str = MemberRole.MEMBER,
    ended_on: datetime.date | None = None,
) -> Membership:
    if role not in MemberRole.values:
        raise DomainError("bad_role", _("Unknown membership role %(role)s.") % {"role": role})
    if ended_on is not None and ended_on < started_on:
        raise DomainError(
            "membership_ends_before_start", _("A membership cannot end before it starts.")
        )
    if not person.village.is_within(organisation.territory.code):
        raise DomainError(
            "member_outside_area",
            _("%(person)s lives outside the area of %(organisation)s.")
            % {"person": person.full_name, "organisation": organisation.name},
        )
    with transaction.atomic():
        membership = Membership.objects.create(
            person=person,
            organisation=organisation,
            role=role,
            started_on=started_on,
            ended_on=ended_on,
        )
        log_action(
            "partners.membership_added",
            membership,
            actor=actor,
            after=snapshot(membership),
            territory_code=person.village.code,
        )
    return membership


def end_membership(membership: Membership, *, actor: Any, ended_on: datetime.date) -> Membership:
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("person__village")
            .get(pk=membership.pk)
        )
        if ended_on < locked.started_on:
            raise DomainError(
                "membership_ends_before_start", _("A membership cannot end before it starts.")
            )
        before = snapshot(locked)
        locked.ended_on = ended_on
        locked.save(update_fields=["ended_on"])
        log_action(
            "partners.membership_ended",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.person.village.code,
        )
    return locked


# --- agreements ----------------------------------------------------------------------------

FKPM_FOUNDING_PARTIES = {PartyRole.POLICE, PartyRole.GOVERNMENT, PartyRole.COMMUNITY}


def record_agreement(
    *,
    actor: Any,
    title: str,
    kind: str,
    territory: Territory,
    signed_on: datetime.date,
    parties: list[dict[str, Any]],
    organisation: Organisation | None = None,
    document: File[Any] | None = None,
    note: str = "",
) -> Agreement:
    """Record a founding agreement, MoU or peace declaration with its parties.

    Each party is {"role", "name", "person"?, "organisation"?}. An FKPM's founding agreement must
    name the police (Kapolsek), the government (Camat / Kepala Desa / Lurah) and community leaders.
    """
    if kind not in AgreementKind.values:
        raise DomainError("bad_kind", _("Unknown agreement kind %(kind)s.") % {"kind": kind})
    if signed_on > timezone.localdate():
        raise DomainError("future_date", _("An agreement cannot be signed in the future."))
    for party in parties:
        if party.get("role") not in PartyRole.values or not str(party.get("name", "")).strip():
            raise DomainError("bad_party", _("Every party needs a role and a name."))
    roles = {p["role"] for p in parties}
    if (
        kind == AgreementKind.FOUNDING
        and organisation is not None
        and organisation.kind == OrgKind.FKPM
        and not roles >= FKPM_FOUNDING_PARTIES
    ):
        raise DomainError(
            "fkpm_parties_missing",
            _(
                "An FKPM is founded by agreement of the Kapolsek, the Camat / Kepala Desa / "
                "Lurah and community leaders: name all three parties."
            ),
        )
    if len(parties) < 2:
        raise DomainError("bad_party", _("An agreement has at least two parties."))
    # A scanned agreement is often a phone photo: re-encoded without its metadata.
    clean = clean_file(document)[0] if document is not None else None
    with transaction.atomic():
        agreement = Agreement(
            title=title.strip(),
            kind=kind,
            territory=territory,
            organisation=organisation,
            signed_on=signed_on,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if clean is not None:
            agreement.document.save(clean.name or "document", clean, save=False)
        agreement.save()
        AgreementParty.objects.bulk_create(
            [
                AgreementParty(
                    agreement=agreement,
                    role=p["role"],
                    name=str(p["name"]).strip(),
                    person=p.get("person"),
                    organisation=p.get("organisation"),
                )
                for p in parties
            ]
        )
        log_action(
            "partners.agreement_recorded",
            agreement,
            actor=actor,
            after={
                **snapshot(agreement, ["title", "kind", "territory", "organisation", "signed_on"]),
                "document": agreement.document.name or "",
                "parties": [(p["role"], p["name"]) for p in parties],
            },
            territory_code=territory.code,
        )
    return agreement


def found_fkpm(
    *,
    actor: Any,
    name: str,
    territory: Territory,
    signed_on: datetime.date,
    police: str,
    government: str,
    community: list[str],
    local_name: str = "",
    document: File[Any] | None = None,
) -> Organisation:
    """Found an FKPM and its founding agreement together: both or neither."""
    parties = [
        {"role": PartyRole.POLICE, "name": police},
        {"role": PartyRole.GOVERNMENT, "name": government},
        *({"role": PartyRole.COMMUNITY, "name": c} for c in community if c.strip()),
    ]
    with transaction.atomic():
        org = create_organisation(
            actor=actor,
            kind=OrgKind.FKPM,
            name=name,
            local_name=local_name,
            territory=territory,
            founded_on=signed_on,
        )
        record_agreement(
            actor=actor,
            title=_("Founding of %(name)s") % {"name": org.name},
            kind=AgreementKind.FOUNDING,
            territory=territory,
            signed_on=signed_on,
            parties=[p for p in parties if str(p["name"]).strip()],
            organisation=org,
            document=document,
        )
    return org


# --- imports -------------------------------------------------------------------------------

PEOPLE_COLUMNS = ["full_name", "village_code"]
PEOPLE_EXPORT = [
    "id", "full_name", "village_code", "gender", "birth_year", "education", "occupation",
    "community_roles", "position", "phone", "email", "address", "nik",
]  # fmt: skip
ORG_COLUMNS = ["kind", "name", "territory_code"]
ORG_EXPORT = ["id", "kind", "name", "local_name", "territory_code", "parent_id", "founded_on"]
MEMBERSHIP_COLUMNS = ["person_id", "organisation_id", "started_on"]
MEMBERSHIP_EXPORT = ["id", "person_id", "person_name", "organisation_id", "organisation_name",
                     "role", "started_on", "ended_on"]  # fmt: skip


def _date(
    value: str,
    label: str,
    required: bool = True,
    *,
    earliest: datetime.date = EARLIEST_DATE,
    days_ahead: int = 1,
) -> datetime.date | None:
    """A YYYY-MM-DD cell of an import, within [earliest, today + days_ahead]."""
    if not value:
        if required:
            raise RowError(_("%(column)s is required") % {"column": label})
        return None
    value = value[:10]
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(_("%(column)s is not a date (YYYY-MM-DD): %(value)s") % {
            "column": label, "value": value})  # fmt: skip
    problem = date_out_of_range(parsed, label, earliest=earliest, days_ahead=days_ahead)
    if problem:
        raise RowError(problem)
    return parsed


def _in_scope(code: str, actor: Any) -> None:
    from jaga.accounts.access import in_scope
    from jaga.partners.access import territory_roles

    if actor is not None and not in_scope(actor, code, territory_roles(actor)):
        raise RowError(_("%(code)s is outside your area") % {"code": code})


def import_people(source: str | Path | IO[bytes], *, actor: Any, name: str | None = None) -> int:
    villages = dict(Territory.objects.filter(level=Level.VILLAGE).values_list("code", "pk"))
    seen: dict[str, int] = {}

    def parse(line: int, row: dict[str, str]) -> dict[str, Any]:
        code = row["village_code"]
        if code not in villages:
            raise RowError(_("unknown village code %(code)s") % {"code": code})
        _in_scope(code, actor)
        data: dict[str, Any] = {
            "full_name": row["full_name"],
            "village": Territory(pk=villages[code], code=code, level=Level.VILLAGE),
            "gender": row.get("gender", "").lower(),
            "education": row.get("education", "").lower(),
            "occupation": row.get("occupation", ""),
            "position": row.get("position", ""),
            "phone": row.get("phone", ""),
            "email": row.get("email", ""),
            "address": row.get("address", ""),
            "community_roles": [
                r.strip().lower() for r in row.get("community_roles", "").split(",") if r.strip()
            ],
        }
        year = row.get("birth_year", "")
        if year:
            if not year.isdigit():
                raise RowError(_("birth_year must be a year"))
            data["birth_year"] = int(year)
        _check_person(data)
        nik = row.get("nik", "")
        if nik and not nik.startswith("*"):
            digits = normalise_nik(nik)
            if digits in seen:
                raise RowError(_("the same NIK is on line %(line)s") % {"line": seen[digits]})
            seen[digits] = line
            data["nik"] = digits
        return data

    def write(rows: list[tuple[int, dict[str, Any]]]) -> int:
        hashes = {nik_hash(d["nik"]): line for line, d in rows if d.get("nik")}
        taken = Person.objects.filter(nik_hash__in=hashes).values_list("nik_hash", flat=True)
        fail_rows(
            [
                {"line": hashes[h], "error": _("a person with this NIK is already registered")}
                for h in taken
                if h
            ]  # fmt: skip
        )
        full = {
            t.pk: t for t in Territory.objects.filter(pk__in={d["village"].pk for _l, d in rows})
        }
        for _line, data in rows:
            data["village"] = full[data["village"].pk]
            create_person(actor=actor, **data)
        return len(rows)

    return run_import(source, name=name, columns=PEOPLE_COLUMNS, parse=parse, write=write)


def import_organisations(
    source: str | Path | IO[bytes], *, actor: Any, name: str | None = None
) -> int:
    def parse(line: int, row: dict[str, str]) -> dict[str, Any]:
        if row["kind"] not in OrgKind.values:
            raise RowError(_("unknown kind %(kind)s") % {"kind": row["kind"]})
        if not row["name"]:
            raise RowError(_("the name is required"))
        territory = Territory.objects.filter(code=row["territory_code"]).first()
        if territory is None:
            raise RowError(_("unknown territory code %(code)s") % {"code": row["territory_code"]})
        _in_scope(territory.code, actor)
        parent = None
        if row.get("parent_id"):
            parent = Organisation.objects.filter(pk=row["parent_id"]).first() if row[
                "parent_id"].isdigit() else None  # fmt: skip
            if parent is None:
                raise RowError(_("unknown parent organisation %(id)s") % {"id": row["parent_id"]})
        return {
            "kind": row["kind"],
            "name": row["name"],
            "local_name": row.get("local_name", ""),
            "territory": territory,
            "parent": parent,
            "founded_on": _date(
                row.get("founded_on", ""),
                "founded_on",
                required=False,
                earliest=datetime.date(1800, 1, 1),
            ),
        }

    def write(rows: list[tuple[int, dict[str, Any]]]) -> int:
        for _line, data in rows:
            create_organisation(actor=actor, **data)
        return len(rows)

    return run_import(source, name=name, columns=ORG_COLUMNS, parse=parse, write=write)


def import_memberships(
    source: str | Path | IO[bytes], *, actor: Any, name: str | None = None
) -> int:
    from jaga.partners.access import organisations_for_user, people_for_user

    people = people_for_user(actor).select_related("village")
    orgs = organisations_for_user(actor).select_related("territory")

    def parse(line: int, row: dict[str, str]) -> dict[str, Any]:
        person = people.filter(pk=row["person_id"]).first() if row["person_id"].isdigit() else None
        if person is None:
            raise RowError(_("unknown person %(id)s") % {"id": row["person_id"]})
        org_id = row["organisation_id"]
        org = orgs.filter(pk=org_id).first() if org_id.isdigit() else None
        if org is None:
            raise RowError(_("unknown organisation %(id)s") % {"id": org_id})
        role = row.get("role", "") or MemberRole.MEMBER
        if role not in MemberRole.values:
            raise RowError(_("unknown role %(role)s") % {"role": role})
        started = _date(row["started_on"], "started_on")
        # A term of office can be known to end within the next years.
        ended = _date(row.get("ended_on", ""), "ended_on", required=False, days_ahead=5 * 366)
        if ended is not None and started is not None and ended < started:
            raise RowError(_("the membership ends before it starts"))
        if not person.village.is_within(org.territory.code):
            raise RowError(_("the person lives outside the organisation's area"))
        return {"person": person, "organisation": org, "role": role, "started_on": started,
                "ended_on": ended}  # fmt: skip

    def write(rows: list[tuple[int, dict[str, Any]]]) -> int:
        for _line, data in rows:
            add_membership(actor=actor, **data)
        return len(rows)

    return run_import(source, name=name, columns=MEMBERSHIP_COLUMNS, parse=parse, write=write)
