"""Participation figures: who was invited, who answered, who came, on time or late, who sent a
representative. Every rate is Σ numerator / Σ denominator over the selection, never an average of
percentages, and comes with the counts behind it.

Totals by territory, programme and month come from the roll-ups (MonthlyMetric); splits by
community group, education or organisation are conditional counts over the invitations (the
roll-ups do not carry them), one grouped query each.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from jaga.accounts.access import key_q, unscoped
from jaga.analytics.models import MonthlyMetric
from jaga.core.months import add_months
from jaga.partners.models import Education, Membership, Organisation
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import Activity, Invitation, Response
from jaga.programs.models import AttendanceStatus as S
from jaga.territory.models import Level, Territory

COUNTS = ("invited", "responded", "attended", "on_time", "late", "represented", "absent", "excused")


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class Participation:
    invited: int = 0
    responded: int = 0
    attended: int = 0
    on_time: int = 0
    late: int = 0
    represented: int = 0
    absent: int = 0
    excused: int = 0
    label: str = ""
    key: str = ""

    @property
    def response_rate(self) -> float | None:
        """Σ responded / Σ invited."""
        return _ratio(self.responded, self.invited)

    @property
    def attendance_rate(self) -> float | None:
        """Σ attended in person (on time or late) / Σ invited."""
        return _ratio(self.attended, self.invited)

    @property
    def punctuality(self) -> float | None:
        """Σ on time / Σ attended in person."""
        return _ratio(self.on_time, self.attended)

    @property
    def representation_rate(self) -> float | None:
        """Σ represented / Σ invited."""
        return _ratio(self.represented, self.invited)

    @property
    def recorded(self) -> int:
        return self.attended + self.represented + self.absent + self.excused

    def __add__(self, other: Participation) -> Participation:
        return Participation(
            **{c: getattr(self, c) + getattr(other, c) for c in COUNTS},
            label=self.label,
            key=self.key,
        )

    def as_dict(self) -> dict[str, Any]:
        data = {c: getattr(self, c) for c in COUNTS}
        data.update(
            label=self.label,
            key=self.key,
            response_rate=self.response_rate,
            attendance_rate=self.attendance_rate,
            punctuality=self.punctuality,
            representation_rate=self.representation_rate,
        )
        return data


@dataclass
class ParticipationReport:
    total: Participation
    by_group: list[Participation] = field(default_factory=list)
    by_education: list[Participation] = field(default_factory=list)
    by_programme: list[Participation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.as_dict(),
            "by_group": [p.as_dict() for p in self.by_group],
            "by_education": [p.as_dict() for p in self.by_education],
            "by_programme": [p.as_dict() for p in self.by_programme],
        }


def _counts(row: dict[str, Any]) -> Participation:
    part = Participation()
    for c in COUNTS:
        setattr(part, c, int(row.get(c) or 0))
    return part


def _territory_q(field_name: str, code: str, key: str | None = None) -> Q:
    """Rows inside territory `code`; `key` names the row's regency-code column (the roll-ups'
    distribution key), filtered too with the same rows."""
    q = Q(**{field_name: code}) | Q(**{f"{field_name}__startswith": code + "."})
    return key_q([code], key) & q if key else q


def org_and_descendants(organisation_id: int) -> set[int]:
    found = {organisation_id}
    frontier = {organisation_id}
    while frontier:
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def invitations(
    *,
    territory_code: str | None = None,
    organisation_id: int | None = None,
    programme_code: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> QuerySet[Invitation]:
    """Invitations to activities held in the territory, of the programme, starting in
    [start, end]; for an organisation: invitations to it, to its sub-organisations, or to their
    members."""
    # The callers check the territory (territory_for_user) and the organisation
    # (get_organisation_for_user) before asking.
    qs = unscoped(Invitation.objects.all(), "territory and organisation checked by the caller")
    if territory_code:
        qs = qs.filter(_territory_q("activity__village__code", territory_code))
    if programme_code:
        qs = qs.filter(activity__programme__code=programme_code)
    if start:
        qs = qs.filter(activity__starts_at__date__gte=start)
    if end:
        qs = qs.filter(activity__starts_at__date__lte=end)
    if organisation_id is not None:
        orgs = org_and_descendants(organisation_id)
        members = Membership.objects.filter(organisation_id__in=orgs).values("person_id")
        qs = qs.filter(Q(organisation_id__in=orgs) | Q(person_id__in=members))
    return qs


ATTENDED = [S.PRESENT, S.LATE]
AGGREGATES = {
    "invited": Count("id"),
    "responded": Count("id", filter=~Q(response=Response.PENDING)),
    "attended": Count("id", filter=Q(status__in=ATTENDED)),
    "on_time": Count("id", filter=Q(status=S.PRESENT)),
    "late": Count("id", filter=Q(status=S.LATE)),
    "represented": Count("id", filter=Q(status=S.REPRESENTED)),
    "absent": Count("id", filter=Q(status=S.ABSENT)),
    "excused": Count("id", filter=Q(status=S.EXCUSED)),
}


def participation(
    *,
    territory_code: str | None = None,
    organisation_id: int | None = None,
    programme_code: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> ParticipationReport:
    """Participation for any territory, organisation, programme and period, with the split by
    community leaders vs other residents (and organisations invited as such), by education
    level and by programme. Two grouped queries."""
    qs = invitations(
        territory_code=territory_code,
        organisation_id=organisation_id,
        programme_code=programme_code,
        start=start,
        end=end,
    )
    rows = (
        qs.values("person__is_leader", "person__education", "organisation_id")
        .annotate(**AGGREGATES)
        .order_by()
    )
    total = Participation(label=str(_label("total")), key="total")
    groups: dict[str, Participation] = {}
    education: dict[str, Participation] = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        part = _counts(row)
        total = total + part
        if row["organisation_id"] is not None:
            group, edu = "organisations", "organisations"
        else:
            group = "leaders" if row["person__is_leader"] else "residents"
            edu = row["person__education"] or "unknown"
        groups[group] = groups.get(group, Participation()) + part
        education[edu] = education.get(edu, Participation()) + part
    by_programme = []
    for programme_values in (
        qs.values("activity__programme__code", "activity__programme__name")
        .annotate(**AGGREGATES)
        .order_by("activity__programme__code")
    ):
        row = dict(programme_values)
        part = _counts(row)
        part.key, part.label = row["activity__programme__code"], row["activity__programme__name"]
        by_programme.append(part)
    return ParticipationReport(
        total=total,
        by_group=_ordered(groups, ["leaders", "residents", "organisations"]),
        by_education=_ordered(education, [*Education.values, "unknown", "organisations"]),
        by_programme=by_programme,
    )


def _label(key: str) -> str:
    from django.utils.translation import gettext as _

    labels = {
        "total": _("All invitees"),
        "leaders": _("Community leaders"),
        "residents": _("Other residents"),
        "organisations": _("Organisations"),
        "unknown": _("Education not recorded"),
        **{k: str(v) for k, v in Education.choices},
    }
    return str(labels.get(key, key))


def _ordered(parts: dict[str, Participation], order: Iterable[str]) -> list[Participation]:
    out = []
    for key in order:
        if key in parts:
            part = parts[key]
            part.key, part.label = key, _label(key)
            out.append(part)
    return out


# The attendance figure behind each count of a Participation.
METRIC_OF: dict[str, str] = {
    programme_metrics.INVITED: "invited",
    programme_metrics.RESPONDED: "responded",
    programme_metrics.ATTENDED: "attended",
    programme_metrics.ON_TIME: "on_time",
    programme_metrics.LATE: "late",
    programme_metrics.REPRESENTED: "represented",
    programme_metrics.ABSENT: "absent",
    programme_metrics.EXCUSED: "excused",
}


def participation_by_month(
    *,
    territory_code: str | None = None,
    programme_code: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[tuple[datetime.date, Participation]]:
    """Monthly totals from the roll-ups (one query, no raw rows)."""
    qs = MonthlyMetric.objects.filter(metric__in=list(METRIC_OF))
    if territory_code:
        qs = qs.filter(_territory_q("village__code", territory_code, "regency_code"))
    if programme_code:
        qs = qs.filter(key=programme_code)
    if start:
        qs = qs.filter(month__gte=start.replace(day=1))
    if end:
        qs = qs.filter(month__lte=end)
    months: dict[datetime.date, Participation] = {}
    for month, metric, value in (
        qs.values("month", "metric").annotate(v=Sum("value")).values_list("month", "metric", "v")
    ):
        part = months.setdefault(month, Participation(key=month.isoformat()))
        setattr(part, METRIC_OF[metric], value or 0)
    return sorted(months.items())


def participation_from_rollups(**filters: Any) -> Participation:
    total = Participation(key="total")
    for _month, part in participation_by_month(**filters):
        total = total + part
    return total


def activity_counts(
    *,
    territory_code: str | None = None,
    programme_code: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[str, dict[str, int]]:
    """Activities held (`held`: once, where held) and head counts per programme code, from the
    roll-ups."""
    names: dict[str, str] = {
        programme_metrics.ACTIVITIES_HELD: "held",
        programme_metrics.HEAD_COUNT: "head_count",
    }
    qs = MonthlyMetric.objects.filter(metric__in=list(names))
    if territory_code:
        qs = qs.filter(_territory_q("village__code", territory_code, "regency_code"))
    if programme_code:
        qs = qs.filter(key=programme_code)
    if start:
        qs = qs.filter(month__gte=start.replace(day=1))
    if end:
        qs = qs.filter(month__lte=end)
    out: dict[str, dict[str, int]] = {}
    for key, metric, value in (
        qs.values("key", "metric").annotate(v=Sum("value")).values_list("key", "metric", "v")
    ):
        out.setdefault(key, {"held": 0, "head_count": 0})[names[metric]] = value or 0
    return out


def held_in(
    qs: QuerySet[Activity],
    *,
    area: Territory | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> QuerySet[Activity]:
    """The activities of `qs` that `activities.held` counts for an area and months: held in a
    village within `area` (a village also in its predecessors', whose history it carries, as the
    roll-up units read it), starting in a local month from `start` to `end` (month starts)."""
    if area is not None:
        codes = [area.code]
        if area.level == Level.VILLAGE:
            from jaga.territory.pemekaran import lineage_codes

            codes = lineage_codes(area.code)
        # The ancestor codes copied from the village, as the roll-up rows carry them.
        inside = {
            Level.VILLAGE: Q(village__code__in=codes),
            Level.DISTRICT: Q(district_code=area.code),
            Level.REGENCY: Q(regency_code=area.code),
        }.get(Level(area.level), Q(village__code__startswith=area.code + "."))
        qs = qs.filter(inside)
    if start is not None:
        qs = qs.filter(starts_at__gte=_local_midnight(start))
    if end is not None:
        qs = qs.filter(starts_at__lt=_local_midnight(add_months(end, 1)))
    return qs


def _local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of a day in the current time zone (months are cut there: `month_start`)."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


__all__ = [
    "Participation",
    "ParticipationReport",
    "activity_counts",
    "held_in",
    "asdict",
    "participation",
    "participation_by_month",
    "participation_from_rollups",
]


def participation_for_activity(activity: Any, qs: QuerySet[Invitation]) -> Participation:
    """The counts of one activity's invitations (one query)."""
    part = _counts(qs.filter(activity=activity).aggregate(**AGGREGATES))
    part.key = str(activity.pk)
    return part


