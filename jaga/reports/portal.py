"""What the public portal shows of a territory: parts of the stored, protected figures of its
regency (`PublicFigures`); nothing here reads the roll-ups or computes a figure on request."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.analytics import units
from jaga.core.months import add_months, month_start
from jaga.programs import metrics as programme_metrics
from jaga.reports import public
from jaga.reports.models import PublicFigures
from jaga.territory.models import Level, Territory

LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
TABLES = public.TABLES


def public_territory(code: str) -> Territory | None:
    """A regency, district or village the portal can show (provinces are too broad)."""
    return (
        Territory.objects.filter(
            code=code, level__in=[Level.REGENCY, Level.DISTRICT, Level.VILLAGE]
        )
        .select_related("parent")
        .first()
    )


def last_complete_month() -> datetime.date:
    """The portal opens on a finished month: the current one's figures are still coming in."""
    return add_months(month_start(timezone.localdate()), -1)


def parse_month(text: str | None, regency_code: str) -> datetime.date:
    """`YYYY-MM` from the query string, else the latest published month (else the last
    finished one, which then says that nothing is published yet)."""
    month = units.parse_month(text)
    if month is not None:
        return month
    latest = PublicFigures.objects.filter(
        regency_code=regency_code, month__lte=last_complete_month()
    ).aggregate(m=Max("month"))["m"]
    return latest or last_complete_month()


def month_to_show(
    text: str | None, regency_code: str
) -> tuple[datetime.date, datetime.date | None]:
    """The month a page shows, and the month being prepared (or None).

    A month closes at midnight; its figures are computed by a task, never on a request. Until
    they are stored, a page asked for the latest figures (or for that month) shows the previous
    stored month, says the new one is being prepared, and makes sure the task is queued.
    """
    asked = units.parse_month(text)
    closed = last_complete_month()
    if asked is not None and asked != closed:
        return asked, None
    latest = PublicFigures.objects.filter(regency_code=regency_code, month__lte=closed).aggregate(
        m=Max("month")
    )["m"]
    if latest is None or latest == closed:
        return asked or closed, None  # published, or a regency that never published anything
    queue_publishing(regency_code, closed)
    return latest, closed


def queue_publishing(regency_code: str, month: datetime.date) -> bool:
    """Queue the `publish_month` task of a closed month, once per `PORTAL_PUBLISH_RETRY`
    seconds (many visitors after midnight queue it once; a failed run is retried later)."""
    from django.conf import settings
    from django.core.cache import cache

    from jaga.reports.tasks import publish_month

    key = f"portal:publishing:{regency_code}:{month:%Y-%m}"
    if not cache.add(key, True, timeout=settings.PORTAL_PUBLISH_RETRY):
        return False
    publish_month.enqueue(regency_code, month.strftime("%Y-%m"))
    return True


def preparing_note(month: datetime.date, shown: datetime.date) -> str:
    from django.utils.formats import date_format

    return _(
        "The figures for %(month)s are being prepared; until they are ready, these are the "
        "figures for %(shown)s."
    ) % {"month": date_format(month, "F Y"), "shown": date_format(shown, "F Y")}


def table_titles() -> dict[str, str]:
    return {
        "incidents": _("Kamtibmas disturbances by group"),
        "desk": _("Service desk performance"),
        programme_metrics.ACTIVITIES_HELD: _("Partnership activities held, by programme"),
        programme_metrics.HEAD_COUNT: _("People reached by programme activities"),
        "surveys": _("Survey respondents (last 12 months)"),
    }


def _labels(kind: str, stored: dict[str, str]) -> dict[str, str]:
    """Column labels in the reader's language (programme names as stored)."""
    if kind == "incidents":
        return {**stored, **public.group_labels()}
    if kind == "desk":
        return {**stored, **public.desk_labels()}
    if kind == "surveys":
        return public.survey_labels()
    return stored


class Figures:
    """The stored figures of a regency and month, as the pages read them."""

    def __init__(self, payload: dict[str, Any]):
        self.payload = payload
        self.nodes = payload["nodes"]

    def in_territory(self, code: str) -> list[str]:
        return sorted(c for c in self.nodes if c == code or c.startswith(code + "."))

    def children(self, code: str) -> list[str]:
        return sorted(c for c, (_n, _l, parent) in self.nodes.items() if parent == code)

    @property
    def stale(self) -> bool:
        """Stored before a table published today existed (`public.current_q`)."""
        return any(kind not in self.payload["tables"] for kind in TABLES)

    def tables(self) -> list[tuple[str, dict[str, Any]]]:
        # A stale row's old tables are not shown (the activities it counted per village covered
        # summed too many); the month is published again (`page` queues it).
        stored = self.payload["tables"]
        out = [(kind, stored[kind]) for kind in TABLES if kind in stored]
        surveys = self.payload["surveys"]
        out.append(("surveys", {"columns": surveys["columns"], "cells": surveys["cells"]}))
        return out

    def table(self, kind: str, table: dict[str, Any], code: str) -> dict[str, Any]:
        """Rows for a territory: its children (if any), then the territory itself. A village
        has no published counts of its own: its district's row stands in."""
        labels = _labels(kind, table.get("labels", {}))
        columns = [labels.get(c, c) for c in table["columns"]]
        while code not in table["cells"] and "." in code:
            code = self.nodes[code][2]
        own = table["cells"][code]
        return {
            "kind": kind,
            "title": table_titles()[kind],
            "columns": columns,
            "pairs": list(zip(columns, own, strict=True)),
            "rows": [
                {"code": c, "name": self.nodes[c][0], "cells": table["cells"][c]}
                for c in self.children(code)
                if c in table["cells"]
            ],
            "total": {"code": code, "name": self.nodes[code][0], "cells": own},
        }


