"""Loading the Kemendagri territory, populations and Polmas status changes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError, ErrorList, ImportFailed
from jaga.core.tabular import EARLIEST_DATE, iter_rows
from jaga.core.types import Actor
from jaga.territory.models import (
    Level,
    PolmasStatus,
    Population,
    Territory,
    village_kind_of_code,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES: list[tuple[str, str, str | None]] = [
    (Level.PROVINCE, "provinces.csv.gz", None),
    (Level.REGENCY, "regencies.csv.gz", "province_code"),
    (Level.DISTRICT, "districts.csv.gz", "regency_code"),
    (Level.VILLAGE, "villages.csv.gz", "district_code"),
]
CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    Level.PROVINCE: re.compile(r"^\d{2}$"),
    Level.REGENCY: re.compile(r"^\d{2}\.\d{2}$"),
    Level.DISTRICT: re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    Level.VILLAGE: re.compile(r"^\d{2}\.\d{2}\.\d{2}\.[123]\d{3}$"),
}
ANY_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
BATCH = 2000

Progress = Callable[[str, int, int], None]


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


def validate_code(code: str) -> str:
    code = code.strip()
    if not ANY_CODE.match(code):
        raise DomainError(
            "bad_code",
            _("“%(code)s” is not a Kemendagri code (e.g. 35.72 or 35.72.01.1002).")
            % {"code": code},
        )
    return code


def _in_selection(code: str, selection: str | None) -> bool:
    if selection is None:
        return True
    return code == selection or code.startswith(selection + ".") or selection.startswith(code + ".")


def _read_level(
    path: Path | IO[bytes],
    level: str,
    parent_column: str | None,
    selection: str | None,
    errors: list[dict[str, Any]],
    filename: str,
) -> Iterator[tuple[str, str, str | None]]:
    required = ["code", "name"] + ([parent_column] if parent_column else [])
    pattern = CODE_PATTERNS[level]
    for line, row in iter_rows(path, required, name=filename):
        code, name = row["code"], row["name"]
        parent = row.get(parent_column, "") if parent_column else None
        if not pattern.match(code):
            errors.append(
                {
                    "file": filename,
                    "line": line,
                    "error": _("malformed code “%(code)s”") % {"code": code},
                }
            )
            continue
        if not name:
            errors.append({"file": filename, "line": line, "error": _("empty name")})
            continue
        if parent_column and code.rsplit(".", 1)[0] != parent:
            errors.append(
                {
                    "file": filename,
                    "line": line,
                    "error": _("code %(code)s does not lie inside its parent %(parent)s")
                    % {"code": code, "parent": parent},
                }
            )
            continue
        if _in_selection(code, selection):
            yield code, name, parent


_Rows = list[tuple[str, str, str | None]]


def _read_levels(selection: str | None, data_dir: Path) -> list[tuple[str, _Rows]]:
    """Every level's rows inside the selection; any bad row or an unknown selection raises."""
    errors = ErrorList()
    levels: list[tuple[str, _Rows]] = []
    for level, filename, parent_column in FILES:
        rows = list(
            _read_level(data_dir / filename, level, parent_column, selection, errors, filename)
        )
        levels.append((level, rows))
    if errors:
        raise ImportFailed(
            _("The territory files have %(count)s bad rows; nothing was loaded.")
            % {"count": errors.total},
            errors,
        )
    if selection is not None and not any(
        code == selection for _level, rows in levels for code, _n, _p in rows
    ):
        raise DomainError(
            "unknown_territory", _("No territory with code %(code)s.") % {"code": selection}
        )
    return levels


