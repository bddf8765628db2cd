"""Attendance: check-in by code, by hand, a whole paper list, and closing the list after the event.

Every change of an invitation's status goes through one step (`_move`): the transition table,
the representative, the roll-ups and the audit row.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError, ErrorList
from jaga.core.types import Actor
from jaga.partners.importing import fail_rows
from jaga.partners.models import Person
from jaga.programs.models import Activity, AttendanceStatus, Invitation
from jaga.programs.services.common import (
    STATUS_METRICS,
    TRANSITIONS,
    bump_attendance,
    lock_invitation,
)

ATTENDANCE_FIELDS = ["status", "checked_in_at", "representative", "representative_name", "note"]
AUDITED_FIELDS = ["status", "checked_in_at", "representative_name"]


def apply_status(
    locked: Invitation,
    status: str,
    *,
    checked_in_at: datetime.datetime | None = None,
    representative_name: str = "",
    representative: Person | None = None,
    note: str = "",
) -> dict[str, Any] | None:
    """Apply a status change to the locked invitation in memory, after the transition table and
    the representative rule. Returns the audited fields as they were, or None when nothing
    changes."""
    old = locked.status
    if status == old and status != AttendanceStatus.REPRESENTED:
        return None
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
    before = snapshot(locked, AUDITED_FIELDS)
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
    return before


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
    before = apply_status(
        locked,
        status,
        checked_in_at=checked_in_at,
        representative_name=representative_name,
        representative=representative,
        note=note,
    )
    if before is None:
        return locked
    locked.save(update_fields=ATTENDANCE_FIELDS)
    # The roll-up rows are shared by every invitation of the activity: take their locks last,
    # just before the audit row, so concurrent check-ins wait on them as briefly as possible.
    bump_attendance(locked, STATUS_METRICS[old], -1)
    bump_attendance(locked, STATUS_METRICS[status], 1)
    log_action(
        action,
        locked,
        actor=actor,
        before=before,
        after=snapshot(locked, AUDITED_FIELDS),
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


def arrival_status(
    locked: Invitation,
    activity: Activity | None,
    at: datetime.datetime,
    representative_name: str = "",
) -> str | None:
    """What a scan of `locked` at `at` records: present, late or represented; None when the
    arrival was recorded before (nothing to do). Refuses another activity's code and a scan
    outside the check-in window. One rule for a single scan and a batch of them."""
    if activity is not None and locked.activity_id != activity.pk:
        raise wrong_activity()
    if locked.status in (
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.REPRESENTED,
    ):
        return None
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
            _("Check-in by code closed at %(time)s; record attendance by hand from the paper list.")
            % {"time": formats.date_format(timezone.localtime(closes), "j M Y H:i")},
        )
    if representative_name.strip():
        return AttendanceStatus.REPRESENTED
    return AttendanceStatus.LATE if is_late(locked.activity, at) else AttendanceStatus.PRESENT


def unknown_code() -> DomainError:
    return DomainError("unknown_code", _("This check-in code is not known."))


def wrong_activity() -> DomainError:
    return DomainError("wrong_activity", _("This check-in code belongs to another activity."))


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
            raise unknown_code()
        status = arrival_status(locked, activity, at, representative_name)
        if status is None:
            return locked, True
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
        locked = lock_invitation(invitation.pk)
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
