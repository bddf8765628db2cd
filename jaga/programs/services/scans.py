"""Check-in of many scans at once: what a door scanner sends when it comes back in signal, or a
gate with a queue of people, in one request and one transaction.

Each scan follows the single scan's rule (`attendance.arrival_status` and `apply_status`): the same
answers (done, already, or the refusal with its reason), in the order the scans were made. What
is shared is done once for the lot: the invitations are found and locked in one query, saved in
one UPDATE, the activity's attendance figures moved by their sum, and the audit rows chained and
inserted together (`audit.append_many`).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
from typing import Any, Literal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.analytics.rollups import bump_metrics
from jaga.core.audit import append_many, audit_entry, snapshot
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.programs.models import Activity, Invitation
from jaga.programs.services.attendance import (
    AUDITED_FIELDS,
    apply_status,
    arrival_status,
    unknown_code,
    wrong_activity,
)
from jaga.programs.services.common import STATUS_METRICS

MAX_SCANS = 500
# A scan's own time (taken on the phone while it had no signal) is believed when it lies within
# the last two days and not in the future: the phone's clock may be wrong, the server's is not.
SCAN_TRUST = datetime.timedelta(days=2)


@dataclasses.dataclass(frozen=True)
class Scan:
    code: str
    at: datetime.datetime | None = None
    representative_name: str = ""


@dataclasses.dataclass
class ScanOutcome:
    code: str
    invitation: Invitation | None = None
    already: bool = False
    error: DomainError | None = None

    @property
    def result(self) -> Literal["done", "already", "error"]:
        if self.error is not None:
            return "error"
        return "already" if self.already else "done"


def trusted_time(moment: datetime.datetime | None, now: datetime.datetime) -> datetime.datetime:
    """The scan's own time when it is believable (aware, within SCAN_TRUST, not ahead of the
    server), otherwise the server's."""
    if moment is None or timezone.is_naive(moment):
        return now
    return moment if now - SCAN_TRUST <= moment <= now else now


def check_in_many(scans: list[Scan], *, actor: Actor, activity: Activity) -> list[ScanOutcome]:
    """Check in every scan of one activity; one outcome per scan, in order. A refused scan does
    not stop the others (each is answered as if scanned alone)."""
    if len(scans) > MAX_SCANS:
        raise DomainError(
            "too_many_scans",
            _("Send at most %(n)s scans at once.") % {"n": MAX_SCANS},
        )
    now = timezone.now()
    codes = [scan.code.strip().upper() for scan in scans]
    with transaction.atomic():
        found = _lock(activity, set(codes))
        elsewhere = _elsewhere(activity, set(codes) - set(found))
        outcomes: list[ScanOutcome] = []
        moved: list[tuple[Invitation, str, dict[str, object]]] = []
        for scan, code in zip(scans, codes, strict=True):
            locked = found.get(code)
            try:
                if locked is None:
                    raise _refusal(code in elsewhere)
                at = trusted_time(scan.at, now)
                status = arrival_status(locked, activity, at, scan.representative_name)
                if status is None:
                    outcomes.append(ScanOutcome(code, locked, already=True))
                    continue
                old = locked.status
                before = apply_status(
                    locked,
                    status,
                    checked_in_at=at,
                    representative_name=scan.representative_name,
                )
            except DomainError as exc:
                outcomes.append(ScanOutcome(code, error=exc))
                continue
            if before is not None:
                moved.append((locked, old, before))
            outcomes.append(ScanOutcome(code, locked))
        _save(activity, moved, actor)
    return outcomes


def _lock(activity: Activity, codes: set[str]) -> dict[str, Invitation]:
    """The activity's invitations with these codes, locked in id order (two batches never wait
    on each other in a circle)."""
    rows = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("activity__programme", "activity__village", "person", "organisation")
        .filter(activity=activity, code__in=codes)
        .order_by("pk")
    )
    return {inv.code: inv for inv in rows}


def _elsewhere(activity: Activity, missing: set[str]) -> set[str]:
    """Which of the codes not found among the activity's invitations are another activity's."""
    if not missing:
        return set()
    rows = Invitation.objects.filter(code__in=missing).exclude(activity=activity)
    return set(rows.values_list("code", flat=True))


def _refusal(other_activity: bool) -> DomainError:
    """Why a code of the batch was not found: answered as a single scan would be."""
    return wrong_activity() if other_activity else unknown_code()


def _update(invitations: list[Invitation]) -> None:
    """Save the scanned invitations' attendance in one UPDATE ... FROM (VALUES ...): what
    `bulk_update` writes, without building a CASE expression per row and field (most of a
    batch's time when it did). A scan sets no representative person and keeps the note."""
    meta = Invitation._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    cast = connection.vendor == "postgresql"
    row = "(%s::bigint, %s, %s::timestamptz, %s)" if cast else "(%s, %s, %s, %s)"
    params: list[Any] = []
    for inv in invitations:
        at = connection.ops.adapt_datetimefield_value(inv.checked_in_at)
        params += [inv.pk, inv.status, at, inv.representative_name]
    values = ", ".join([row] * len(invitations))
    # VALUES' columns are column1, column2, ... on both PostgreSQL and SQLite.
    rows = (
        "SELECT column1 AS id, column2 AS status, column3 AS at, column4 AS name"  # noqa: S608
        f" FROM (VALUES {values}) AS scanned"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{meta.db_table}" SET "{column["status"]}" = v.status,'  # noqa: S608
            f' "{column["checked_in_at"]}" = v.at, "{column["representative"]}" = NULL,'
            f' "{column["representative_name"]}" = v.name'
            f" FROM ({rows}) AS v"
            f' WHERE "{meta.db_table}"."{column["id"]}" = v.id',
            params,
        )


def _save(
    activity: Activity, moved: list[tuple[Invitation, str, dict[str, object]]], actor: Actor
) -> None:
    if not moved:
        return
    _update([inv for inv, _old, _before in moved])
    deltas: collections.Counter[str] = collections.Counter()
    for inv, old, _before in moved:
        deltas.subtract(STATUS_METRICS[old])
        deltas.update(STATUS_METRICS[inv.status])
    by_delta: dict[int, list[str]] = collections.defaultdict(list)
    for metric, delta in deltas.items():
        if delta:
            by_delta[delta].append(metric)
    for delta, metrics in sorted(by_delta.items()):
        bump_metrics(
            activity.village, activity.starts_at, metrics, delta, key=activity.programme.code
        )
    append_many(
        [
            audit_entry(
                "programs.checked_in",
                inv,
                actor=actor,
                before=before,
                after=snapshot(inv, AUDITED_FIELDS),
                territory_code=activity.village.code,
            )
            for inv, _old, before in moved
        ]
    )
