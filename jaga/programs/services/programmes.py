"""Programmes and their adoption by villages (one by one, or from a file)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.roundtrip import RowError
from jaga.core.types import Actor
from jaga.partners.importing import run_import
from jaga.partners.models import Organisation
from jaga.partners.services import check_row_scope, import_date
from jaga.programs.models import Programme, ProgrammeAdoption
from jaga.programs.services.common import Progress
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import EndedVillages, refuse_ended

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")


def create_programme(
    *,
    actor: Actor,
    code: str,
    name: str,
    goal: str = "",
    lead_unit: str = "",
    started_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    indicators: str = "",
    partners: Iterable[Organisation] = (),
) -> Programme:
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise DomainError(
            "bad_code",
            _("A programme code is 2–20 capital letters, digits or _, starting with a letter."),
        )
    if started_on and ended_on and ended_on < started_on:
        raise DomainError("ends_before_start", _("A programme cannot end before it starts."))
    with transaction.atomic():
        if Programme.objects.filter(code=code).exists():
            raise DomainError(
                "code_taken", _("The programme code %(code)s is taken.") % {"code": code}
            )
        programme = Programme.objects.create(
            code=code,
            name=name.strip(),
            goal=goal,
            lead_unit=lead_unit,
            started_on=started_on,
            ended_on=ended_on,
            indicators=indicators,
        )
        programme.partners.set(list(partners))
        log_action("programs.programme_created", programme, actor=actor, after=snapshot(programme))
    return programme


def adopt_programme(
    *, actor: Actor, programme: Programme, village: Territory, adopted_on: datetime.date
) -> ProgrammeAdoption:
    """A village adopts a programme on a date (the date drives the evaluation)."""
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Programmes are adopted by villages."))
    if adopted_on > timezone.localdate():
        raise DomainError("future_date", _("An adoption date cannot be in the future."))
    # Dated by its start, as the import: an ended village keeps the adoptions before its end.
    refuse_ended(village, adopted_on)
    with transaction.atomic():
        existing = ProgrammeAdoption.objects.filter(programme=programme, village=village).first()
        if existing is not None:
            raise DomainError(
                "already_adopted",
                _("%(village)s adopted %(programme)s on %(date)s already.")
                % {
                    "village": village.name,
                    "programme": programme.code,
                    "date": existing.adopted_on,
                },
            )
        adoption = ProgrammeAdoption.objects.create(
            programme=programme, village=village, adopted_on=adopted_on
        )
        log_action(
            "programs.adopted",
            adoption,
            actor=actor,
            after=snapshot(adoption),
            territory_code=village.code,
        )
    return adoption


ADOPTION_COLUMNS = ["programme_code", "village_code", "adopted_on"]


def import_adoptions(
    source: str | Path | IO[bytes],
    *,
    actor: Actor,
    name: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Import adoptions (programme_code, village_code, adopted_on): streaming, all-or-nothing.

    A row that repeats an adoption already recorded with the same date is accepted and changes
    nothing (re-importing a file is safe); with another date it is an error.
    Returns the number of new adoptions.
    """
    programmes = dict(Programme.objects.values_list("code", "pk"))
    villages = dict(Territory.objects.filter(level=Level.VILLAGE).values_list("code", "pk"))
    existing = {
        (p, v): d
        for p, v, d in ProgrammeAdoption.objects.values_list(
            "programme_id", "village_id", "adopted_on"
        )
    }
    seen: dict[tuple[int, int], int] = {}
    today = timezone.localdate()
    ended = EndedVillages()

    def parse(line: int, row: dict[str, str]) -> tuple[int, int, datetime.date, str] | None:
        code = row["programme_code"].upper()
        if code not in programmes:
            raise RowError(_("unknown programme code %(code)s") % {"code": row["programme_code"]})
        if row["village_code"] not in villages:
            raise RowError(_("unknown village code %(code)s") % {"code": row["village_code"]})
        check_row_scope(row["village_code"], actor)
        adopted = import_date(row["adopted_on"], "adopted_on")
        assert adopted is not None
        if adopted > today:
            raise RowError(_("adopted_on lies in the future"))
        key = (programmes[code], villages[row["village_code"]])
        if key in seen:
            raise RowError(_("the same adoption is on line %(line)s") % {"line": seen[key]})
        seen[key] = line
        if key in existing:
            if existing[key] != adopted:
                raise RowError(
                    _("the village adopted the programme on %(date)s already")
                    % {"date": existing[key]}
                )
            return None
        # An adoption is dated by its start: a village ended by a pemekaran takes the ones
        # before its end (its history), not later ones.
        problem = ended.problem(row["village_code"], adopted)
        if problem:
            raise RowError(problem)
        return (*key, adopted, row["village_code"])

    def write(rows: list[tuple[int, tuple[int, int, datetime.date, str] | None]]) -> int:
        new = [r for _line, r in rows if r is not None]
        created = ProgrammeAdoption.objects.bulk_create(
            [ProgrammeAdoption(programme_id=p, village_id=v, adopted_on=d) for p, v, d, _c in new],
            batch_size=1000,
        )
        for adoption, (_p, _v, _d, code) in zip(created, new, strict=True):
            log_action(
                "programs.adopted",
                adoption,
                actor=actor,
                after={
                    "programme": adoption.programme_id,
                    "village": code,
                    "adopted_on": adoption.adopted_on,
                },  # fmt: skip
                territory_code=code,
                note="import",
            )
        return len(new)

    return run_import(
        source, name=name, columns=ADOPTION_COLUMNS, parse=parse, write=write, progress=progress
    )
