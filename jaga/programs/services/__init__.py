"""Every change to programmes, activities, invitations and attendance.

Roll-ups (jaga.analytics MonthlyMetric, key = programme code) move in the same transaction:
activities.held and activities.head_count (the village where it was held), activities.count
(each village covered), attendance.invited / responded / attended / on_time / late / represented / absent / excused
(the village where it was held, the month it started).

The package is split by topic (programmes, activities, invitations, attendance; shared rules in
`common`); callers import it whole: `from jaga.programs import services`.
"""

from __future__ import annotations

from jaga.programs.services.activities import (
    ACTIVITY_COLUMNS,
    ACTIVITY_EXPORT,
    ACTIVITY_FIELDS,
    ActivitySpec,
    Contribution,
    attach_file,
    import_activities,
    record_activity,
    record_outcome,
    update_activity,
)
from jaga.programs.services.attendance import (
    check_in,
    checkin_window,
    close_attendance,
    is_late,
    record_attendance,
    record_attendance_sheet,
)
from jaga.programs.services.common import (
    STATUS_METRICS,
    TRANSITIONS,
    Progress,
    bump_attendance,
    lock_invitation,
)
from jaga.programs.services.invitations import (
    INVITATION_COLUMNS,
    INVITATION_EXPORT,
    INVITEE_FIELDS,
    InvitationSpec,
    import_invitations,
    invite,
    record_response,
    set_invitation_note,
)
from jaga.programs.services.programmes import (
    ADOPTION_COLUMNS,
    CODE_RE,
    adopt_programme,
    create_programme,
    import_adoptions,
)
from jaga.programs.services.scans import MAX_SCANS, Scan, ScanOutcome, check_in_many

__all__ = [
    "ACTIVITY_COLUMNS",
    "ACTIVITY_EXPORT",
    "ACTIVITY_FIELDS",
    "ADOPTION_COLUMNS",
    "CODE_RE",
    "INVITATION_COLUMNS",
    "INVITATION_EXPORT",
    "INVITEE_FIELDS",
    "STATUS_METRICS",
    "TRANSITIONS",
    "ActivitySpec",
    "Contribution",
    "InvitationSpec",
    "Progress",
    "adopt_programme",
    "attach_file",
    "bump_attendance",
    "check_in",
    "check_in_many",
    "MAX_SCANS",
    "Scan",
    "ScanOutcome",
    "checkin_window",
    "close_attendance",
    "create_programme",
    "import_activities",
    "import_adoptions",
    "import_invitations",
    "invite",
    "is_late",
    "lock_invitation",
    "record_activity",
    "record_attendance",
    "record_attendance_sheet",
    "record_outcome",
    "record_response",
    "set_invitation_note",
    "update_activity",
]
