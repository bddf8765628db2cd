"""Activities: recording one, its outcome, corrections (its figures move with it), files, and
the activity round trip (export, edit, import back)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jaga.analytics.rollups import bump_metric
from jaga.core import roundtrip
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.images import clean_file
from jaga.core.months import month_start
from jaga.core.roundtrip import Plan, RowError
from jaga.core.tabular import date_out_of_range
from jaga.core.types import Actor, signed_in
from jaga.partners.models import Organisation
from jaga.partners.services import check_row_scope, import_date
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import (
    CHECKIN_CLOSES_DEFAULT,
    CHECKIN_MAX_MINUTES,
    CHECKIN_OPENS_DEFAULT,
    Activity,
    ActivityKind,
    Invitation,
    Programme,
    Response,
)
from jaga.programs.services.common import STATUS_METRICS
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import EndedVillages, refuse_ended


def _check_area(village: Territory, area: Territory) -> None:
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("An activity is held in a village."))
    if not village.is_within(area.code) and not area.is_within(village.code):
        raise DomainError(
            "village_outside_area",
            _("The village %(village)s lies outside the area served, %(area)s.")
            % {"village": village.name, "area": area.name},
        )


def _check_new_activity(
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None,
    head_count: int | None,
    grace_minutes: int,
    checkin_minutes: tuple[int, int],
) -> None:
    """Refuse a new activity whose kind, title, times, head count or windows are wrong."""
    if kind not in ActivityKind.values:
        raise DomainError("bad_kind", _("Unknown activity kind %(kind)s.") % {"kind": kind})
    if not title.strip():
        raise DomainError("title_required", _("The title is required."))
    if ends_at is not None and ends_at < starts_at:
        raise DomainError("ends_before_start", _("An activity cannot end before it starts."))
    if head_count is not None and head_count < 0:
        raise DomainError("bad_head_count", _("The head count cannot be negative."))
    if not 0 <= grace_minutes <= 240:
        raise DomainError("bad_grace", _("The grace period is between 0 and 240 minutes."))
    for minutes in checkin_minutes:
        if not 0 <= minutes <= CHECKIN_MAX_MINUTES:
            raise DomainError(
                "bad_checkin_window",
                _("The check-in window is between 0 and %(max)s minutes before and after.")
                % {"max": CHECKIN_MAX_MINUTES},
            )


def _covered_villages(
    village: Territory, area: Territory, villages: Iterable[Territory]
) -> dict[int, Territory]:
    """The villages an activity covers (by key): the ones given and the one where it is held,
    each a village inside the area served."""
    _check_area(village, area)
    covered = {v.pk: v for v in villages}
    covered[village.pk] = village
    for v in covered.values():
        if v.level != Level.VILLAGE or not v.is_within(area.code):
            raise DomainError(
                "village_outside_area",
                _("The village %(village)s lies outside the area served, %(area)s.")
                % {"village": v.name, "area": area.name},
            )
    return covered


def _count_new_activity(activity: Activity, covered: Iterable[Territory]) -> None:
    """Count a new activity in the roll-ups: held once in the village where it was held (what
    sums over an area), covered once in every village it covers (a village's own exposure), its
    head count in the village where it was held."""
    code = activity.programme.code
    bump_metric(
        activity.village, activity.starts_at, programme_metrics.ACTIVITIES_HELD, 1, key=code
    )
    for v in covered:
        bump_metric(v, activity.starts_at, programme_metrics.ACTIVITIES_COUNT, 1, key=code)
    if activity.head_count:
        village, count = activity.village, activity.head_count
        bump_metric(village, activity.starts_at, programme_metrics.HEAD_COUNT, count, key=code)


def record_activity(
    *,
    actor: Actor,
    programme: Programme,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    village: Territory,
    area: Territory | None = None,
    ends_at: datetime.datetime | None = None,
    villages: Iterable[Territory] = (),
    organisers: Iterable[Organisation] = (),
    partners: Iterable[Organisation] = (),
    organiser_unit: str = "",
    head_count: int | None = None,
    grace_minutes: int = 15,
    checkin_opens_minutes: int = CHECKIN_OPENS_DEFAULT,
    checkin_closes_minutes: int = CHECKIN_CLOSES_DEFAULT,
    place: str = "",
    outcome: str = "",
) -> Activity:
    """Log an activity; counts it as held in its village and as covered in every village it
    covers."""
    _check_new_activity(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        head_count=head_count,
        grace_minutes=grace_minutes,
        checkin_minutes=(checkin_opens_minutes, checkin_closes_minutes),
    )
    area = area or village
    covered = _covered_villages(village, area, villages)
    # Dated by its start: a village ended by a pemekaran takes the activities before its end.
    for v in covered.values():
        refuse_ended(v, starts_at)
    with transaction.atomic():
        activity = Activity.objects.create(
            programme=programme,
            kind=kind,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            village=village,
            area=area,
            regency_code=village.regency_code,
            district_code=village.district_code,
            organiser_unit=organiser_unit,
            head_count=head_count,
            grace_minutes=grace_minutes,
            checkin_opens_minutes=checkin_opens_minutes,
            checkin_closes_minutes=checkin_closes_minutes,
            place=place,
            outcome=outcome,
            created_by=signed_in(actor),
        )
        activity.villages.set(list(covered.values()))
        activity.organisers.set(list(organisers))
        activity.partners.set(list(partners))
        _count_new_activity(activity, covered.values())
        log_action(
            "programs.activity_recorded",
            activity,
            actor=actor,
            after=snapshot(activity),
            territory_code=village.code,
        )
    return activity


def record_outcome(
    activity: Activity, *, actor: Actor, outcome: str, head_count: int | None
) -> Activity:
    """Write the outcome notes and the head count after the event (roll-up moves by the delta)."""
    if head_count is not None and head_count < 0:
        raise DomainError("bad_head_count", _("The head count cannot be negative."))
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update()
            .select_related("programme", "village")
            .get(pk=activity.pk)
        )
        before = snapshot(locked, ["outcome", "head_count"])
        delta = (head_count or 0) - (locked.head_count or 0)
        locked.outcome, locked.head_count = outcome, head_count
        locked.save(update_fields=["outcome", "head_count"])
        if delta:
            bump_metric(
                locked.village, locked.starts_at, programme_metrics.HEAD_COUNT, delta,
                key=locked.programme.code,
            )  # fmt: skip
        log_action(
            "programs.activity_outcome",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, ["outcome", "head_count"]),
            territory_code=locked.village.code,
        )
    return locked


ACTIVITY_FIELDS = [
    "programme", "kind", "title", "starts_at", "ends_at", "village", "area", "place",
    "head_count", "grace_minutes", "outcome",
]  # fmt: skip
Contribution = dict[tuple[int, datetime.date, str, str], int]


def _contributions(activity: Activity) -> tuple[Contribution, dict[int, Territory]]:
    """What an activity adds to the monthly figures (as `rollup_sources` recounts it)."""
    from django.db.models import Count

    month = month_start(activity.starts_at)
    code = activity.programme.code
    out: Contribution = {}
    villages = {v.pk: v for v in activity.villages.all()}
    villages[activity.village.pk] = activity.village

    def add(village_id: int, metric: str, value: int) -> None:
        if value:
            key = (village_id, month, metric, code)
            out[key] = out.get(key, 0) + value

    add(activity.village.pk, programme_metrics.ACTIVITIES_HELD, 1)
    for pk in activity.villages.values_list("pk", flat=True):
        add(pk, programme_metrics.ACTIVITIES_COUNT, 1)
    add(activity.village.pk, programme_metrics.HEAD_COUNT, activity.head_count or 0)
    invitations = Invitation.objects.filter(activity=activity)
    add(activity.village.pk, programme_metrics.INVITED, invitations.count())
    add(
        activity.village.pk,
        programme_metrics.RESPONDED,
        invitations.exclude(response=Response.PENDING).count(),
    )
    for row in invitations.values("status").annotate(n=Count("pk")):
        for metric in STATUS_METRICS[row["status"]]:
            add(activity.village.pk, metric, row["n"])
    return out, villages


def update_activity(activity: Activity, *, actor: Actor, **changes: Any) -> Activity:
    """Correct an activity (from an edited export): its figures move with it, exactly.

    A change of programme, village or month takes the activity's counts, head count and
    attendance out of the old monthly figures and into the new ones; villages it covered that lie
    outside a new area are dropped, the new village is added.
    """
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update()
            .select_related("programme", "village", "area")
            .get(pk=activity.pk)
        )
        before = snapshot(locked)
        placed = (locked.village_id, locked.starts_at)
        old, old_villages = _contributions(locked)
        for field_name, value in changes.items():
            if field_name not in ACTIVITY_FIELDS:
                raise DomainError(
                    "bad_field", _("%(field)s cannot be changed.") % {"field": field_name}
                )
            setattr(locked, field_name, value.strip() if isinstance(value, str) else value)
        if locked.kind not in ActivityKind.values:
            raise DomainError("bad_kind", _("Unknown activity kind %(kind)s.") % {
                "kind": locked.kind})  # fmt: skip
        if not locked.title:
            raise DomainError("title_required", _("The title is required."))
        if locked.ends_at is not None and locked.ends_at < locked.starts_at:
            raise DomainError("ends_before_start", _("An activity cannot end before it starts."))
        if locked.head_count is not None and locked.head_count < 0:
            raise DomainError("bad_head_count", _("The head count cannot be negative."))
        if not 0 <= locked.grace_minutes <= 240:
            raise DomainError("bad_grace", _("The grace period is between 0 and 240 minutes."))
        _check_area(locked.village, locked.area)
        if (locked.village_id, locked.starts_at) != placed:  # moved in place or time
            refuse_ended(locked.village, locked.starts_at)
        locked.regency_code = locked.village.regency_code
        locked.district_code = locked.village.district_code
        locked.save()
        covered = [v for v in locked.villages.all() if v.is_within(locked.area.code)]
        if locked.village.pk not in {v.pk for v in covered}:
            covered.append(locked.village)
        locked.villages.set(covered)
        new, new_villages = _contributions(locked)
        villages = {**old_villages, **new_villages}
        for key in set(old) | set(new):
            delta = new.get(key, 0) - old.get(key, 0)
            if delta:
                village_id, month, metric, code = key
                bump_metric(villages[village_id], month, metric, delta, key=code)
        log_action(
            "programs.activity_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.village.code,
        )
    return locked


def attach_file(activity: Activity, *, actor: Actor, upload: Any, caption: str = "") -> Any:
    """Attach a photo or a document (minutes, signed attendance list) to an activity.

    Photos are re-encoded without metadata; documents must be PDF, Word, Excel or ODT; both
    at most `MAX_UPLOAD_BYTES`.
    """
    from jaga.programs.models import ActivityFile

    content, is_photo = clean_file(upload)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("village").get(pk=activity.pk)
        attached = ActivityFile(activity=locked, is_photo=is_photo, caption=caption.strip())
        attached.file.save(content.name or "file", content, save=False)
        attached.save()
        log_action(
            "programs.file_attached",
            locked,
            actor=actor,
            after={"file": attached.file.name, "caption": attached.caption},
            territory_code=locked.village.code,
        )
    return attached


# --- the activity round trip -----------------------------------------------------------------

ACTIVITY_COLUMNS = ["programme_code", "kind", "title", "starts_at", "village_code"]
ACTIVITY_EXPORT = [
    "id", "programme_code", "kind", "title", "starts_at", "ends_at", "village_code", "area_code",
    "place", "head_count", "grace_minutes", "outcome",
]  # fmt: skip


def _datetime(value: str, label: str, required: bool = True) -> datetime.datetime | None:
    if not value:
        if required:
            raise RowError(_("%(column)s is required") % {"column": label})
        return None
    try:
        parsed = parse_datetime(value.replace("T", " "))
    except ValueError:
        parsed = None
    if parsed is None:
        # Activities are planned ahead: up to a year from today.
        day = import_date(value, label, days_ahead=366)
        assert day is not None
        parsed = datetime.datetime.combine(day, datetime.time(8, 0))
    else:
        problem = date_out_of_range(parsed.date(), label, days_ahead=366)
        if problem:
            raise RowError(problem)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class ActivitySpec(roundtrip.Spec[Activity]):
    columns = ACTIVITY_COLUMNS
    column_of = {"programme": "programme_code", "village": "village_code", "area": "area_code"}

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.programmes = {p.code: p for p in Programme.objects.all()}
        self.territories: dict[str, Territory] = {}

    def territory(self, code: str) -> Territory:
        if code not in self.territories:
            found = Territory.objects.filter(code=code).first()
            if found is None:
                raise RowError(_("unknown territory code %(code)s") % {"code": code})
            self.territories[code] = found
        return self.territories[code]

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        code = row["programme_code"].upper()
        if code not in self.programmes:
            raise RowError(_("unknown programme code %(code)s") % {"code": row["programme_code"]})
        if row["kind"] not in ActivityKind.values:
            raise RowError(_("unknown kind %(kind)s") % {"kind": row["kind"]})
        if not row["title"]:
            raise RowError(_("the title is required"))
        village = self.territory(row["village_code"])
        check_row_scope(village.code, self.actor)
        area = self.territory(row["area_code"]) if row.get("area_code") else village
        _check_area(village, area)
        starts = _datetime(row["starts_at"], "starts_at")
        ends = _datetime(row.get("ends_at", ""), "ends_at", required=False)
        if ends is not None and starts is not None and ends < starts:
            raise RowError(_("the activity ends before it starts"))
        head = row.get("head_count", "")
        if head and not head.isdigit():
            raise RowError(_("head_count must be a whole number"))
        grace = row.get("grace_minutes", "") or "15"
        if not grace.isdigit() or int(grace) > 240:
            raise RowError(_("grace_minutes must be a whole number up to 240"))
        return {
            "programme": self.programmes[code], "kind": row["kind"], "title": row["title"],
            "starts_at": starts, "ends_at": ends, "village": village, "area": area,
            "place": row.get("place", ""), "head_count": int(head) if head else None,
            "grace_minutes": int(grace), "outcome": row.get("outcome", ""),
        }  # fmt: skip

    def existing(self, keys: list[int]) -> dict[int, Activity]:
        from jaga.partners.services import code_in_actor_scope
        from jaga.programs.access import activities_for_user

        qs = Activity.objects.all() if self.actor is None else activities_for_user(self.actor)
        found = qs.filter(pk__in=keys).select_related("programme", "village", "area")
        # Seeing an activity (as its partner, or in a wider area) is not editing it.
        return {a.pk: a for a in found if code_in_actor_scope(a.village.code, self.actor)}

    def label(self, data: dict[str, Any], obj: Activity | None) -> str:
        return str(data.get("title") or obj)

    def check(
        self, rows: list[tuple[int, dict[str, Any], Activity | None]]
    ) -> list[dict[str, Any]]:
        # An activity is dated by its start: a village ended by a pemekaran takes those that
        # started before its end (its history), not later ones.
        return EndedVillages().refused(rows, dated_by="starts_at")

    def create(self, data: dict[str, Any]) -> None:
        record_activity(actor=self.actor, **data)

    def update(self, obj: Activity, changes: dict[str, Any]) -> None:
        update_activity(obj, actor=self.actor, **changes)


def import_activities(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> Plan:
    """Add the rows without an id and update the activities whose id a row carries."""
    return roundtrip.run(source, ActivitySpec(actor), name=name, dry_run=dry_run, expect=expect)
