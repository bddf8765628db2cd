"""Every change to programmes, activities, invitations and attendance.

Roll-ups (jaga.analytics MonthlyMetric, key = programme code) move in the same transaction:
activities.count (each village covered), activities.head_count (the village where it was held),
attendance.invited / responded / attended / on_time / late / represented / absent / excused
(the village where it was held, the month it started).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jaga.analytics.rollups import bump_metric, bump_metrics
from jaga.core import events, roundtrip
from jaga.core.audit import log_action, snapshot
from jaga.core.codes import random_code
from jaga.core.errors import DomainError, ErrorList
from jaga.core.images import clean_file
from jaga.core.months import month_start
from jaga.core.roundtrip import Plan, RowError
from jaga.core.tabular import date_out_of_range
from jaga.core.types import Actor, signed_in
from jaga.partners.importing import fail_rows, run_import
from jaga.partners.models import Organisation, Person
from jaga.partners.services import check_row_scope, import_date
from jaga.programs.models import (
    CHECKIN_CLOSES_DEFAULT,
    CHECKIN_MAX_MINUTES,
    CHECKIN_OPENS_DEFAULT,
    Activity,
    ActivityKind,
    AttendanceStatus,
    Invitation,
    Programme,
    ProgrammeAdoption,
    Response,
)
from jaga.territory.models import Level, Territory
from jaga.territory.queries import unit_name_for

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")

# Which roll-up figures an attendance status counts in.
STATUS_METRICS: dict[str, tuple[str, ...]] = {
    AttendanceStatus.PENDING: (),
    AttendanceStatus.PRESENT: ("attendance.attended", "attendance.on_time"),
    AttendanceStatus.LATE: ("attendance.attended", "attendance.late"),
    AttendanceStatus.REPRESENTED: ("attendance.represented",),
    AttendanceStatus.ABSENT: ("attendance.absent",),
    AttendanceStatus.EXCUSED: ("attendance.excused",),
}

# The attendance workflow: which recorded status may become which (corrections by hand included).
TRANSITIONS: dict[str, set[str]] = {
    AttendanceStatus.PENDING: {
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.REPRESENTED,
        AttendanceStatus.ABSENT,
        AttendanceStatus.EXCUSED,
    },
    AttendanceStatus.ABSENT: {
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.REPRESENTED,
        AttendanceStatus.EXCUSED,
    },
    AttendanceStatus.EXCUSED: {
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.REPRESENTED,
        AttendanceStatus.ABSENT,
    },
    AttendanceStatus.PRESENT: {
        AttendanceStatus.LATE,
        AttendanceStatus.REPRESENTED,
        AttendanceStatus.ABSENT,
    },
    AttendanceStatus.LATE: {
        AttendanceStatus.PRESENT,
        AttendanceStatus.REPRESENTED,
        AttendanceStatus.ABSENT,
    },
    AttendanceStatus.REPRESENTED: {
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.ABSENT,
    },
}


Progress = Callable[[int], None]


# --- programmes ----------------------------------------------------------------------------


def create_programme(
    *,
    actor: Actor,
    code: str,
    name: str,
    goal: str = "",
    lead_unit: str = "",
    started_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    indicators: str = "",
    partners: Iterable[Organisation] = (),
) -> Programme:
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise DomainError(
            "bad_code",
            _("A programme code is 2–20 capital letters, digits or _, starting with a letter."),
        )
    if started_on and ended_on and ended_on < started_on:
        raise DomainError("ends_before_start", _("A programme cannot end before it starts."))
    with transaction.atomic():
        if Programme.objects.filter(code=code).exists():
            raise DomainError(
                "code_taken", _("The programme code %(code)s is taken.") % {"code": code}
            )
        programme = Programme.objects.create(
            code=code,
            name=name.strip(),
            goal=goal,
            lead_unit=lead_unit,
            started_on=started_on,
            ended_on=ended_on,
            indicators=indicators,
        )
        programme.partners.set(list(partners))
        log_action("programs.programme_created", programme, actor=actor, after=snapshot(programme))
    return programme


def adopt_programme(
    *, actor: Actor, programme: Programme, village: Territory, adopted_on: datetime.date
) -> ProgrammeAdoption:
    """A village adopts a programme on a date (the date drives the evaluation)."""
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Programmes are adopted by villages."))
    if adopted_on > timezone.localdate():
        raise DomainError("future_date", _("An adoption date cannot be in the future."))
    with transaction.atomic():
        existing = ProgrammeAdoption.objects.filter(programme=programme, village=village).first()
        if existing is not None:
            raise DomainError(
                "already_adopted",
                _("%(village)s adopted %(programme)s on %(date)s already.")
                % {
                    "village": village.name,
                    "programme": programme.code,
                    "date": existing.adopted_on,
                },
            )
        adoption = ProgrammeAdoption.objects.create(
            programme=programme, village=village, adopted_on=adopted_on
        )
        log_action(
            "programs.adopted",
            adoption,
            actor=actor,
            after=snapshot(adoption),
            territory_code=village.code,
        )
    return adoption


ADOPTION_COLUMNS = ["programme_code", "village_code", "adopted_on"]


def import_adoptions(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Import adoptions (programme_code, village_code, adopted_on): streaming, all-or-nothing.

    A row that repeats an adoption already recorded with the same date is accepted and changes
    nothing (re-importing a file is safe); with another date it is an error.
    Returns the number of new adoptions.
    """
    programmes = dict(Programme.objects.values_list("code", "pk"))
    villages = dict(Territory.objects.filter(level=Level.VILLAGE).values_list("code", "pk"))
    existing = {
        (p, v): d
        for p, v, d in ProgrammeAdoption.objects.values_list(
            "programme_id", "village_id", "adopted_on"
        )
    }
    seen: dict[tuple[int, int], int] = {}
    today = timezone.localdate()

    def parse(line: int, row: dict[str, str]) -> tuple[int, int, datetime.date, str] | None:
        code = row["programme_code"].upper()
        if code not in programmes:
            raise RowError(_("unknown programme code %(code)s") % {"code": row["programme_code"]})
        if row["village_code"] not in villages:
            raise RowError(_("unknown village code %(code)s") % {"code": row["village_code"]})
        check_row_scope(row["village_code"], actor)
        adopted = import_date(row["adopted_on"], "adopted_on")
        assert adopted is not None
        if adopted > today:
            raise RowError(_("adopted_on lies in the future"))
        key = (programmes[code], villages[row["village_code"]])
        if key in seen:
            raise RowError(_("the same adoption is on line %(line)s") % {"line": seen[key]})
        seen[key] = line
        if key in existing:
            if existing[key] != adopted:
                raise RowError(
                    _("the village adopted the programme on %(date)s already")
                    % {"date": existing[key]}
                )
            return None
        return (*key, adopted, row["village_code"])

    def write(rows: list[tuple[int, tuple[int, int, datetime.date, str] | None]]) -> int:
        new = [r for _line, r in rows if r is not None]
        created = ProgrammeAdoption.objects.bulk_create(
            [ProgrammeAdoption(programme_id=p, village_id=v, adopted_on=d) for p, v, d, _c in new],
            batch_size=1000,
        )
        for adoption, (_p, _v, _d, code) in zip(created, new, strict=True):
            log_action(
                "programs.adopted",
                adoption,
                actor=actor,
                after={
                    "programme": adoption.programme_id,
                    "village": code,
                    "adopted_on": adoption.adopted_on,
                },  # fmt: skip
                territory_code=code,
                note="import",
            )
        return len(new)

    return run_import(
        source, name=name, columns=ADOPTION_COLUMNS, parse=parse, write=write, progress=progress
    )


