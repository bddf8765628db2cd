"""Pemekaran: recording a village split into several villages, or several merged into one.

Every record keeps its own village code, so roll-ups (keyed on the village code and its district,
regency and province columns) stay where they were: a district or regency total runs on unchanged
across a split inside it. A `TerritoryChange` links every predecessor to every successor; a
village's history is its own code plus its predecessors' (`lineage_codes`), which the village
dashboards read. Villages that no longer exist get `valid_to` (and, for the old single link,
`successor` = the first successor); villages that continue (the old village keeping its code in a
split, or the merged village being one of the old ones) stay open. Loading the territory again only
adds villages and renames them, so it never undoes a change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.core.audit import log_action
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.territory.models import (
    ChangeKind,
    Level,
    Territory,
    TerritoryChange,
    village_kind_of_code,
)
from jaga.territory.services import CODE_PATTERNS


def parse_date(value: str) -> datetime.date:
    """A date as YYYY-MM-DD, or a DomainError in the user's language."""
    try:
        return datetime.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise DomainError(
            "bad_date",
            _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2025-07-01.")
            % {"value": value},
        ) from None


def _villages(
    codes: list[str], names: dict[str, str], *, may_create: bool
) -> tuple[list[Territory], list[tuple[str, str]]]:
    """The villages named by `codes` (in order), and the (code, name) pairs still to be created."""
    found = {t.code: t for t in Territory.objects.filter(code__in=codes)}
    villages: list[Territory] = []
    to_create: list[tuple[str, str]] = []
    for code in codes:
        territory = found.get(code)
        if territory is None:
            if may_create and code in names:
                if not CODE_PATTERNS[Level.VILLAGE].match(code):
                    raise DomainError(
                        "bad_code",
                        _("“%(code)s” is not a village code (e.g. 35.72.01.1002).")
                        % {"code": code},
                    )
                district = code.rsplit(".", 1)[0]
                if not Territory.objects.filter(code=district, level=Level.DISTRICT).exists():
                    raise DomainError(
                        "unknown_district",
                        _("The district %(district)s of the new village %(code)s is not loaded.")
                        % {"district": district, "code": code},
                    )
                to_create.append((code, names[code]))
                continue
            if may_create:
                raise DomainError(
                    "unknown_territory",
                    _(
                        "No territory with code %(code)s. To add a new village, give its name "
                        "too (--name %(code)s=NAME)."
                    )
                    % {"code": code},
                )
            raise DomainError(
                "unknown_territory", _("No territory with code %(code)s.") % {"code": code}
            )
        if territory.level != Level.VILLAGE:
            raise DomainError(
                "not_a_village",
                _("%(name)s (%(code)s) is not a village; only villages split or merge here.")
                % {"name": territory.display_name, "code": code},
            )
        villages.append(territory)
    return villages, to_create


def _check_shape(kind: str, old_codes: list[str], new_codes: list[str]) -> None:
    """Refuse a change whose kind does not fit its number of villages, or that repeats a code."""
    if kind == ChangeKind.SPLIT:
        if len(old_codes) != 1 or len(new_codes) < 2:
            raise DomainError(
                "bad_split", _("A split turns one village into two or more villages.")
            )
    elif kind == ChangeKind.MERGE:
        if len(old_codes) < 2 or len(new_codes) != 1:
            raise DomainError(
                "bad_merge", _("A merge turns two or more villages into one village.")
            )
    else:
        raise DomainError("bad_kind", _("Unknown kind of change %(kind)s.") % {"kind": kind})
    repeated = sorted({c for side in (old_codes, new_codes) for c in side if side.count(c) > 1})
    # A village may continue under its own code (the old village in a split keeps part of its
    # area), but it can appear only once on each side.
    if repeated:
        raise DomainError(
            "repeated_code",
            _("The village %(code)s is named twice.") % {"code": ", ".join(repeated)},
        )


def _lock_living(old: list[Territory], new_codes: list[str]) -> list[Territory]:
    """Lock the old villages; one that already ended may only continue under its own code."""
    locked = list(Territory.objects.select_for_update().filter(pk__in=[t.pk for t in old]))
    for village in locked:
        if village.valid_to is not None and village.code not in new_codes:
            raise DomainError(
                "already_ended",
                _("%(name)s (%(code)s) already ended on %(date)s.")
                % {
                    "name": village.display_name,
                    "code": village.code,
                    "date": village.valid_to.isoformat(),
                },
            )
    return locked