def _known_ids(rows: _Rows, ids: dict[str, int]) -> dict[str, tuple[int, str]]:
    """The (pk, name) of the level's codes already loaded; `ids` learns the parents' keys."""
    codes = [code for code, _name, _parent in rows]
    existing: dict[str, tuple[int, str]] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        for pk, code, name in Territory.objects.filter(code__in=chunk).values_list(
            "pk", "code", "name"
        ):
            existing[code] = (pk, name)
    parent_codes = {p for _c, _n, p in rows if p}
    missing_parents = parent_codes - set(ids)
    if missing_parents:
        for pk, code in Territory.objects.filter(code__in=missing_parents).values_list(
            "pk", "code"
        ):
            ids[code] = pk
    return existing


def _load_level(
    level: str,
    rows: _Rows,
    ids: dict[str, int],
    result: LoadResult,
    progress: Progress | None,
) -> None:
    """Create the level's new territories and rename the renamed ones; `ids` learns their keys."""
    existing = _known_ids(rows, ids)
    new: list[Territory] = []
    renamed: list[Territory] = []
    for code, name, parent in rows:
        if code in existing:
            pk, old_name = existing[code]
            ids[code] = pk
            if old_name != name:
                renamed.append(Territory(pk=pk, name=name))
            continue
        new.append(
            Territory(
                code=code,
                name=name,
                level=level,
                parent_id=ids.get(parent) if parent else None,
                kind=village_kind_of_code(code) if level == Level.VILLAGE else "",
                **Territory.denormalised_codes(code),
            )
        )
    for start in range(0, len(new), BATCH):
        Territory.objects.bulk_create(new[start : start + BATCH], batch_size=BATCH)
        if progress:
            progress(level, min(start + BATCH, len(new)), len(new))
    if new:
        for start in range(0, len(new), 5000):
            chunk_codes = [t.code for t in new[start : start + 5000]]
            for pk, code in Territory.objects.filter(code__in=chunk_codes).values_list(
                "pk", "code"
            ):
                ids[code] = pk
    if renamed:
        Territory.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
    result.created[level] = len(new)
    result.updated[level] = len(renamed)
    result.unchanged[level] = len(rows) - len(new) - len(renamed)
    if progress and not new:
        progress(level, len(rows), len(rows))


def load_territory(
    selection: str | None = None,
    *,
    data_dir: Path = DATA_DIR,
    progress: Progress | None = None,
    actor: Actor = None,
) -> LoadResult:
    """Load (or refresh) provinces, regencies, districts and villages from the vendored CSVs.

    `selection` is a province or regency code (None: all of Indonesia). Idempotent: a second run
    creates nothing and changes only names that changed. All-or-nothing: a malformed row anywhere
    aborts the whole load with every bad row reported by file and line.
    """
    if selection is not None:
        selection = validate_code(selection)
    result = LoadResult()
    levels = _read_levels(selection, data_dir)
    with transaction.atomic():
        ids: dict[str, int] = {}
        for level, rows in levels:
            _load_level(level, rows, ids, result, progress)
    return result


POPULATION_COLUMNS = ["village_code", "year", "count", "source"]


def import_populations(
    source: str | Path | IO[bytes], *, name: str | None = None, actor: Actor = None
) -> int:
    """Import populations (village_code, year, count, source) from CSV or XLSX. All-or-nothing."""
    errors = ErrorList()
    parsed: list[tuple[int, str, int, int, str]] = []
    for line, row in iter_rows(source, POPULATION_COLUMNS, name=name):
        code = row["village_code"]
        try:
            year = int(row["year"])
            count = int(row["count"])
        except ValueError:
            errors.append({"line": line, "error": _("year and count must be whole numbers")})
            continue
        # Census and Dukcapil counts since the Republic, up to next year's projection.
        if not EARLIEST_DATE.year <= year <= timezone.localdate().year + 1 or count < 0:
            errors.append({"line": line, "error": _("year or count out of range")})
            continue
        if not row["source"]:
            errors.append({"line": line, "error": _("the source is required")})
            continue
        parsed.append((line, code, year, count, row["source"]))
    villages = dict(
        Territory.objects.filter(level=Level.VILLAGE, code__in={p[1] for p in parsed}).values_list(
            "code", "pk"
        )
    )
    for line, code, *_rest in parsed:
        if code not in villages:
            errors.append(
                {"line": line, "error": _("unknown village code %(code)s") % {"code": code}}
            )
    if errors:
        raise ImportFailed(
            _("%(count)s bad rows; nothing was imported.") % {"count": errors.total}, errors
        )
    with transaction.atomic():
        for _line, code, year, count, src in parsed:
            existing = (
                Population.objects.select_for_update()
                .filter(village_id=villages[code], year=year)
                .first()
            )
            before = snapshot(existing) if existing else None
            population, _created = Population.objects.update_or_create(
                village_id=villages[code],
                year=year,
                defaults={"count": count, "source": src, "synthetic": False},
            )
            log_action(
                "territory.population_imported",
                population,
                actor=actor,
                before=before,
                after=snapshot(population),
                territory_code=code,
            )
    return len(parsed)