# --- activities ----------------------------------------------------------------------------


def _check_area(village: Territory, area: Territory) -> None:
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("An activity is held in a village."))
    if not village.is_within(area.code) and not area.is_within(village.code):
        raise DomainError(
            "village_outside_area",
            _("The village %(village)s lies outside the area served, %(area)s.")
            % {"village": village.name, "area": area.name},
        )


def record_activity(
    *,
    actor: Actor,
    programme: Programme,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    village: Territory,
    area: Territory | None = None,
    ends_at: datetime.datetime | None = None,
    villages: Iterable[Territory] = (),
    organisers: Iterable[Organisation] = (),
    partners: Iterable[Organisation] = (),
    organiser_unit: str = "",
    head_count: int | None = None,
    grace_minutes: int = 15,
    checkin_opens_minutes: int = CHECKIN_OPENS_DEFAULT,
    checkin_closes_minutes: int = CHECKIN_CLOSES_DEFAULT,
    place: str = "",
    outcome: str = "",
) -> Activity:
    """Log an activity; counts it in the roll-ups of every village it covers."""
    if kind not in ActivityKind.values:
        raise DomainError("bad_kind", _("Unknown activity kind %(kind)s.") % {"kind": kind})
    if not title.strip():
        raise DomainError("title_required", _("The title is required."))
    if ends_at is not None and ends_at < starts_at:
        raise DomainError("ends_before_start", _("An activity cannot end before it starts."))
    if head_count is not None and head_count < 0:
        raise DomainError("bad_head_count", _("The head count cannot be negative."))
    if not 0 <= grace_minutes <= 240:
        raise DomainError("bad_grace", _("The grace period is between 0 and 240 minutes."))
    for minutes in (checkin_opens_minutes, checkin_closes_minutes):
        if not 0 <= minutes <= CHECKIN_MAX_MINUTES:
            raise DomainError(
                "bad_checkin_window",
                _("The check-in window is between 0 and %(max)s minutes before and after.")
                % {"max": CHECKIN_MAX_MINUTES},
            )
    area = area or village
    _check_area(village, area)
    covered = {v.pk: v for v in villages}
    covered[village.pk] = village
    for v in covered.values():
        if v.level != Level.VILLAGE or not v.is_within(area.code):
            raise DomainError(
                "village_outside_area",
                _("The village %(village)s lies outside the area served, %(area)s.")
                % {"village": v.name, "area": area.name},
            )
    with transaction.atomic():
        activity = Activity.objects.create(
            programme=programme,
            kind=kind,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            village=village,
            area=area,
            regency_code=village.regency_code,
            district_code=village.district_code,
            organiser_unit=organiser_unit,
            head_count=head_count,
            grace_minutes=grace_minutes,
            checkin_opens_minutes=checkin_opens_minutes,
            checkin_closes_minutes=checkin_closes_minutes,
            place=place,
            outcome=outcome,
            created_by=signed_in(actor),
        )
        activity.villages.set(list(covered.values()))
        activity.organisers.set(list(organisers))
        activity.partners.set(list(partners))
        for v in covered.values():
            bump_metric(v, starts_at, "activities.count", 1, key=programme.code)
        if head_count:
            bump_metric(village, starts_at, "activities.head_count", head_count, key=programme.code)
        log_action(
            "programs.activity_recorded",
            activity,
            actor=actor,
            after=snapshot(activity),
            territory_code=village.code,
        )
    return activity


