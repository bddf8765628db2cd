"""The programmes' monthly figures in the roll-up (`MonthlyMetric`), keyed by the programme code.

Activities count in every village they cover, head counts and attendance in the village where
they were held (`services`; what each attendance status counts: `services.common.STATUS_METRICS`),
recounted by `rollup_sources.programme_rows`.
"""

from __future__ import annotations

from typing import Final

from jaga.analytics.metric import Metric, MetricPrefix

ACTIVITIES: Final = MetricPrefix("activities.")
ATTENDANCE: Final = MetricPrefix("attendance.")

ACTIVITIES_COUNT: Final = Metric("activities.count")
HEAD_COUNT: Final = Metric("activities.head_count")

INVITED: Final = Metric("attendance.invited")
RESPONDED: Final = Metric("attendance.responded")
ATTENDED: Final = Metric("attendance.attended")
ON_TIME: Final = Metric("attendance.on_time")
LATE: Final = Metric("attendance.late")
REPRESENTED: Final = Metric("attendance.represented")
ABSENT: Final = Metric("attendance.absent")
EXCUSED: Final = Metric("attendance.excused")

PREFIXES: Final = (ACTIVITIES, ATTENDANCE)
ACTIVITY_FIGURES: Final = (ACTIVITIES_COUNT, HEAD_COUNT)
ATTENDANCE_FIGURES: Final = (
    INVITED,
    RESPONDED,
    ATTENDED,
    ON_TIME,
    LATE,
    REPRESENTED,
    ABSENT,
    EXCUSED,
)
ALL: Final = ACTIVITY_FIGURES + ATTENDANCE_FIGURES