def not_published_note(month: datetime.date) -> str:
    return _(
        "The figures for %(month)s have not been published yet. Figures are published after a "
        "month has closed; please look again later or choose another month."
    ) % {"month": month.strftime("%Y-%m")}


def figures(regency_code: str, month: datetime.date) -> Figures | None:
    payload = public.stored(regency_code, month)
    return Figures(payload) if payload is not None else None


def page(territory: Territory, month: datetime.date) -> dict[str, Any]:
    """The portal page's figures, from the stored row only; `published` False without one."""
    from django.utils.translation import get_language

    from jaga.reports import portal_series

    stored = portal_series.history(territory.regency_code or territory.code, month)
    found = Figures(stored[month]) if month in stored else None
    if found is None or territory.code not in found.nodes:
        return {"published": False, "tables": [], "trend": [], "surveys": None, "series": None}
    if found.stale:
        queue_publishing(territory.regency_code or territory.code, month)
    tables = []
    for kind, table in found.tables()[:-1]:
        if kind.startswith("activities") and not table["columns"]:
            continue
        tables.append(found.table(kind, table, territory.code))
    trend = found.payload["trend"].get(territory.code, {})
    language = (get_language() or "id")[:2]
    surveys = found.payload["surveys"]
    code = territory.code if territory.level != Level.VILLAGE else territory.district_code
    entry = surveys["results"].get(code, {})
    return {
        "published": True,
        "village": territory.level == Level.VILLAGE,
        "tables": tables,
        "trend": trend.get(language) or trend.get("id") or [],
        "series": portal_series.section(territory, month, stored),
        "surveys": {
            "territory_code": code,
            "respondents": found.table("surveys", found.tables()[-1][1], territory.code),
            "trust": entry.get("trust"),
            "ikm": entry.get("ikm"),
            "threshold": public.SURVEY_THRESHOLD,
        },
    }


def flat_rows(territory: Territory, month: datetime.date) -> list[dict[str, Any]] | None:
    """The open-data rows of a territory and everything inside it (long format), from the
    stored figures; None when the month is not published."""
    found = figures(territory.regency_code or territory.code, month)
    if found is None or territory.code not in found.nodes:
        return None
    label = month.strftime("%Y-%m")
    out = []
    codes = found.in_territory(territory.code)
    for kind, table in found.tables():
        for code in codes:
            if code not in table["cells"]:
                continue  # villages: no monthly counts of their own
            name, level, _parent = found.nodes[code]
            for column, value in zip(table["columns"], table["cells"][code], strict=True):
                out.append(
                    {
                        "month": label,
                        "territory_code": code,
                        "territory_name": name,
                        "level": level,
                        "table": kind,
                        "column": column,
                        "value": value,
                    }
                )
    quarter: dict[str, Any] = found.payload.get("quarter") or {"cells": {}}
    for code in codes:
        if code in quarter["cells"]:
            name, level, _parent = found.nodes[code]
            out.append(
                {
                    "month": label,
                    "territory_code": code,
                    "territory_name": name,
                    "level": level,
                    "table": "incidents.quarter",
                    "column": "total",
                    "value": quarter["cells"][code],
                }
            )
    for code, entry in sorted(found.payload["surveys"]["results"].items()):
        if code not in codes:
            continue
        name, level, _parent = found.nodes[code]
        values: list[tuple[str, float | str]] = []
        for question, est in (entry.get("trust") or {}).get("estimates", {}).items():
            values.append((f"trust.{question}", round(est["value"], 3)))
        if entry.get("ikm"):
            values += [
                ("ikm.converted", entry["ikm"]["converted"]),
                ("ikm.grade", entry["ikm"]["grade"]),
            ]
        for column, value in values:
            out.append(
                {
                    "month": label,
                    "territory_code": code,
                    "territory_name": name,
                    "level": level,
                    "table": "surveys.results",
                    "column": column,
                    "value": value,
                }
            )
    return out


def dictionary() -> list[dict[str, str]]:
    return [
        {"name": "month", "meaning": _("Month of the figures, YYYY-MM.")},
        {
            "name": "territory_code",
            "meaning": _("Kemendagri code of the regency, district or village."),
        },
        {"name": "territory_name", "meaning": _("Name of the territory.")},
        {"name": "level", "meaning": _("regency, district or village.")},
        {
            "name": "table",
            "meaning": _(
                "incidents (disturbances by Polri group), desk (service desk), activities.held "
                "(partnership activities held by programme, each counted once where it was held), "
                "activities.head_count (people reached), "
                "surveys (respondents of the last 12 months), surveys.results (their results: "
                "trust means 1–5 and yes shares 0–1, IKM 25–100 and grade; districts and the "
                "regency only), incidents.quarter (disturbances of all groups in the quarter "
                "that ends in this month, for villages too; published with the quarter's last "
                "month)."
            ),
        },
        {
            "name": "column",
            "meaning": _(
                "The group, measure or programme code: konvensional, transnasional, "
                "kekayaan_negara, kontinjensi, total; received, resolved, in_time, late; a "
                "programme code; trust, ikm."
            ),
        },
        {
            "name": "value",
            "meaning": _(
                'A whole number, or "x" when withheld: every count below 3 is withheld, and so '
                "are enough other figures that no combination of the published ones can show a "
                "withheld count to be below 3. Survey respondents are given in bands "
                '("<10", "10–49", ...).'
            ),
        },
    ]


def regencies_with_data() -> list[Territory]:
    codes = set(PublicFigures.objects.values_list("regency_code", flat=True).distinct())
    return list(Territory.objects.filter(code__in=codes, level=Level.REGENCY).order_by("code"))