def record_outcome(
    activity: Activity, *, actor: Actor, outcome: str, head_count: int | None
) -> Activity:
    """Write the outcome notes and the head count after the event (roll-up moves by the delta)."""
    if head_count is not None and head_count < 0:
        raise DomainError("bad_head_count", _("The head count cannot be negative."))
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update()
            .select_related("programme", "village")
            .get(pk=activity.pk)
        )
        before = snapshot(locked, ["outcome", "head_count"])
        delta = (head_count or 0) - (locked.head_count or 0)
        locked.outcome, locked.head_count = outcome, head_count
        locked.save(update_fields=["outcome", "head_count"])
        if delta:
            bump_metric(
                locked.village, locked.starts_at, "activities.head_count", delta,
                key=locked.programme.code,
            )  # fmt: skip
        log_action(
            "programs.activity_outcome",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, ["outcome", "head_count"]),
            territory_code=locked.village.code,
        )
    return locked


# --- invitations and attendance ------------------------------------------------------------


def _bump_attendance(inv: Invitation, metrics: Iterable[str], delta: int) -> None:
    activity = inv.activity
    bump_metrics(activity.village, activity.starts_at, metrics, delta, key=activity.programme.code)


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
    with transaction.atomic():
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
        _bump_attendance(invitation, ["attendance.invited"], 1)
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


def _locked(invitation_pk: int) -> Invitation:
    return (
        Invitation.objects.select_for_update()
        .select_related("activity__programme", "activity__village")
        .get(pk=invitation_pk)
    )


