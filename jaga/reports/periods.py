"""Village figures a resident can read: disturbances per quarter, all groups combined.

A village's monthly counts are almost all below 3, so the monthly tables publish districts and the
regency only. Over a quarter, with the groups combined, many villages have enough to publish. The
quarter table is protected *together with* the three monthly tables it overlaps (the quarter of a
district is the sum of its three published monthly totals): one integer program holds the quarter
cells of every village, district and the regency, the monthly incidents cells of its districts
and regency with their published values fixed and their withheld cells free, and every total
that ties them. `suppression.protect` withholds quarter cells until every withheld small cell —
new or from the monthly tables — has a filling at 3 or more that agrees with everything
published. Quarters do not overlap, so the programs of different quarters share no cell and the
guarantee holds for all of them together (a moving twelve-month window would not: two windows a
month apart give a month's count by difference).

The quarter is published with the figures of its last month (`public.compute`), from the stored
monthly rows of its first two months; if those are missing, or no longer match the roll-ups (late
records: re-publish the months), the quarter is not published.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from django.db.models import Sum

from jaga.analytics.models import MonthlyIncidentCount
from jaga.core.months import add_months
from jaga.incidents.models import CategoryGroup
from jaga.reports import suppression
from jaga.territory.models import Level

QUARTER_MONTHS = 3
LEVEL_WEIGHT: dict[str, float] = {"village": 1.0, "district": 3.0, "regency": 9.0}


def quarter_start(month: datetime.date) -> datetime.date:
    return month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)


def is_quarter_end(month: datetime.date) -> bool:
    return month.month % 3 == 0


def quarter_label(end: datetime.date) -> str:
    """'2022-Q1' for the quarter that ends in March 2022."""
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}"


def _monthly_truth(
    regency_code: str, months: list[datetime.date], nodes: dict[str, Any], sensitive: set[int]
) -> tuple[dict[tuple[datetime.date, str, str], int], dict[str, int]]:
    """True incidents per month, district/regency and group (with 'total'), and the quarter's
    true total per village (non-sensitive categories only, as the monthly tables count)."""
    rows = (
        MonthlyIncidentCount.objects.filter(regency_code=regency_code, month__in=months)
        .exclude(category_id__in=sensitive)
        .values("month", "village__code", "category__group")
        .annotate(n=Sum("count"))
    )
    monthly: dict[tuple[datetime.date, str, str], int] = defaultdict(int)
    villages: dict[str, int] = defaultdict(int)
    groups = list(CategoryGroup.values)
    for r in rows:
        village = r["village__code"]
        if village not in nodes:
            continue
        district = nodes[village].parent
        for code in (district, regency_code):
            monthly[(r["month"], code, r["category__group"])] += r["n"]
            monthly[(r["month"], code, "total")] += r["n"]
        villages[village] += r["n"]
    for month in months:
        for code, node in nodes.items():
            if node.level != Level.VILLAGE:
                for col in [*groups, "total"]:
                    monthly.setdefault((month, code, col), 0)
    return monthly, villages


def _published_months(
    months: list[datetime.date],
    tables: dict[datetime.date, dict[str, Any]],
    nodes: dict[str, Any],
    monthly: dict[tuple[datetime.date, str, str], int],
) -> tuple[dict[Hashable, int], set[Hashable], set[Hashable], list[suppression.Constraint]] | None:
    """The monthly cells as published (values, withheld, kept, and each row's total), or None
    when a published table names an unknown territory or no longer matches the roll-ups."""
    values: dict[Hashable, int] = {}
    withheld: set[Hashable] = set()
    keep: set[Hashable] = set()
    constraints: list[suppression.Constraint] = []
    for month in months:
        table = tables[month]
        columns = table["columns"]
        for code, cells in table["cells"].items():
            if code not in nodes:
                return None
            for col, shown in zip(columns, cells, strict=True):
                key = ("m", month, code, col)
                values[key] = monthly.get((month, code, col), 0)
                if shown == suppression.WITHHELD:
                    withheld.add(key)
                elif shown != values[key]:
                    return None  # late records since the month was published
                else:
                    keep.add(key)
            parts = [c for c in columns if c != "total"]
            constraints.append(
                (("m", month, code, "total"), [("m", month, code, c) for c in parts])
            )
    return values, withheld, keep, constraints


def _add_quarter_cells(
    months: list[datetime.date],
    tables: dict[datetime.date, dict[str, Any]],
    nodes: dict[str, Any],
    villages: dict[str, int],
    values: dict[Hashable, int],
    constraints: list[suppression.Constraint],
) -> None:
    """Add each territory's quarter total, and the sums that tie it to its children and to the
    months, so that no withheld cell can be worked out by subtraction."""
    kids: dict[str, list[str]] = defaultdict(list)
    for code, node in nodes.items():
        if node.parent in nodes:
            kids[node.parent].append(code)
    for code, node in nodes.items():
        if node.level == Level.VILLAGE:
            values[("q", code)] = villages.get(code, 0)
    for level in (Level.DISTRICT, Level.REGENCY):
        for code, node in nodes.items():
            if node.level == level:
                values[("q", code)] = sum(values[("q", k)] for k in kids[code])
    for code, node in nodes.items():
        if node.level == Level.VILLAGE:
            continue
        if kids[code]:
            constraints.append((("q", code), [("q", k) for k in kids[code]]))
        constraints.append((("q", code), [("m", m, code, "total") for m in months]))
        if node.level == Level.REGENCY:
            for month in months:
                columns = tables[month]["columns"]
                for col in columns:
                    district_cells = [
                        ("m", month, k, col) for k in kids[code] if ("m", month, k, col) in values
                    ]
                    constraints.append((("m", month, code, col), district_cells))


def quarter(
    regency_code: str,
    end: datetime.date,
    nodes: dict[str, Any],
    tables: dict[datetime.date, dict[str, Any]],
    sensitive: set[int],
) -> dict[str, Any] | None:
    """The protected quarter table ending in month `end` (JSON-ready), or None.

    `tables`: the published monthly incidents tables (`payload["tables"]["incidents"]`) of the
    quarter's three months. None when one is missing or its published values no longer match
    the roll-ups.
    """
    months = [add_months(quarter_start(end), i) for i in range(QUARTER_MONTHS)]
    if any(m not in tables for m in months):
        return None
    monthly, villages = _monthly_truth(regency_code, months, nodes, sensitive)
    published = _published_months(months, tables, nodes, monthly)
    if published is None:
        return None
    values, withheld, keep, constraints = published
    _add_quarter_cells(months, tables, nodes, villages, values, constraints)
    weights: dict[Hashable, float] = {
        ("q", code): LEVEL_WEIGHT.get(str(node.level), 1.0) for code, node in nodes.items()
    }
    quarter_cells = {("q", code) for code in nodes}
    status = suppression.protect(values, constraints, weights=weights, withheld=withheld, keep=keep)
    if any(status[k] != suppression.SHOWN for k in keep):
        # an earlier figure cannot be taken back: withhold every quarter cell instead
        status = {
            k: (suppression.COMPLEMENTARY if k in quarter_cells else s) for k, s in status.items()
        }
    cells = {
        code: suppression.public_value(values[("q", code)], status[("q", code)]) for code in nodes
    }
    return {
        "label": quarter_label(end),
        "start": months[0].strftime("%Y-%m"),
        "end": end.strftime("%Y-%m"),
        "cells": cells,
        "withheld": sum(1 for code in nodes if status[("q", code)] != suppression.SHOWN),
    }
