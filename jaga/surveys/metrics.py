"""The surveys' monthly figures in the roll-up (`MonthlyMetric`).

Per village and month of the answer day: the IKM forms (`IKM_N`) and the sum of each element's
score (`IKM_SUM`, keyed by element); the trust answers (`TRUST_N`) with the sum and the sum of
squares per question (`TRUST_SUM`, `TRUST_SUMSQ`, keyed by question; yes/no as 1/0), so that
means and variances follow from the roll-up. Bumped by `services`, recounted by
`rollup_sources.survey_rows`.
"""

from __future__ import annotations

from typing import Final

from jaga.analytics.metric import Metric, MetricPrefix

SURVEYS: Final = MetricPrefix("surveys.")
TRUST: Final = MetricPrefix("surveys.trust.")

IKM_N: Final = Metric("surveys.ikm.n")
IKM_SUM: Final = Metric("surveys.ikm.sum")
TRUST_N: Final = Metric("surveys.trust.n")
TRUST_SUM: Final = Metric("surveys.trust.sum")
TRUST_SUMSQ: Final = Metric("surveys.trust.sumsq")

PREFIXES: Final = (SURVEYS,)
ALL: Final = (IKM_N, IKM_SUM, TRUST_N, TRUST_SUM, TRUST_SUMSQ)