def record_response(invitation: Invitation, *, actor: Actor, response: str) -> Invitation:
    if response not in (Response.ACCEPTED, Response.DECLINED):
        raise DomainError("bad_response", _("The answer is accepted or declined."))
    with transaction.atomic():
        locked = _locked(invitation.pk)
        before = locked.response
        if before == Response.PENDING:
            _bump_attendance(locked, ["attendance.responded"], 1)
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


def _move(
    locked: Invitation,
    status: str,
    *,
    actor: Actor,
    checked_in_at: datetime.datetime | None = None,
    representative_name: str = "",
    representative: Person | None = None,
    note: str = "",
    action: str = "programs.attendance",
) -> Invitation:
    old = locked.status
    if status == old and status != AttendanceStatus.REPRESENTED:
        return locked
    if status != old and status not in TRANSITIONS[old]:
        raise DomainError(
            "illegal_transition",
            _("Attendance cannot go from %(old)s to %(new)s.")
            % {"old": AttendanceStatus(old).label, "new": AttendanceStatus(status).label},
        )
    if status == AttendanceStatus.REPRESENTED and not (
        representative_name.strip() or representative
    ):
        raise DomainError("representative_required", _("Say who came as the representative."))
    before = snapshot(locked, ["status", "checked_in_at", "representative_name"])
    locked.status = status
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.REPRESENTED):
        locked.checked_in_at = checked_in_at or locked.checked_in_at or locked.activity.starts_at
    else:
        locked.checked_in_at = None
    if status == AttendanceStatus.REPRESENTED:
        locked.representative = representative
        locked.representative_name = (
            representative.full_name if representative else representative_name.strip()
        )
    else:
        locked.representative, locked.representative_name = None, ""
    if note:
        locked.note = note
    locked.save(
        update_fields=["status", "checked_in_at", "representative", "representative_name", "note"]
    )
    # The roll-up rows are shared by every invitation of the activity: take their locks last,
    # just before the audit row, so concurrent check-ins wait on them as briefly as possible.
    _bump_attendance(locked, STATUS_METRICS[old], -1)
    _bump_attendance(locked, STATUS_METRICS[status], 1)
    log_action(
        action,
        locked,
        actor=actor,
        before=before,
        after=snapshot(locked, ["status", "checked_in_at", "representative_name"]),
        territory_code=locked.activity.village.code,
    )
    return locked


def is_late(activity: Activity, moment: datetime.datetime) -> bool:
    return moment > activity.starts_at + datetime.timedelta(minutes=activity.grace_minutes)


def checkin_window(activity: Activity) -> tuple[datetime.datetime, datetime.datetime]:
    """When QR check-in opens and closes: the activity's minutes before its start and after its
    end (its start when it has no end)."""
    opens = activity.starts_at - datetime.timedelta(minutes=activity.checkin_opens_minutes)
    end = activity.ends_at or activity.starts_at
    return opens, end + datetime.timedelta(minutes=activity.checkin_closes_minutes)


def check_in(
    code: str,
    *,
    actor: Actor,
    activity: Activity | None = None,
    at: datetime.datetime | None = None,
    representative_name: str = "",
) -> tuple[Invitation, bool]:
    """Check in by the invitation's QR code. Idempotent: a second scan records nothing new.

    Returns (invitation, already): `already` is True when the arrival was recorded before.
    Present or late follows from the time against the start plus the organiser's grace period.
    """
    at = at or timezone.now()
    code = code.strip().upper()
    with transaction.atomic():
        # One query finds the invitation by its code and locks it (one check-in per invitation:
        # a second scan waits here, then sees the first one's status); the invitee comes along
        # for the answer.
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("activity__programme", "activity__village", "person", "organisation")
            .filter(code=code)
            .first()
        )
        if locked is None:
            raise DomainError("unknown_code", _("This check-in code is not known."))
        if activity is not None and locked.activity_id != activity.pk:
            raise DomainError(
                "wrong_activity", _("This check-in code belongs to another activity.")
            )
        if locked.status in (
            AttendanceStatus.PRESENT,
            AttendanceStatus.LATE,
            AttendanceStatus.REPRESENTED,
        ):
            return locked, True
        opens, closes = checkin_window(locked.activity)
        if at < opens:
            raise DomainError(
                "checkin_not_open",
                _("Check-in opens at %(time)s, %(minutes)s minutes before the start.")
                % {
                    "time": formats.date_format(timezone.localtime(opens), "j M Y H:i"),
                    "minutes": locked.activity.checkin_opens_minutes,
                },
            )
        if at > closes:
            raise DomainError(
                "checkin_closed",
                _(
                    "Check-in by code closed at %(time)s; record attendance by hand from the "
                    "paper list."
                )
                % {"time": formats.date_format(timezone.localtime(closes), "j M Y H:i")},
            )
        if representative_name.strip():
            status = AttendanceStatus.REPRESENTED
        else:
            status = (
                AttendanceStatus.LATE if is_late(locked.activity, at) else AttendanceStatus.PRESENT
            )
        _move(
            locked,
            status,
            actor=actor,
            checked_in_at=at,
            representative_name=representative_name,
            action="programs.checked_in",
        )
    return locked, False


