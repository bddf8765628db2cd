"""What the public portal shows of a territory: parts of the protected datasets of its regency."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.analytics import queries, units
from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.reports import public
from jaga.territory.models import Level, Territory

LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
TABLES = ["incidents", "desk", "activities.count", "activities.head_count"]


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
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def parse_month(text: str | None, regency_code: str) -> datetime.date:
    """`YYYY-MM` from the query string, else the latest finished month with figures."""
    month = units.parse_month(text)
    if month is not None:
        return month
    latest = [
        MonthlyIncidentCount.objects.filter(regency_code=regency_code).aggregate(m=Max("month"))[
            "m"
        ],
        MonthlyMetric.objects.filter(regency_code=regency_code).aggregate(m=Max("month"))["m"],
    ]
    found = [m for m in latest if m is not None]
    if found:
        return min(max(found), last_complete_month())
    return last_complete_month()


def trend(territory: Territory, month: datetime.date) -> list[str]:
    """The analytics trend of a regency or district up to the month, in words (cached).

    Only the rate ratio and the tests are said, no monthly count, so nothing small is shown;
    a village's series is too small to publish at all.
    """
    from django.core.cache import cache
    from django.utils.translation import get_language

    from jaga.reports.anev import TREND_MONTHS, trend_statement, unit_of

    if territory.level not in (Level.REGENCY, Level.DISTRICT):
        return []
    key = f"jaga:public:trend:{territory.code}:{month:%Y-%m}:{get_language()}"
    found = cache.get(key)
    if found is None:
        fit = queries.trend(unit_of(territory), month, months=TREND_MONTHS)["fit"]
        found = trend_statement(fit)
        cache.set(key, found, public.CACHE_SECONDS)
    return list(found)


def table_titles() -> dict[str, str]:
    return {
        "incidents": _("Kamtibmas disturbances by group"),
        "desk": _("Service desk performance"),
        "activities.count": _("Partnership activities by programme"),
        "activities.head_count": _("People reached by programme activities"),
        "surveys": _("Survey respondents (last 12 months)"),
    }


def _table(dataset: public.Dataset, territory: Territory) -> dict[str, Any]:
    """Rows for a territory: its children (if any), then the territory itself."""
    rows = []
    for child in dataset.children(territory.code):
        rows.append({"code": child.code, "name": child.name, "cells": dataset.row(child.code)})
    columns = [dataset.column_labels.get(c, c) for c in dataset.columns]
    return {
        "kind": dataset.kind,
        "title": table_titles()[dataset.kind],
        "columns": columns,
        "pairs": list(zip(columns, dataset.row(territory.code), strict=True)),
        "rows": rows,
        "total": {
            "code": territory.code,
            "name": territory.name,
            "cells": dataset.row(territory.code),
        },
    }


def page(territory: Territory, month: datetime.date) -> dict[str, Any]:
    regency_code = territory.regency_code or territory.code
    tables = []
    for kind in TABLES:
        dataset = public.cached(kind, regency_code, month)
        if kind.startswith("activities") and len(dataset.columns) <= 1:
            continue
        tables.append(_table(dataset, territory))
    surveys = public.cached("surveys", regency_code, month)
    return {
        "tables": tables,
        "trend": trend(territory, month),
        "surveys": survey_view(surveys, territory),
    }


def survey_view(data: public.SurveyDataset, territory: Territory) -> dict[str, Any]:
    code = territory.code if territory.level != Level.VILLAGE else territory.district_code
    entry = data.results.get(code, {})
    return {
        "territory_code": code,
        "respondents": _table(data.respondents, territory),
        "trust": entry.get("trust"),
        "ikm": entry.get("ikm"),
        "threshold": public.SURVEY_THRESHOLD,
    }


def flat_rows(territory: Territory, month: datetime.date) -> list[dict[str, Any]]:
    """The open-data rows of a territory and everything inside it (long format)."""
    regency_code = territory.regency_code or territory.code
    out = []
    for kind in [*TABLES, "surveys"]:
        dataset = public.cached(kind, regency_code, month)
        if isinstance(dataset, public.SurveyDataset):
            out.extend(_survey_results(dataset, territory, month))
            dataset = dataset.respondents
        for code, node in sorted(dataset.nodes.items()):
            if not (code == territory.code or code.startswith(territory.code + ".")):
                continue
            for column in dataset.columns:
                out.append(
                    {
                        "month": month.strftime("%Y-%m"),
                        "territory_code": code,
                        "territory_name": node.name,
                        "level": node.level,
                        "table": kind,
                        "column": column,
                        "value": dataset.public(code, column),
                    }
                )
    return out


def _survey_results(
    data: public.SurveyDataset, territory: Territory, month: datetime.date
) -> list[dict[str, Any]]:
    """Published survey results (districts and the regency with enough answers)."""
    out = []
    for code, entry in sorted(data.results.items()):
        if not (code == territory.code or code.startswith(territory.code + ".")):
            continue
        node = data.respondents.nodes[code]
        values: list[tuple[str, float | str]] = []
        trust = entry.get("trust")
        if trust is not None:
            for question, est in trust.estimates.items():
                if est is not None:
                    values.append((f"trust.{question}", round(est.value, 3)))
        ikm = entry.get("ikm")
        if ikm is not None:
            values += [("ikm.converted", float(ikm.converted)), ("ikm.grade", ikm.grade)]
        for column, value in values:
            out.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "territory_code": code,
                    "territory_name": node.name,
                    "level": node.level,
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
                "incidents (disturbances by Polri group), desk (service desk), activities.count "
                "(partnership activities by programme), activities.head_count (people reached), "
                "surveys (respondents of the last 12 months), surveys.results (their results: "
                "trust means 1–5 and yes shares 0–1, IKM 25–100 and grade; districts and the "
                "regency only)."
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
                'A whole number; "<3" when the count is below 3 (below 10 for survey '
                'respondents); "x" when withheld so that a small count cannot be worked out '
                "from the totals."
            ),
        },
    ]


def regencies_with_data() -> list[Territory]:
    codes = set(MonthlyIncidentCount.objects.values_list("regency_code", flat=True).distinct())
    codes |= set(MonthlyMetric.objects.values_list("regency_code", flat=True).distinct())
    return list(Territory.objects.filter(code__in=codes, level=Level.REGENCY).order_by("code"))
