"""How `jaga analytics rebuild` recounts the programme figures from the records.

The same attribution as the services: activities.held, head counts and attendance in the village
where an activity was held, activities.count in every village it covers, all in the local month
it started, keyed by the programme code.
"""

from __future__ import annotations

from collections.abc import Iterator

from jaga.analytics.rebuild import MetricRow, grouped, register
from jaga.programs import metrics
from jaga.programs.models import Activity, Invitation, Response
from jaga.programs.services import STATUS_METRICS

PROGRAMME = "activity__programme__code"


@register(*metrics.PREFIXES, metrics=metrics.ALL)
def programme_rows() -> Iterator[MetricRow]:
    yield from grouped(
        Activity.objects.all(),
        metrics.ACTIVITIES_HELD,
        village="village_id",
        moment="starts_at",
        key_field="programme__code",
    )
    covered = Activity.villages.through.objects.all()
    yield from grouped(
        covered,
        metrics.ACTIVITIES_COUNT,
        village="territory_id",
        moment="activity__starts_at",
        key_field=PROGRAMME,
    )
    yield from grouped(
        Activity.objects.filter(head_count__gt=0),
        metrics.HEAD_COUNT,
        village="village_id",
        moment="starts_at",
        key_field="programme__code",
        value="head_count",
    )
    invitations = Invitation.objects.all()
    common = {"village": "activity__village_id", "moment": "activity__starts_at"}
    yield from grouped(invitations, metrics.INVITED, key_field=PROGRAMME, **common)
    yield from grouped(
        invitations.exclude(response=Response.PENDING),
        metrics.RESPONDED,
        key_field=PROGRAMME,
        **common,
    )
    for status, counted in STATUS_METRICS.items():
        for metric in counted:
            yield from grouped(
                invitations.filter(status=status), metric, key_field=PROGRAMME, **common
            )