def set_polmas_status(village: Territory, status: str, note: str, *, actor: Actor) -> Territory:
    """Change a village's Polmas status (e.g. self_managed where residents keep order themselves)."""
    if status not in PolmasStatus.values:
        raise DomainError("bad_status", _("Unknown Polmas status %(status)s.") % {"status": status})
    with transaction.atomic():
        locked = Territory.objects.select_for_update().get(pk=village.pk)
        before = snapshot(locked, ["polmas_status", "polmas_note"])
        locked.polmas_status = status
        locked.polmas_note = note
        locked.save(update_fields=["polmas_status", "polmas_note"])
        log_action(
            "territory.polmas_status",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, ["polmas_status", "polmas_note"]),
            territory_code=locked.code,
        )
    return locked


POINT_COLUMNS = ["village_code", "latitude", "longitude"]
# Indonesia's bounding box with a margin (the same check as the incident register's points).
LAT_RANGE = (-11.5, 6.5)
LON_RANGE = (94.5, 141.5)


def import_village_points(
    source: str | Path | IO[bytes], *, name: str | None = None, actor: Actor = None
) -> int:
    """Import village centres (village_code, latitude, longitude) from CSV or XLSX.

    The Kemendagri list carries no coordinates; with centres known, a report that gives only a
    point (e.g. Open311 `lat`/`long`) is placed in the nearest village. All-or-nothing.
    """
    errors = ErrorList()
    parsed: list[tuple[int, str, float, float]] = []
    for line, row in iter_rows(source, POINT_COLUMNS, name=name):
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            errors.append({"line": line, "error": _("latitude and longitude must be numbers")})
            continue
        if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
            errors.append(
                {
                    "line": line,
                    "error": _("the point %(lat)s, %(lon)s lies outside Indonesia")
                    % {"lat": lat, "lon": lon},
                }
            )
            continue
        parsed.append((line, row["village_code"], lat, lon))
    villages = dict(
        Territory.objects.filter(level=Level.VILLAGE, code__in={p[1] for p in parsed}).values_list(
            "code", "pk"
        )
    )
    for line, code, _lat, _lon in parsed:
        if code not in villages:
            errors.append(
                {"line": line, "error": _("unknown village code %(code)s") % {"code": code}}
            )
    if errors:
        errors.sort(key=lambda e: e["line"])
        raise ImportFailed(
            _("%(count)s bad rows; nothing was imported.") % {"count": errors.total}, errors
        )
    with transaction.atomic():
        for _line, code, lat, lon in parsed:
            village = Territory.objects.select_for_update().get(pk=villages[code])
            before = snapshot(village, ["latitude", "longitude"])
            village.latitude, village.longitude = lat, lon
            village.save(update_fields=["latitude", "longitude"])
            log_action(
                "territory.point_imported",
                village,
                actor=actor,
                before=before,
                after=snapshot(village, ["latitude", "longitude"]),
                territory_code=code,
            )
    return len(parsed)
