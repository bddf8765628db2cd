"""The programmes' monthly figures in the roll-up (`MonthlyMetric`), keyed by the programme code.

Two counts of activities, for two questions:
- `ACTIVITIES_HELD` (`activities.held`): once, in the village where the activity was held. Sums
  over a district, a regency or a province are the activities held there: every "activities held"
  figure of an area (scorecard, Anev, the public portal, surveys, the programme list) reads it.
- `ACTIVITIES_COUNT` (`activities.count`): once in every village the activity covers (a
  regency-wide declaration covering 150 villages counts in each of them). A village's own
  exposure, "how many activities reached this village"; never summed over an area as activities.
Head counts and attendance count in the village where the activity was held (`services`; what
each attendance status counts: `services.common.STATUS_METRICS`), recounted by
`rollup_sources.programme_rows`.
"""

from __future__ import annotations

from typing import Final

from jaga.analytics.metric import Metric, MetricPrefix

ACTIVITIES: Final = MetricPrefix("activities.")
ATTENDANCE: Final = MetricPrefix("attendance.")

ACTIVITIES_COUNT: Final = Metric("activities.count")
ACTIVITIES_HELD: Final = Metric("activities.held")
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
ACTIVITY_FIGURES: Final = (ACTIVITIES_HELD, ACTIVITIES_COUNT, HEAD_COUNT)
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