def record_attendance(
    invitation: Invitation,
    *,
    actor: Actor,
    status: str,
    checked_in_at: datetime.datetime | None = None,
    representative_name: str = "",
    representative: Person | None = None,
    note: str = "",
) -> Invitation:
    """Record attendance by hand (from the paper list). Present vs late follows the time when
    one is given."""
    if status not in AttendanceStatus.values or status == AttendanceStatus.PENDING:
        raise DomainError("bad_status", _("Unknown attendance status %(status)s.") % {
            "status": status})  # fmt: skip
    with transaction.atomic():
        locked = _locked(invitation.pk)
        if (
            status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
            and checked_in_at is not None
        ):
            status = (
                AttendanceStatus.LATE
                if is_late(locked.activity, checked_in_at)
                else AttendanceStatus.PRESENT
            )
        return _move(
            locked,
            status,
            actor=actor,
            checked_in_at=checked_in_at,
            representative_name=representative_name,
            representative=representative,
            note=note,
        )


def record_attendance_sheet(activity: Activity, *, actor: Actor, rows: list[dict[str, Any]]) -> int:
    """Record a whole paper list at once: every row or none. Rows: {"invitation", "status",
    "representative_name"?, "checked_in_at"?}. Returns the number of rows changed."""
    errors = ErrorList()
    changed = 0
    with transaction.atomic():
        for index, row in enumerate(rows, start=1):
            inv = row["invitation"]
            if inv.activity_id != activity.pk:
                errors.append({"line": index, "error": _("not an invitation to this activity")})
                continue
            if row["status"] == inv.status and row["status"] != AttendanceStatus.REPRESENTED:
                continue
            try:
                record_attendance(
                    inv,
                    actor=actor,
                    status=row["status"],
                    representative_name=row.get("representative_name", ""),
                    checked_in_at=row.get("checked_in_at"),
                )
                changed += 1
            except DomainError as exc:
                errors.append({"line": index, "error": f"{inv.invitee_name}: {exc.message}"})
        if errors:
            transaction.set_rollback(True)
            fail_rows(errors)
    return changed


def close_attendance(activity: Activity, *, actor: Actor) -> int:
    """After the event: every invitee with nothing recorded is absent. Returns how many."""
    with transaction.atomic():
        pending = list(
            Invitation.objects.select_for_update()
            .filter(activity=activity, status=AttendanceStatus.PENDING)
            .select_related("activity__programme", "activity__village")
        )
        for inv in pending:
            _move(inv, AttendanceStatus.ABSENT, actor=actor)
    return len(pending)


# --- activity import -----------------------------------------------------------------------

ACTIVITY_COLUMNS = ["programme_code", "kind", "title", "starts_at", "village_code"]
ACTIVITY_EXPORT = [
    "id", "programme_code", "kind", "title", "starts_at", "ends_at", "village_code", "area_code",
    "place", "head_count", "grace_minutes", "outcome",
]  # fmt: skip


def _datetime(value: str, label: str, required: bool = True) -> datetime.datetime | None:
    if not value:
        if required:
            raise RowError(_("%(column)s is required") % {"column": label})
        return None
    try:
        parsed = parse_datetime(value.replace("T", " "))
    except ValueError:
        parsed = None
    if parsed is None:
        # Activities are planned ahead: up to a year from today.
        day = import_date(value, label, days_ahead=366)
        assert day is not None
        parsed = datetime.datetime.combine(day, datetime.time(8, 0))
    else:
        problem = date_out_of_range(parsed.date(), label, days_ahead=366)
        if problem:
            raise RowError(problem)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


