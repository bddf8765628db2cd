"""Invitations: inviting a person or an organisation, the answer, the note, and the invitation
round trip (export, edit, import back)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core import events, roundtrip
from jaga.core.audit import log_action, snapshot
from jaga.core.codes import random_code
from jaga.core.errors import DomainError
from jaga.core.roundtrip import Plan, RowError
from jaga.core.types import Actor
from jaga.partners.models import Organisation, Person
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import Activity, AttendanceStatus, Invitation, Response
from jaga.programs.services.attendance import record_attendance
from jaga.programs.services.common import bump_attendance, lock_invitation
from jaga.territory.queries import unit_name_for


def invite(
    activity: Activity,
    *,
    actor: Actor,
    person: Person | None = None,
    organisation: Organisation | None = None,
) -> Invitation:
    """Invite a person living in the activity's area, or an organisation working in it."""
    if (person is None) == (organisation is None):
        raise DomainError("one_invitee", _("Invite either a person or an organisation."))
    with transaction.atomic():
        # The activity as it is now, locked against a correction (`update_activity`) until the
        # commit: the invitation is counted in its village and month, not in those of a copy
        # read before it was moved.
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("programme", "village", "area")
            .get(pk=activity.pk)
        )
        return _invite(activity, actor=actor, person=person, organisation=organisation)


def _invite(
    activity: Activity,
    *,
    actor: Actor,
    person: Person | None,
    organisation: Organisation | None,
) -> Invitation:
    area = activity.area
    if person is not None and not person.village.is_within(area.code):
        raise DomainError(
            "invitee_outside_scope",
            _("%(name)s lives outside the area of this activity (%(area)s).")
            % {"name": person.full_name, "area": area.name},
        )
    if organisation is not None:
        org_code = organisation.territory.code
        if not (area.is_within(org_code) or organisation.territory.is_within(area.code)):
            raise DomainError(
                "invitee_outside_scope",
                _("%(name)s works outside the area of this activity (%(area)s).")
                % {"name": organisation.name, "area": area.name},
            )
    duplicate = Invitation.objects.filter(
        activity=activity, person=person, organisation=organisation
    ).first()
    if duplicate is not None:
        return duplicate
    invitation = Invitation.objects.create(
        activity=activity,
        person=person,
        organisation=organisation,
        code=random_code(12),
        sent_at=timezone.now(),
    )
    bump_attendance(invitation, [programme_metrics.INVITED], 1)
    if person is not None and person.phone:
        transaction.on_commit(lambda: _send_invitation(invitation.pk))
    log_action(
        "programs.invited",
        invitation,
        actor=actor,
        after=snapshot(invitation, ["activity", "person", "organisation"]),
        territory_code=activity.village.code,
    )
    events.emit(
        events.INVITATION_SENT,
        territory_code=activity.village.code,
        object_type="programs.activity",
        object_id=str(activity.pk),
        data={
            "activity_id": activity.pk,
            "invitation_id": invitation.pk,
            "organisation_id": organisation.pk if organisation is not None else None,
            "person": person is not None,
            "starts_at": activity.starts_at.isoformat(),
        },
    )
    return invitation


def _send_invitation(invitation_pk: int) -> None:
    """After commit: the invitation by SMS / WhatsApp, with the check-in code."""
    from django.utils import formats

    from jaga.core.gateways import get_gateway

    inv = Invitation.objects.select_related("activity__village", "person").get(pk=invitation_pk)
    if inv.person is None or not inv.person.phone:
        return
    activity = inv.activity
    text = _(
        "Invitation from %(unit)s: %(title)s, %(when)s at %(place)s. "
        "Show the code %(code)s at the door; send a representative with it if you cannot come."
    ) % {
        "unit": unit_name_for(activity.village.code),
        "title": activity.title,
        "when": formats.date_format(timezone.localtime(activity.starts_at), "j M Y H:i"),
        "place": activity.place or activity.village.name,
        "code": inv.code,
    }
    get_gateway().send(inv.person.phone, text)


def record_response(invitation: Invitation, *, actor: Actor, response: str) -> Invitation:
    if response not in (Response.ACCEPTED, Response.DECLINED):
        raise DomainError("bad_response", _("The answer is accepted or declined."))
    with transaction.atomic():
        locked = lock_invitation(invitation.pk)
        before = locked.response
        if before == Response.PENDING:
            bump_attendance(locked, [programme_metrics.RESPONDED], 1)
            locked.responded_at = timezone.now()
        locked.response = response
        locked.save(update_fields=["response", "responded_at"])
        log_action(
            "programs.responded",
            locked,
            actor=actor,
            before={"response": before},
            after={"response": response},
            territory_code=locked.activity.village.code,
        )
    return locked


