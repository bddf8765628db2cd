"""How `jaga analytics rebuild` recounts the survey figures from the answers.

Per village and local month of the answer day, as the services count them: IKM forms and the
sum of each element's score; trust answers with the sum and the sum of squares per question
(yes/no as 1/0), so that means and variances follow from the roll-up.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F

from jaga.analytics.rebuild import MetricRow, grouped, register
from jaga.surveys import metrics
from jaga.surveys.models import IKM_ELEMENTS, TRUST_LIKERT, TRUST_YESNO, IkmResponse, TrustResponse

DAY = {"village": "village_id", "moment": "answered_on"}


@register(*metrics.PREFIXES, metrics=metrics.ALL)
def survey_rows() -> Iterator[MetricRow]:
    ikm = IkmResponse.objects.all()
    yield from grouped(ikm, metrics.IKM_N, **DAY)
    for code in IKM_ELEMENTS:
        yield from grouped(ikm, metrics.IKM_SUM, key=code, value=code, **DAY)
    trust = TrustResponse.objects.all()
    yield from grouped(trust, metrics.TRUST_N, **DAY)
    for q in TRUST_LIKERT:
        yield from grouped(trust, metrics.TRUST_SUM, key=q, value=q, **DAY)
        squares = trust.annotate(sq=F(q) * F(q))
        yield from grouped(squares, metrics.TRUST_SUMSQ, key=q, value="sq", **DAY)
    for q in TRUST_YESNO:
        # Yes counts 1 and 1 * 1 = 1: the sum of squares equals the sum.
        yes = trust.filter(**{q: True})
        yield from grouped(yes, metrics.TRUST_SUM, key=q, **DAY)
        yield from grouped(yes, metrics.TRUST_SUMSQ, key=q, **DAY)
