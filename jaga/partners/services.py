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

from jaga.core import roundtrip
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.images import clean_file
from jaga.core.roundtrip import Plan, RowError
from jaga.core.tabular import EARLIEST_DATE, date_out_of_range
from jaga.core.types import Actor, signed_in
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
from jaga.territory.pemekaran import EndedVillages, refuse_ended

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


def create_person(*, actor: Actor, nik: str = "", **data: Any) -> Person:
    """Register a partner. The NIK (optional) is validated and kept only as a hash + last 4."""
    data.setdefault("community_roles", [])
    _check_person(data)
    # A roster has no date: a village ended by a pemekaran takes no one new.
    refuse_ended(data["village"], None)
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


def update_person(
    person: Person, *, actor: Actor, nik: str | None = None, **changes: Any
) -> Person:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(locked)
        before_village = locked.village_id
        for field, value in changes.items():
            if field not in PERSON_FIELDS:
                raise DomainError("bad_field", _("%(field)s cannot be changed.") % {"field": field})
            setattr(locked, field, value)
        _check_person({f: getattr(locked, f) for f in PERSON_FIELDS})
        if locked.village_id != before_village:  # nobody moves into an ended village
            refuse_ended(locked.village, None)
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
    actor: Actor,
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
    # An organisation serves its area today, whenever it was founded: not an ended village.
    refuse_ended(territory, None)
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
    actor: Actor,
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
    # A membership is dated by its start: an organisation whose village a pemekaran ended keeps
    # the members who joined before the end, and takes none from that day on. Said first: a
    # resident of a village that replaced it lives outside its area only because of the end.
    try:
        refuse_ended(organisation.territory, started_on)
    except DomainError as exc:
        told = _(
            "%(organisation)s takes no member who joins from that day on: date the membership "
            "before it, or add %(person)s to an organisation of the village where they live now."
        ) % {"organisation": organisation.name, "person": person.full_name}
        raise DomainError(exc.code, f"{exc.message} {told}", **exc.params) from exc
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


def end_membership(membership: Membership, *, actor: Actor, ended_on: datetime.date) -> Membership:
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
    actor: Actor,
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
    refuse_ended(territory, signed_on)  # an ended village keeps the agreements signed before
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
            created_by=signed_in(actor),
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
    actor: Actor,
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


