"""How `jaga analytics rebuild` recounts the desk figures from the reports.

As the workflow counts them: received in the local month of arrival; resolved (and resolved in
time) in the month of the resolution that still stands (a reopened report loses it), keyed by the
service code.
"""

from __future__ import annotations

from collections.abc import Iterator

from jaga.analytics.rebuild import MetricRow, grouped, register
from jaga.servicedesk import metrics
from jaga.servicedesk.models import RESOLUTION_STANDS, ServiceRequest


@register(*metrics.PREFIXES, metrics=metrics.ALL)
def request_rows() -> Iterator[MetricRow]:
    requests = ServiceRequest.objects.all()
    common = {"village": "village_id", "key_field": "service__code"}
    yield from grouped(requests, metrics.RECEIVED, moment="received_at", **common)
    resolved = requests.filter(resolved_at__isnull=False, status__in=RESOLUTION_STANDS)
    yield from grouped(resolved, metrics.RESOLVED, moment="resolved_at", **common)
    yield from grouped(
        resolved.filter(resolved_in_time=True),
        metrics.RESOLVED_IN_TIME,
        moment="resolved_at",
        **common,
    )