ACTIVITY_FIELDS = [
    "programme", "kind", "title", "starts_at", "ends_at", "village", "area", "place",
    "head_count", "grace_minutes", "outcome",
]  # fmt: skip
Contribution = dict[tuple[int, datetime.date, str, str], int]


def _contributions(activity: Activity) -> tuple[Contribution, dict[int, Territory]]:
    """What an activity adds to the monthly figures (as `rollup_sources` recounts it)."""
    from django.db.models import Count

    month = month_start(activity.starts_at)
    code = activity.programme.code
    out: Contribution = {}
    villages = {v.pk: v for v in activity.villages.all()}
    villages[activity.village.pk] = activity.village

    def add(village_id: int, metric: str, value: int) -> None:
        if value:
            key = (village_id, month, metric, code)
            out[key] = out.get(key, 0) + value

    for pk in activity.villages.values_list("pk", flat=True):
        add(pk, "activities.count", 1)
    add(activity.village.pk, "activities.head_count", activity.head_count or 0)
    invitations = Invitation.objects.filter(activity=activity)
    add(activity.village.pk, "attendance.invited", invitations.count())
    add(
        activity.village.pk,
        "attendance.responded",
        invitations.exclude(response=Response.PENDING).count(),
    )
    for row in invitations.values("status").annotate(n=Count("pk")):
        for metric in STATUS_METRICS[row["status"]]:
            add(activity.village.pk, metric, row["n"])
    return out, villages


def update_activity(activity: Activity, *, actor: Actor, **changes: Any) -> Activity:
    """Correct an activity (from an edited export): its figures move with it, exactly.

    A change of programme, village or month takes the activity's counts, head count and
    attendance out of the old monthly figures and into the new ones; villages it covered that lie
    outside a new area are dropped, the new village is added.
    """
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update()
            .select_related("programme", "village", "area")
            .get(pk=activity.pk)
        )
        before = snapshot(locked)
        old, old_villages = _contributions(locked)
        for field_name, value in changes.items():
            if field_name not in ACTIVITY_FIELDS:
                raise DomainError(
                    "bad_field", _("%(field)s cannot be changed.") % {"field": field_name}
                )
            setattr(locked, field_name, value.strip() if isinstance(value, str) else value)
        if locked.kind not in ActivityKind.values:
            raise DomainError("bad_kind", _("Unknown activity kind %(kind)s.") % {
                "kind": locked.kind})  # fmt: skip
        if not locked.title:
            raise DomainError("title_required", _("The title is required."))
        if locked.ends_at is not None and locked.ends_at < locked.starts_at:
            raise DomainError("ends_before_start", _("An activity cannot end before it starts."))
        if locked.head_count is not None and locked.head_count < 0:
            raise DomainError("bad_head_count", _("The head count cannot be negative."))
        if not 0 <= locked.grace_minutes <= 240:
            raise DomainError("bad_grace", _("The grace period is between 0 and 240 minutes."))
        _check_area(locked.village, locked.area)
        locked.regency_code = locked.village.regency_code
        locked.district_code = locked.village.district_code
        locked.save()
        covered = [v for v in locked.villages.all() if v.is_within(locked.area.code)]
        if locked.village.pk not in {v.pk for v in covered}:
            covered.append(locked.village)
        locked.villages.set(covered)
        new, new_villages = _contributions(locked)
        villages = {**old_villages, **new_villages}
        for key in set(old) | set(new):
            delta = new.get(key, 0) - old.get(key, 0)
            if delta:
                village_id, month, metric, code = key
                bump_metric(villages[village_id], month, metric, delta, key=code)
        log_action(
            "programs.activity_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.village.code,
        )
    return locked