def import_date(
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
    try:
        parsed = parse_date(value[:10])  # a date-time cell of a spreadsheet: its date
    except ValueError:
        parsed = None
    if parsed is None:  # the whole cell, as the user typed it
        raise RowError(_("%(column)s is not a date (YYYY-MM-DD): %(value)s") % {
            "column": label, "value": value})  # fmt: skip
    problem = date_out_of_range(parsed, label, earliest=earliest, days_ahead=days_ahead)
    if problem:
        raise RowError(problem)
    return parsed


def check_row_scope(code: str, actor: Actor) -> None:
    from jaga.accounts.access import in_scope
    from jaga.partners.access import territory_roles

    if actor is not None and not in_scope(actor, code, territory_roles(actor)):
        raise RowError(_("%(code)s is outside your area") % {"code": code})


def code_in_actor_scope(code: str, actor: Actor) -> bool:
    from jaga.accounts.access import in_scope
    from jaga.partners.access import territory_roles

    return actor is None or bool(in_scope(actor, code, territory_roles(actor)))


class _Territories:
    """Territories by code, each read once per import."""

    def __init__(self, level: str | None = None) -> None:
        self.level = level
        self.found: dict[str, Territory | None] = {}

    def get(self, code: str) -> Territory | None:
        if code not in self.found:
            qs = Territory.objects.filter(code=code)
            if self.level is not None:
                qs = qs.filter(level=self.level)
            self.found[code] = qs.first()
        return self.found[code]


class PeopleSpec(roundtrip.Spec[Person]):
    columns = PEOPLE_COLUMNS
    column_of = {"village": "village_code"}

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.villages = _Territories(Level.VILLAGE)
        self.seen: dict[str, int] = {}
        self.ended = EndedVillages()

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        code = row["village_code"]
        village = self.villages.get(code)
        if village is None:
            raise RowError(_("unknown village code %(code)s") % {"code": code})
        check_row_scope(code, self.actor)
        data: dict[str, Any] = {
            "full_name": row["full_name"],
            "village": village,
            "gender": row.get("gender", "").lower(),
            "birth_year": None,
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
        # A masked NIK (as exported) or an empty cell leaves the NIK as it is.
        if nik and not nik.startswith("*"):
            digits = normalise_nik(nik)
            if digits in self.seen:
                raise RowError(_("the same NIK is on line %(line)s") % {"line": self.seen[digits]})
            self.seen[digits] = line
            data["nik"] = digits
        return data

    def existing(self, keys: list[int]) -> dict[int, Person]:
        from jaga.partners.access import people_for_user

        qs = Person.objects.all() if self.actor is None else people_for_user(self.actor)
        found = qs.filter(pk__in=keys).select_related("village")
        return {p.pk: p for p in found if code_in_actor_scope(p.village.code, self.actor)}

    def current(self, obj: Person, data: dict[str, Any]) -> dict[str, Any]:
        out = {f: getattr(obj, f) for f in data if f != "nik"}
        if "nik" in data:
            out["nik"] = data["nik"] if obj.nik_hash == nik_hash(data["nik"]) else obj.nik_masked
        return out

    def show(self, field: str, value: Any) -> str:
        if field == "nik" and value and not str(value).startswith("*"):
            return "************" + str(value)[-4:]  # the preview never shows a whole NIK
        return roundtrip.display(value)

    def label(self, data: dict[str, Any], obj: Person | None) -> str:
        return str(data.get("full_name") or obj)

    def check(self, rows: list[tuple[int, dict[str, Any], Person | None]]) -> list[dict[str, Any]]:
        hashes = {
            nik_hash(d["nik"]): (line, o.pk if o is not None else None)
            for line, d, o in rows
            if d.get("nik")
        }
        taken = Person.objects.filter(nik_hash__in=hashes).values_list("nik_hash", "pk")
        errors = [
            {"line": hashes[h][0], "error": _("a person with this NIK is already registered")}
            for h, pk in taken
            if h and hashes[h][1] != pk
        ]
        # A roster has no date: a village ended by a pemekaran takes no one new or moved there.
        errors += self.ended.refused(rows, dated_by=None)
        return sorted(errors, key=lambda e: e["line"])

    def create(self, data: dict[str, Any]) -> None:
        create_person(actor=self.actor, **data)

    def update(self, obj: Person, changes: dict[str, Any]) -> None:
        nik = changes.pop("nik", None)
        update_person(obj, actor=self.actor, nik=nik, **changes)


def import_people(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    """Add the rows without an id and update the people whose id a row carries (round trip)."""
    return roundtrip.run(source, PeopleSpec(actor), name=name, dry_run=dry_run, expect=expect)


ORG_FIELDS = ["kind", "name", "local_name", "territory", "parent", "founded_on"]


def _check_organisation(kind: str, name: str, territory: Territory) -> None:
    if kind not in OrgKind.values:
        raise DomainError("bad_kind", _("Unknown organisation kind %(kind)s.") % {"kind": kind})
    if not name.strip():
        raise DomainError("name_required", _("The name is required."))
    if kind == OrgKind.POKDAR and territory.level not in (Level.DISTRICT, Level.REGENCY):
        raise DomainError(
            "pokdar_area", _("A Pokdar Kamtibmas unit serves a kecamatan (or the regency).")
        )


def update_organisation(org: Organisation, *, actor: Actor, **changes: Any) -> Organisation:
    """Change an organisation's kind, names, area, parent or founding date (audited)."""
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().select_related("territory").get(pk=org.pk)
        before = snapshot(locked)
        before_territory = locked.territory_id
        for field_name, value in changes.items():
            if field_name not in ORG_FIELDS:
                raise DomainError(
                    "bad_field", _("%(field)s cannot be changed.") % {"field": field_name}
                )
            setattr(locked, field_name, value.strip() if isinstance(value, str) else value)
        _check_organisation(locked.kind, locked.name, locked.territory)
        if locked.territory_id != before_territory:  # no organisation moves into an ended village
            refuse_ended(locked.territory, None)
        parent = locked.parent
        while parent is not None:  # an organisation cannot be inside itself
            if parent.pk == locked.pk:
                raise DomainError("bad_parent", _("An organisation cannot be part of itself."))
            parent = parent.parent
        locked.save()
        log_action(
            "partners.organisation_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.territory.code,
        )
    return locked


class OrganisationSpec(roundtrip.Spec[Organisation]):
    columns = ORG_COLUMNS
    column_of = {"territory": "territory_code", "parent": "parent_id"}

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.territories = _Territories()
        self.ended = EndedVillages()

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        if row["kind"] not in OrgKind.values:
            raise RowError(_("unknown kind %(kind)s") % {"kind": row["kind"]})
        if not row["name"]:
            raise RowError(_("the name is required"))
        territory = self.territories.get(row["territory_code"])
        if territory is None:
            raise RowError(_("unknown territory code %(code)s") % {"code": row["territory_code"]})
        check_row_scope(territory.code, self.actor)
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
            "founded_on": import_date(
                row.get("founded_on", ""),
                "founded_on",
                required=False,
                earliest=datetime.date(1800, 1, 1),
            ),
        }

    def existing(self, keys: list[int]) -> dict[int, Organisation]:
        from jaga.partners.access import organisations_for_user

        qs = (
            Organisation.objects.all() if self.actor is None else organisations_for_user(self.actor)
        )
        found = qs.filter(pk__in=keys).select_related("territory")
        # Seeing a wider area's organisation is not editing it: its own area must be in scope.
        return {o.pk: o for o in found if code_in_actor_scope(o.territory.code, self.actor)}

    def current(self, obj: Organisation, data: dict[str, Any]) -> dict[str, Any]:
        out = {f: getattr(obj, f) for f in data if f != "parent"}
        if "parent" in data:
            out["parent"] = obj.parent_id and Organisation(pk=obj.parent_id)
        return out

    def show(self, field: str, value: Any) -> str:
        if isinstance(value, Organisation):
            return str(value.pk)
        return roundtrip.display(value)

    def label(self, data: dict[str, Any], obj: Organisation | None) -> str:
        return str(data.get("name") or obj)

    def check(
        self, rows: list[tuple[int, dict[str, Any], Organisation | None]]
    ) -> list[dict[str, Any]]:
        # An organisation serves its area today, whenever it was founded: a village ended by a
        # pemekaran takes no organisation new or moved there (as the roster of people).
        return self.ended.refused(rows, dated_by=None, field="territory")

    def create(self, data: dict[str, Any]) -> None:
        create_organisation(actor=self.actor, **data)

    def update(self, obj: Organisation, changes: dict[str, Any]) -> None:
        update_organisation(obj, actor=self.actor, **changes)


def import_organisations(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    return roundtrip.run(source, OrganisationSpec(actor), name=name, dry_run=dry_run, expect=expect)


MEMBERSHIP_FIELDS = ["person", "organisation", "role", "started_on", "ended_on"]


def update_membership(membership: Membership, *, actor: Actor, **changes: Any) -> Membership:
    """Change who, where, the role or the term of a membership (audited)."""
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("person__village", "organisation__territory")
            .get(pk=membership.pk)
        )
        before = snapshot(locked)
        for field_name, value in changes.items():
            if field_name not in MEMBERSHIP_FIELDS:
                raise DomainError(
                    "bad_field", _("%(field)s cannot be changed.") % {"field": field_name}
                )
            setattr(locked, field_name, value)
        if locked.role not in MemberRole.values:
            raise DomainError("bad_role", _("Unknown membership role %(role)s.") % {
                "role": locked.role})  # fmt: skip
        if locked.ended_on is not None and locked.ended_on < locked.started_on:
            raise DomainError(
                "membership_ends_before_start", _("A membership cannot end before it starts.")
            )
        if not locked.person.village.is_within(locked.organisation.territory.code):
            raise DomainError(
                "member_outside_area",
                _("%(person)s lives outside the area of %(organisation)s.")
                % {"person": locked.person.full_name, "organisation": locked.organisation.name},
            )
        if "organisation" in changes or "started_on" in changes:
            refuse_ended(locked.organisation.territory, locked.started_on)
        locked.save()
        log_action(
            "partners.membership_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.person.village.code,
        )
    return locked


class MembershipSpec(roundtrip.Spec[Membership]):
    columns = MEMBERSHIP_COLUMNS
    column_of = {"person": "person_id", "organisation": "organisation_id"}

    def __init__(self, actor: Actor) -> None:
        from jaga.partners.access import organisations_for_user, people_for_user

        super().__init__(actor)
        everyone = actor is None
        self.people = (Person.objects.all() if everyone else people_for_user(actor)).select_related(
            "village"
        )
        self.orgs = (
            Organisation.objects.all() if everyone else organisations_for_user(actor)
        ).select_related("territory")
        self.ended = EndedVillages()

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        person_id = row["person_id"]
        person = self.people.filter(pk=person_id).first() if person_id.isdigit() else None
        if person is None:
            raise RowError(_("unknown person %(id)s") % {"id": row["person_id"]})
        org_id = row["organisation_id"]
        org = self.orgs.filter(pk=org_id).first() if org_id.isdigit() else None
        if org is None:
            raise RowError(_("unknown organisation %(id)s") % {"id": org_id})
        role = row.get("role", "") or MemberRole.MEMBER
        if role not in MemberRole.values:
            raise RowError(_("unknown role %(role)s") % {"role": role})
        started = import_date(row["started_on"], "started_on")
        # A term of office can be known to end within the next years.
        ended = import_date(row.get("ended_on", ""), "ended_on", required=False, days_ahead=5 * 366)
        if ended is not None and started is not None and ended < started:
            raise RowError(_("the membership ends before it starts"))
        if not person.village.is_within(org.territory.code):
            raise RowError(_("the person lives outside the organisation's area"))
        return {"person": person, "organisation": org, "role": role, "started_on": started,
                "ended_on": ended}  # fmt: skip

    def existing(self, keys: list[int]) -> dict[int, Membership]:
        from jaga.partners.access import memberships_for_user

        qs = Membership.objects.all() if self.actor is None else memberships_for_user(self.actor)
        found = qs.filter(pk__in=keys).select_related("person__village", "organisation__territory")
        return {m.pk: m for m in found if code_in_actor_scope(m.person.village.code, self.actor)}

    def current(self, obj: Membership, data: dict[str, Any]) -> dict[str, Any]:
        out = {f: getattr(obj, f) for f in data if f not in ("person", "organisation")}
        if "person" in data:
            out["person"] = Person(pk=obj.person_id)
        if "organisation" in data:
            out["organisation"] = Organisation(pk=obj.organisation_id)
        return out

    def show(self, field: str, value: Any) -> str:
        if isinstance(value, Person | Organisation):
            return str(value.pk)
        return roundtrip.display(value)

    def label(self, data: dict[str, Any], obj: Membership | None) -> str:
        return f"{data['person'].full_name} · {data['organisation'].name}"

    def check(
        self, rows: list[tuple[int, dict[str, Any], Membership | None]]
    ) -> list[dict[str, Any]]:
        # Dated by its start, in the organisation's village (as `add_membership`); only rows that
        # set the organisation or the start: a membership left as it is was not made by this file.
        errors: list[dict[str, Any]] = []
        for line, data, obj in rows:
            if "organisation" not in data and "started_on" not in data:
                continue
            org = data.get("organisation") or getattr(obj, "organisation", None)
            started = data.get("started_on") or getattr(obj, "started_on", None)
            if org is not None and (problem := self.ended.problem(org.territory.code, started)):
                errors.append({"line": line, "error": problem})
        return errors

    def create(self, data: dict[str, Any]) -> None:
        add_membership(actor=self.actor, **data)

    def update(self, obj: Membership, changes: dict[str, Any]) -> None:
        update_membership(obj, actor=self.actor, **changes)


def import_memberships(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    return roundtrip.run(source, MembershipSpec(actor), name=name, dry_run=dry_run, expect=expect)
