"""Fieldwork's monthly figures in the roll-up (`MonthlyMetric`).

Visits, early detections and problem cases per village; raids keyed by programme code and their
findings keyed by target. Bumped by `services`, recounted by `rollup_sources.fieldwork_rows`.
"""

from __future__ import annotations

from typing import Final

from jaga.analytics.metric import Metric, MetricPrefix

VISITS: Final = MetricPrefix("visits.")
FIELDWORK: Final = MetricPrefix("fieldwork.")
OPERATIONS: Final = MetricPrefix("operations.")

VISITS_COUNT: Final = Metric("visits.count")
EARLY_DETECTIONS: Final = Metric("fieldwork.early_detections")
PROBLEM_CASES: Final = Metric("fieldwork.problem_cases")
OPERATIONS_COUNT: Final = Metric("operations.count")
FINDINGS: Final = Metric("operations.findings")

PREFIXES: Final = (VISITS, FIELDWORK, OPERATIONS)
ALL: Final = (VISITS_COUNT, EARLY_DETECTIONS, PROBLEM_CASES, OPERATIONS_COUNT, FINDINGS)
