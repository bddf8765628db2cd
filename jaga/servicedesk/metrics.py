"""The desk's monthly figures in the roll-up (`MonthlyMetric`), keyed by the service code.

Bumped by the workflow (`services.intake`, `services.workflow`), recounted by
`rollup_sources.request_rows`, read by the desk's, the analytics' and the public pages.
"""

from __future__ import annotations

from typing import Final

from jaga.analytics.metric import Metric, MetricPrefix

REQUESTS: Final = MetricPrefix("requests.")

RECEIVED: Final = Metric("requests.received")
RESOLVED: Final = Metric("requests.resolved")
RESOLVED_IN_TIME: Final = Metric("requests.resolved_in_time")

PREFIXES: Final = (REQUESTS,)
ALL: Final = (RECEIVED, RESOLVED, RESOLVED_IN_TIME)