def _create_villages(to_create: list[tuple[str, str]], on: datetime.date) -> list[Territory]:
    """Create the new villages not loaded yet, under the district their code names."""
    created: list[Territory] = []
    for code, name in to_create:
        district = Territory.objects.get(code=code.rsplit(".", 1)[0])
        created.append(
            Territory.objects.create(
                code=code,
                name=name.strip(),
                level=Level.VILLAGE,
                parent=district,
                kind=village_kind_of_code(code),
                valid_from=on,
                **Territory.denormalised_codes(code),
            )
        )
    return created


def record_change(
    kind: str,
    old_codes: list[str],
    new_codes: list[str],
    on: datetime.date,
    *,
    actor: Actor,
    names: dict[str, str] | None = None,
    note: str = "",
) -> TerritoryChange:
    """Record a split (one old village, several new) or a merge (several old, one new).

    New villages that are not loaded yet are created when `names` gives their names. Everything
    is checked before anything is written: a bad code, a non-village, an old village that already
    ended or a repeated code raises DomainError and changes nothing.
    """
    names = names or {}
    old_codes = [c.strip() for c in old_codes]
    new_codes = [c.strip() for c in new_codes]
    _check_shape(kind, old_codes, new_codes)
    with transaction.atomic():
        old, _none = _villages(old_codes, {}, may_create=False)
        new, to_create = _villages(new_codes, names, may_create=True)
        locked = _lock_living(old, new_codes)
        new.extend(_create_villages(to_create, on))
        new.sort(key=lambda t: new_codes.index(t.code))
        first = new[0]
        for village in locked:
            if village.code in new_codes:
                continue  # it continues under its own code
            village.valid_to = on
            village.successor = first if village.pk != first.pk else None
            village.save(update_fields=["valid_to", "successor"])
        Territory.objects.filter(
            pk__in=[t.pk for t in new if t.code not in old_codes], valid_from__isnull=True
        ).update(valid_from=on)
        change = TerritoryChange.objects.create(kind=kind, on=on, note=note)
        change.predecessors.set(old)
        change.successors.set(new)
        log_action(
            f"territory.{kind}",
            change,
            actor=actor,
            after={
                "kind": kind,
                "on": on.isoformat(),
                "before": old_codes,
                "after": new_codes,
                "created": [c for c, _n in to_create],
            },
            territory_code=old_codes[0],
            note=note,
        )
    return change


def split_village(
    old_code: str,
    new_codes: list[str],
    on: datetime.date,
    *,
    actor: Actor,
    names: dict[str, str] | None = None,
) -> TerritoryChange:
    return record_change(ChangeKind.SPLIT, [old_code], new_codes, on, actor=actor, names=names)


def merge_villages(
    old_codes: list[str],
    new_code: str,
    on: datetime.date,
    *,
    actor: Actor,
    names: dict[str, str] | None = None,
) -> TerritoryChange:
    return record_change(ChangeKind.MERGE, old_codes, [new_code], on, actor=actor, names=names)


def lineage_codes(code: str) -> list[str]:
    """The village's code and its predecessors' (through every recorded change, transitively).

    A merged village's history is the sum of the villages it came from; a village split off
    another carries the whole old village's history (the records do not say which part of the old
    village they happened in).
    """
    codes = [code]
    seen = {code}
    frontier = [code]
    while frontier:
        before = list(
            TerritoryChange.predecessors.through.objects.filter(
                territorychange__successors__code__in=frontier
            )
            .values_list("territory__code", flat=True)
            .distinct()
        )
        frontier = [c for c in sorted(before) if c not in seen]
        seen.update(frontier)
        codes.extend(frontier)
    return codes


def replacing(village: Territory) -> list[Territory]:
    """The villages that carry an ended village's area today: the successors of the changes it
    went into, each followed on while it ended too (by code); the `successor` link, kept for
    records older than `TerritoryChange`, when no change names it."""
    found: list[Territory] = []
    seen = {village.pk}
    frontier = [village]
    while frontier:
        after: list[Territory] = []
        for node in frontier:
            successors = list(
                Territory.objects.filter(changes_in__predecessors=node).distinct().order_by("code")
            )
            if not successors and node.successor_id is not None:
                successors = [node.successor]  # type: ignore[list-item]
            for successor in successors:
                if successor.pk in seen:
                    continue
                seen.add(successor.pk)
                (after if successor.valid_to is not None else found).append(successor)
        frontier = after
    return sorted(found, key=lambda t: t.code)