class ActivitySpec(roundtrip.Spec[Activity]):
    columns = ACTIVITY_COLUMNS
    column_of = {"programme": "programme_code", "village": "village_code", "area": "area_code"}

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.programmes = {p.code: p for p in Programme.objects.all()}
        self.territories: dict[str, Territory] = {}

    def territory(self, code: str) -> Territory:
        if code not in self.territories:
            found = Territory.objects.filter(code=code).first()
            if found is None:
                raise RowError(_("unknown territory code %(code)s") % {"code": code})
            self.territories[code] = found
        return self.territories[code]

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        code = row["programme_code"].upper()
        if code not in self.programmes:
            raise RowError(_("unknown programme code %(code)s") % {"code": row["programme_code"]})
        if row["kind"] not in ActivityKind.values:
            raise RowError(_("unknown kind %(kind)s") % {"kind": row["kind"]})
        if not row["title"]:
            raise RowError(_("the title is required"))
        village = self.territory(row["village_code"])
        check_row_scope(village.code, self.actor)
        area = self.territory(row["area_code"]) if row.get("area_code") else village
        _check_area(village, area)
        starts = _datetime(row["starts_at"], "starts_at")
        ends = _datetime(row.get("ends_at", ""), "ends_at", required=False)
        if ends is not None and starts is not None and ends < starts:
            raise RowError(_("the activity ends before it starts"))
        head = row.get("head_count", "")
        if head and not head.isdigit():
            raise RowError(_("head_count must be a whole number"))
        grace = row.get("grace_minutes", "") or "15"
        if not grace.isdigit() or int(grace) > 240:
            raise RowError(_("grace_minutes must be a whole number up to 240"))
        return {
            "programme": self.programmes[code], "kind": row["kind"], "title": row["title"],
            "starts_at": starts, "ends_at": ends, "village": village, "area": area,
            "place": row.get("place", ""), "head_count": int(head) if head else None,
            "grace_minutes": int(grace), "outcome": row.get("outcome", ""),
        }  # fmt: skip

    def existing(self, keys: list[int]) -> dict[int, Activity]:
        from jaga.partners.services import code_in_actor_scope
        from jaga.programs.access import activities_for_user

        qs = Activity.objects.all() if self.actor is None else activities_for_user(self.actor)
        found = qs.filter(pk__in=keys).select_related("programme", "village", "area")
        # Seeing an activity (as its partner, or in a wider area) is not editing it.
        return {a.pk: a for a in found if code_in_actor_scope(a.village.code, self.actor)}

    def label(self, data: dict[str, Any], obj: Activity | None) -> str:
        return str(data.get("title") or obj)

    def create(self, data: dict[str, Any]) -> None:
        record_activity(actor=self.actor, **data)

    def update(self, obj: Activity, changes: dict[str, Any]) -> None:
        update_activity(obj, actor=self.actor, **changes)


def import_activities(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    """Add the rows without an id and update the activities whose id a row carries."""
    return roundtrip.run(source, ActivitySpec(actor), name=name, dry_run=dry_run, expect=expect)


# --- invitation import (round trip) ------------------------------------------------------

INVITATION_COLUMNS = ["activity_id", "person_id", "organisation_id"]
INVITATION_EXPORT = [
    "id", "activity_id", "person_id", "organisation_id", "invitee", "response", "status",
    "representative_name", "note", "checked_in_at",
]  # fmt: skip
#: The fields an existing invitation's row may not change: who is invited to what.
INVITEE_FIELDS = ("activity_id", "person_id", "organisation_id")


def set_invitation_note(invitation: Invitation, *, actor: Actor, note: str) -> Invitation:
    """Change (or clear) an invitation's note."""
    with transaction.atomic():
        locked = _locked(invitation.pk)
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


def attach_file(activity: Activity, *, actor: Actor, upload: Any, caption: str = "") -> Any:
    """Attach a photo or a document (minutes, signed attendance list) to an activity.

    Photos are re-encoded without metadata; documents must be PDF, Word, Excel or ODT; both
    at most `MAX_UPLOAD_BYTES`.
    """
    from jaga.programs.models import ActivityFile

    content, is_photo = clean_file(upload)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("village").get(pk=activity.pk)
        attached = ActivityFile(activity=locked, is_photo=is_photo, caption=caption.strip())
        attached.file.save(content.name or "file", content, save=False)
        attached.save()
        log_action(
            "programs.file_attached",
            locked,
            actor=actor,
            after={"file": attached.file.name, "caption": attached.caption},
            territory_code=locked.village.code,
        )
    return attached