def set_invitation_note(invitation: Invitation, *, actor: Actor, note: str) -> Invitation:
    """Change (or clear) an invitation's note."""
    with transaction.atomic():
        locked = lock_invitation(invitation.pk)
        before = locked.note
        if before == note:
            return locked
        locked.note = note
        locked.save(update_fields=["note"])
        log_action(
            "programs.invitation_note",
            locked,
            actor=actor,
            before={"note": before},
            after={"note": note},
            territory_code=locked.activity.village.code,
        )
    return locked


# --- the invitation round trip ---------------------------------------------------------------

INVITATION_COLUMNS = ["activity_id", "person_id", "organisation_id"]
INVITATION_EXPORT = [
    "id", "activity_id", "person_id", "organisation_id", "invitee", "response", "status",
    "representative_name", "note", "checked_in_at",
]  # fmt: skip
#: The fields an existing invitation's row may not change: who is invited to what.
INVITEE_FIELDS = ("activity_id", "person_id", "organisation_id")


def _whole(value: str, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise RowError(_("%(column)s must be a whole number") % {"column": column})
    return int(value)


class InvitationSpec(roundtrip.Spec[Invitation]):
    """Invitations of one activity (the page) or of any activity in scope (the command line).

    A row with an id may change the answer, the attendance (through the same transitions as the
    desk and the paper list), the representative and the note; who is invited to what stays.
    A row without an id invites its person or organisation through `invite`, as the page does.
    """

    columns = INVITATION_COLUMNS

    def __init__(self, actor: Actor, activity: Activity | None = None) -> None:
        super().__init__(actor)
        self.activity = activity
        self.activities: dict[int, Activity | None] = {}
        self.people: dict[int, Person | None] = {}
        self.organisations: dict[int, Organisation | None] = {}

    # look-ups in the importer's scope, each id read once
    def _activity(self, pk: int) -> Activity | None:
        if pk not in self.activities:
            from jaga.partners.services import code_in_actor_scope
            from jaga.programs.access import activities_for_user

            qs = Activity.objects.all() if self.actor is None else activities_for_user(self.actor)
            found = qs.select_related("programme", "village", "area").filter(pk=pk).first()
            ok = found is not None and code_in_actor_scope(found.village.code, self.actor)
            self.activities[pk] = found if ok else None
        return self.activities[pk]

    def _person(self, pk: int) -> Person | None:
        if pk not in self.people:
            from jaga.partners.access import people_for_user

            qs = Person.objects.all() if self.actor is None else people_for_user(self.actor)
            self.people[pk] = qs.select_related("village").filter(pk=pk).first()
        return self.people[pk]

    def _organisation(self, pk: int) -> Organisation | None:
        if pk not in self.organisations:
            from jaga.partners.access import organisations_for_user

            qs = (
                Organisation.objects.all()
                if self.actor is None
                else organisations_for_user(self.actor)
            )
            self.organisations[pk] = qs.select_related("territory").filter(pk=pk).first()
        return self.organisations[pk]

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        activity_id = _whole(row["activity_id"], "activity_id")
        if self.activity is not None:
            if activity_id is not None and activity_id != self.activity.pk:
                raise RowError(
                    _("the row is for another activity (%(id)s) than this page's")
                    % {"id": activity_id}
                )
            activity_id = self.activity.pk
        elif activity_id is None:
            raise RowError(_("%(column)s is required") % {"column": "activity_id"})
        person_id = _whole(row["person_id"], "person_id")
        organisation_id = _whole(row["organisation_id"], "organisation_id")
        if (person_id is None) == (organisation_id is None):
            raise RowError(_("give either a person_id or an organisation_id"))
        data: dict[str, Any] = {
            "activity_id": activity_id,
            "person_id": person_id,
            "organisation_id": organisation_id,
        }
        if "response" in row:
            response = row["response"].strip().lower() or Response.PENDING
            if response not in Response.values:
                raise RowError(
                    _("unknown response %(value)s (%(choices)s)")
                    % {"value": row["response"], "choices": ", ".join(Response.values)}
                )
            data["response"] = response
        if "status" in row:
            status = row["status"].strip().lower() or AttendanceStatus.PENDING
            if status not in AttendanceStatus.values:
                raise RowError(
                    _("unknown attendance status %(value)s (%(choices)s)")
                    % {"value": row["status"], "choices": ", ".join(AttendanceStatus.values)}
                )
            data["status"] = status
        if "representative_name" in row:
            name = row["representative_name"].strip()
            if len(name) > 150:
                raise RowError(_("the representative's name is longer than 150 characters"))
            data["representative_name"] = name
        if "note" in row:
            note = row["note"].strip()
            if len(note) > 200:
                raise RowError(_("the note is longer than 200 characters"))
            data["note"] = note
        return data

    def existing(self, keys: list[int]) -> dict[int, Invitation]:
        from jaga.partners.services import code_in_actor_scope
        from jaga.programs.access import invitations_for_user

        qs = Invitation.objects.all() if self.actor is None else invitations_for_user(self.actor)
        if self.activity is not None:
            qs = qs.filter(activity=self.activity)
        found = qs.filter(pk__in=keys).select_related(
            "activity__programme", "activity__village", "person", "organisation"
        )
        # Seeing an invitation (as the invitee's side) is not editing it.
        return {i.pk: i for i in found if code_in_actor_scope(i.activity.village.code, self.actor)}

    def show(self, field: str, value: Any) -> str:
        if field == "response" and value:
            return str(Response(value).label)
        if field == "status" and value:
            return str(AttendanceStatus(value).label)
        return roundtrip.display(value)

    def label(self, data: dict[str, Any], obj: Invitation | None) -> str:
        if obj is not None:
            return obj.invitee_name
        if data.get("person_id"):
            person = self._person(data["person_id"])
            return person.full_name if person else f"person_id {data['person_id']}"
        org = self._organisation(data.get("organisation_id") or 0)
        return org.name if org else f"organisation_id {data.get('organisation_id')}"

    def check(
        self, rows: list[tuple[int, dict[str, Any], Invitation | None]]
    ) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        invitees: dict[tuple[int, int | None, int | None], int] = {}
        for line, data, obj in rows:
            problem = self._problem(data, obj, invitees, line)
            if problem:
                errors.append({"line": line, "error": problem})
        return errors

    def _problem(
        self,
        data: dict[str, Any],
        obj: Invitation | None,
        invitees: dict[tuple[int, int | None, int | None], int],
        line: int,
    ) -> str:
        if obj is not None:
            if any(f in data for f in INVITEE_FIELDS):
                return _(
                    "the activity and the invitee of an invitation cannot be changed: "
                    "add a row without an id instead"
                )
            status = data.get("status", obj.status)
            name = data.get("representative_name", obj.representative_name)
        else:
            status = data.get("status", AttendanceStatus.PENDING)
            name = data.get("representative_name", "")
            activity = self._activity(data["activity_id"])
            if activity is None:
                return _(
                    "activity %(id)s is not an activity you may change (unknown, or outside "
                    "your area)"
                ) % {"id": data["activity_id"]}
            if data["person_id"] is not None and self._person(data["person_id"]) is None:
                return _("unknown person_id %(id)s (or outside your area)") % {
                    "id": data["person_id"]
                }
            if (
                data["organisation_id"] is not None
                and self._organisation(data["organisation_id"]) is None
            ):
                return _("unknown organisation_id %(id)s (or outside your area)") % {
                    "id": data["organisation_id"]
                }
            key = (activity.pk, data["person_id"], data["organisation_id"])
            if key in invitees:
                return _("the same invitee is on line %(line)s") % {"line": invitees[key]}
            invitees[key] = line
            already = Invitation.objects.filter(
                activity=activity,
                person_id=data["person_id"],
                organisation_id=data["organisation_id"],
            ).first()
            if already is not None:
                return _("already invited to this activity (id %(id)s)") % {"id": already.pk}
        if name and status != AttendanceStatus.REPRESENTED:
            return _("a representative is given only when the attendance is represented")
        if status == AttendanceStatus.REPRESENTED and not name:
            return _("say who came as the representative")
        if obj is not None and data.get("status") == AttendanceStatus.PENDING:
            return _("attendance cannot go back to pending")
        if obj is not None and data.get("response") == Response.PENDING:
            return _("an answer cannot go back to no answer")
        return ""

    def create(self, data: dict[str, Any]) -> None:
        activity = self._activity(data["activity_id"])
        assert activity is not None  # checked
        person = self._person(data["person_id"]) if data["person_id"] else None
        org = self._organisation(data["organisation_id"]) if data["organisation_id"] else None
        invitation = invite(activity, actor=self.actor, person=person, organisation=org)
        rest = {
            f: v
            for f, v in data.items()
            if f not in INVITEE_FIELDS and v not in ("", Response.PENDING, AttendanceStatus.PENDING)
        }
        if rest:
            self.update(invitation, rest)

    def update(self, obj: Invitation, changes: dict[str, Any]) -> None:
        if "response" in changes:
            record_response(obj, actor=self.actor, response=changes["response"])
        if "status" in changes or "representative_name" in changes:
            status = changes.get("status") or obj.status
            record_attendance(
                obj,
                actor=self.actor,
                status=status,
                representative_name=changes.get("representative_name", obj.representative_name),
            )
        if "note" in changes:
            set_invitation_note(obj, actor=self.actor, note=changes["note"])


def import_invitations(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    activity: Activity | None = None,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    """Add the rows without an id (through `invite`) and update the invitations whose id a row
    carries; with `activity`, only that activity's invitations."""
    spec = InvitationSpec(actor, activity)
    return roundtrip.run(source, spec, name=name, dry_run=dry_run, expect=expect)
