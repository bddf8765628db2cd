"""How `jaga analytics rebuild` recounts the fieldwork figures from the records.

Each record counts in its own village and local month, as the services count it: visits by the
day of the visit, detections by the moment observed, cases by the day opened, raids by their
start (keyed by programme) and findings by target, each finding rounded to a whole number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from jaga.analytics.rebuild import MetricRow, grouped, register
from jaga.core.months import month_start
from jaga.fieldwork import metrics
from jaga.fieldwork.models import EarlyDetection, Finding, Operation, ProblemCase, Visit


@register(*metrics.PREFIXES, metrics=metrics.ALL)
def fieldwork_rows() -> Iterator[MetricRow]:
    yield from grouped(
        Visit.objects.all(), metrics.VISITS_COUNT, village="village_id", moment="visited_on"
    )
    yield from grouped(
        EarlyDetection.objects.all(),
        metrics.EARLY_DETECTIONS,
        village="village_id",
        moment="observed_at",
    )
    yield from grouped(
        ProblemCase.objects.all(),
        metrics.PROBLEM_CASES,
        village="village_id",
        moment="opened_on",
    )
    yield from grouped(
        Operation.objects.all(),
        metrics.OPERATIONS_COUNT,
        village="village_id",
        moment="started_at",
        key_field="programme__code",
    )
    # Each finding is rounded on its own before it is added (as record_operation does), so the
    # sum cannot be left to the database.
    findings: Counter[tuple[int, object, str]] = Counter()
    for village_id, started_at, target, quantity in Finding.objects.values_list(
        "operation__village_id", "operation__started_at", "target", "quantity"
    ).iterator(chunk_size=5000):
        findings[(village_id, month_start(started_at), target)] += int(quantity.to_integral_value())
    for (village_id, month, target), value in findings.items():
        yield MetricRow(village_id, month, metrics.FINDINGS, target, value)  # type: ignore[arg-type]