def _ended_message(village: Territory, end: datetime.date, on: datetime.date | None) -> str:
    """Why the village, ended on `end`, takes no record dated `on` (None: undated), naming the
    villages that replaced it, in the user's language."""
    after = replacing(village)
    values = {
        # The kind (desa, kelurahan, desa adat) as the territory data records it.
        "village": f"{village.display_name} ({village.code})",
        "date": formats.date_format(end, "j F Y"),
        "villages": ", ".join(f"{t.display_name} ({t.code})" for t in after),
    }
    if on is None and after:
        return (
            ngettext(
                "%(village)s ended on %(date)s (pemekaran) and takes no new records; use "
                "the village that replaced it: %(villages)s.",
                "%(village)s ended on %(date)s (pemekaran) and takes no new records; use "
                "one of the villages that replaced it: %(villages)s.",
                len(after),
            )
            % values
        )
    if on is None:
        return (
            _(
                "%(village)s ended on %(date)s (pemekaran) and takes no new records; use "
                "the village that replaced it."
            )
            % values
        )
    if after:
        return (
            ngettext(
                "%(village)s ended on %(date)s (pemekaran); a record dated from that day on "
                "belongs to the village that replaced it: %(villages)s.",
                "%(village)s ended on %(date)s (pemekaran); a record dated from that day on "
                "belongs to one of the villages that replaced it: %(villages)s.",
                len(after),
            )
            % values
        )
    return (
        _(
            "%(village)s ended on %(date)s (pemekaran); a record dated from that day on "
            "belongs to the village that replaced it."
        )
        % values
    )


def local_date(on: datetime.date | datetime.datetime | None) -> datetime.date | None:
    """A record's date: a date-time read as the local date."""
    if isinstance(on, datetime.datetime):
        return timezone.localdate(on) if timezone.is_aware(on) else on.date()
    return on


def refuse_ended(village: Territory | None, on: datetime.date | datetime.datetime | None) -> None:
    """The rule of `EndedVillages` for one record a form or the API puts in `village` (any
    territory: only villages end): a DomainError naming the villages that replaced it when the
    village ended on or before the record's date (`on`; None: a record without a date, which
    an ended village never takes). Reads the village as loaded: no query unless it refuses."""
    if village is None or village.valid_to is None:
        return
    day = local_date(on)
    if day is not None and day < village.valid_to:
        return
    raise DomainError("village_ended", _ended_message(village, village.valid_to, day))


class EndedVillages:
    """Which records a village ended by a pemekaran still takes: the one rule of every import
    that names a village (incidents, people, organisations, memberships (the organisation's
    village), activities, adoptions, survey forms); `refuse_ended` applies it to one record (the services behind the forms and the API).

    An ended village keeps its history: a record dated before its end (`valid_to`) is its own; a
    record dated on or after that day belongs to the villages that replaced it, and so does a
    record without a date (a person on a roster: a village that no longer exists takes no new
    members). The refusal names them. Read once per import: one query on the ended villages.
    """

    def __init__(self) -> None:
        self.ends: dict[str, datetime.date] = {
            code: end
            for code, end in Territory.objects.filter(
                level=Level.VILLAGE, valid_to__isnull=False
            ).values_list("code", "valid_to")
            if end is not None
        }

    def takes(self, code: str, on: datetime.date | None) -> bool:
        """Whether the village takes a record dated `on` (None: a record without a date)."""
        end = self.ends.get(code)
        return end is None or (on is not None and on < end)

    def problem(self, code: str, on: datetime.date | None) -> str:
        """Why the village cannot take a record dated `on` (None: undated), naming the villages
        that replaced it, in the user's language; "" when it can."""
        if self.takes(code, on):
            return ""
        return _ended_message(Territory.objects.get(code=code), self.ends[code], on)

    def refused(
        self,
        rows: Iterable[tuple[int, dict[str, Any], Any]],
        *,
        dated_by: str | None,
        field: str = "village",
    ) -> list[dict[str, Any]]:
        """The errors of a round trip's rows (`roundtrip.Spec.check`: line, the fields a row
        sets, the record it changes or None) that would put a record in an ended village; a
        record is dated by its field `dated_by` (a date, or a date-time read as the local
        date), or undated (None); its village is its field `field` (an organisation's
        `territory`: any level, only villages end). Only rows that set the village or the date
        are read: a record left where it is was not put there by this file."""
        errors: list[dict[str, Any]] = []
        for line, data, obj in rows:
            if field not in data and (dated_by is None or dated_by not in data):
                continue
            village = data.get(field) or getattr(obj, field, None)
            on = None
            if dated_by is not None:
                on = local_date(data.get(dated_by) or getattr(obj, dated_by, None))
            if village is not None and (problem := self.problem(village.code, on)):
                errors.append({"line": line, "error": problem})
        return errors