def participation_by_area(
    *,
    territory_code: str,
    programme_code: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[Participation]:
    """The territory's children (districts of a regency, villages of a district), from the
    roll-ups: one grouped query plus one for the names. Keys are territory codes."""
    from jaga.territory.models import Territory

    depth = territory_code.count(".")
    if depth >= 2:
        column = "village__code"
    elif depth == 1:
        column = "district_code"
    else:
        column = "regency_code"
    qs = MonthlyMetric.objects.filter(metric__in=list(METRIC_OF)).filter(
        _territory_q("village__code", territory_code, "regency_code")
    )
    if programme_code:
        qs = qs.filter(key=programme_code)
    if start:
        qs = qs.filter(month__gte=start.replace(day=1))
    if end:
        qs = qs.filter(month__lte=end)
    parts: dict[str, Participation] = {}
    for code, metric, value in (
        qs.values(column, "metric").annotate(v=Sum("value")).values_list(column, "metric", "v")
    ):
        part = parts.setdefault(code, Participation(key=code))
        setattr(part, METRIC_OF[metric], value or 0)
    names = dict(Territory.objects.filter(code__in=list(parts)).values_list("code", "name"))
    for code, part in parts.items():
        part.label = names.get(code, code)
    return [parts[c] for c in sorted(parts)]
