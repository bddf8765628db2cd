"""Rules and helpers shared by the programme service modules: what each attendance status counts
in the roll-ups, the attendance workflow, and the lock on an invitation."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jaga.analytics.rollups import bump_metrics
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import AttendanceStatus, Invitation

__all__ = [
    "STATUS_METRICS",
    "TRANSITIONS",
    "Progress",
    "bump_attendance",
    "lock_invitation",
]

# Which roll-up figures an attendance status counts in.
STATUS_METRICS: dict[str, tuple[str, ...]] = {
    AttendanceStatus.PENDING: (),
    AttendanceStatus.PRESENT: (programme_metrics.ATTENDED, programme_metrics.ON_TIME),
    AttendanceStatus.LATE: (programme_metrics.ATTENDED, programme_metrics.LATE),
    AttendanceStatus.REPRESENTED: (programme_metrics.REPRESENTED,),
    AttendanceStatus.ABSENT: (programme_metrics.ABSENT,),
    AttendanceStatus.EXCUSED: (programme_metrics.EXCUSED,),
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


def bump_attendance(inv: Invitation, metrics: Iterable[str], delta: int) -> None:
    """Move the attendance figures of the invitation's activity (its village, its month)."""
    activity = inv.activity
    bump_metrics(activity.village, activity.starts_at, metrics, delta, key=activity.programme.code)


def lock_invitation(invitation_pk: int) -> Invitation:
    """The invitation, locked for update, with its activity's programme and village."""
    return (
        Invitation.objects.select_for_update()
        .select_related("activity__programme", "activity__village")
        .get(pk=invitation_pk)
    )
