"""The public figures of a regency for one month, read from the roll-ups and protected.

Every table the public sees (portal pages, CSV/JSON downloads, the public API) is a `Dataset`
built here: the values of every village, district and the regency, the constraints that tie
them (groups add up to the total; villages add up to their district; districts to the regency)
and the status `suppression.protect` gives each cell. Pages show a part of a dataset, never a
figure computed elsewhere, so what one page hides no other page reveals.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Sum
from django.utils.translation import gettext as _

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.analytics.units import add_months
from jaga.incidents.models import CategoryGroup
from jaga.reports import suppression
from jaga.territory.models import Level, Territory

CACHE_SECONDS = 300
SURVEY_THRESHOLD = 10  # fewer answers than this and a survey result is not published
SURVEY_MONTHS = 12  # survey results cover the twelve months up to the chosen month


@dataclass
class Node:
    code: str
    name: str
    level: str
    parent: str


@dataclass
class Dataset:
    """A protected table: nodes × columns, with the true values kept private to this module."""

    kind: str
    month: datetime.date
    nodes: dict[str, Node]
    columns: list[str]
    column_labels: dict[str, str]
    threshold: int
    _values: dict[Hashable, int] = field(repr=False)
    status: dict[Hashable, str]

    def public(self, code: str, column: str) -> int | str:
        key = (code, column)
        return suppression.public_value(self._values[key], self.status[key], self.threshold)

    def row(self, code: str) -> list[int | str]:
        return [self.public(code, c) for c in self.columns]

    def children(self, code: str) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.parent == code), key=lambda n: n.code)

    def is_shown(self, code: str, column: str) -> bool:
        return self.status[(code, column)] == suppression.SHOWN


def _nodes(regency_code: str) -> dict[str, Node]:
    """The regency, its districts and villages (one query)."""
    rows = Territory.objects.filter(
        level__in=[Level.REGENCY, Level.DISTRICT, Level.VILLAGE], regency_code=regency_code
    ).values_list("code", "name", "level", "parent__code")
    nodes = {
        code: Node(code=code, name=name, level=level, parent=parent or "")
        for code, name, level, parent in rows
    }
    regency = Territory.objects.filter(code=regency_code).values_list("name", flat=True).first()
    nodes[regency_code] = Node(regency_code, regency or regency_code, Level.REGENCY, "")
    return nodes


def _build(
    kind: str,
    month: datetime.date,
    regency_code: str,
    leaf: dict[tuple[str, str], int],
    columns: list[str],
    labels: dict[str, str],
    within: list[tuple[str, list[str]]],
    threshold: int = suppression.THRESHOLD,
    nodes: dict[str, Node] | None = None,
) -> Dataset:
    """Sum village values up the hierarchy, add the within-node totals, protect."""
    nodes = nodes or _nodes(regency_code)
    kids: dict[str, list[str]] = defaultdict(list)
    for node in nodes.values():
        if node.parent in nodes:
            kids[node.parent].append(node.code)
    values: dict[Hashable, int] = {}
    base_columns = [c for c in columns if not any(c == t for t, _ in within)]
    for code, node in nodes.items():
        if node.level == Level.VILLAGE:
            for col in base_columns:
                values[(code, col)] = int(leaf.get((code, col), 0))
    for level in (Level.DISTRICT, Level.REGENCY):
        for code, node in nodes.items():
            if node.level != level:
                continue
            for col in base_columns:
                values[(code, col)] = sum(values[(c, col)] for c in kids[code])
    constraints: list[suppression.Constraint] = []
    for code in nodes:
        for total, parts in within:
            values[(code, total)] = sum(values[(code, p)] for p in parts)
            constraints.append(((code, total), [(code, p) for p in parts]))
    for code in nodes:
        if kids[code]:
            for col in columns:
                constraints.append(((code, col), [(k, col) for k in kids[code]]))
    status = suppression.protect(values, constraints, threshold)
    return Dataset(kind, month, nodes, columns, labels, threshold, values, status)


def group_labels() -> dict[str, str]:
    return {
        CategoryGroup.KONVENSIONAL: _("Conventional"),
        CategoryGroup.TRANSNASIONAL: _("Transnational"),
        CategoryGroup.KEKAYAAN_NEGARA: _("State assets"),
        CategoryGroup.KONTINJENSI: _("Contingency"),
        "total": _("Total"),
    }


def incidents(regency_code: str, month: datetime.date) -> Dataset:
    """Disturbances of the month by Polri group, per village, district and the regency."""
    rows = (
        MonthlyIncidentCount.objects.filter(regency_code=regency_code, month=month)
        .values("village__code", "category__group")
        .annotate(n=Sum("count"))
    )
    leaf = {(r["village__code"], r["category__group"]): r["n"] for r in rows}
    groups = list(CategoryGroup.values)
    return _build(
        "incidents",
        month,
        regency_code,
        leaf,
        [*groups, "total"],
        group_labels(),
        [("total", groups)],
    )


def desk_labels() -> dict[str, str]:
    return {
        "received": _("Reports received"),
        "resolved": _("Resolved"),
        "in_time": _("Resolved in time"),
        "late": _("Resolved late"),
    }


def desk(regency_code: str, month: datetime.date) -> Dataset:
    """Service-desk performance: received, resolved, resolved in time and late."""
    rows = (
        MonthlyMetric.objects.filter(
            regency_code=regency_code,
            month=month,
            metric__in=["requests.received", "requests.resolved", "requests.resolved_in_time"],
        )
        .values("village__code", "metric")
        .annotate(v=Sum("value"))
    )
    by = {
        "requests.received": "received",
        "requests.resolved": "resolved",
        "requests.resolved_in_time": "in_time",
    }
    raw: dict[tuple[str, str], int] = {(r["village__code"], by[r["metric"]]): r["v"] for r in rows}
    leaf: dict[tuple[str, str], int] = {}
    villages = {v for v, _ in raw}
    for v in villages:
        resolved = raw.get((v, "resolved"), 0)
        in_time = min(raw.get((v, "in_time"), 0), resolved)
        leaf[(v, "received")] = raw.get((v, "received"), 0)
        leaf[(v, "in_time")] = in_time
        leaf[(v, "late")] = resolved - in_time
    return _build(
        "desk",
        month,
        regency_code,
        leaf,
        ["received", "resolved", "in_time", "late"],
        desk_labels(),
        [("resolved", ["in_time", "late"])],
    )


def activities(regency_code: str, month: datetime.date, metric: str = "count") -> Dataset:
    """Partnership activities of the month per programme (`count` or `head_count`)."""
    from jaga.programs.models import Programme

    rows = (
        MonthlyMetric.objects.filter(
            regency_code=regency_code, month=month, metric=f"activities.{metric}"
        )
        .values("village__code", "key")
        .annotate(v=Sum("value"))
    )
    leaf = {(r["village__code"], r["key"] or "-"): r["v"] for r in rows}
    keys = sorted({k for _, k in leaf})
    names = dict(Programme.objects.filter(code__in=keys).values_list("code", "name"))
    labels = {k: names.get(k, k) for k in keys}
    labels["total"] = _("Total")
    return _build(
        f"activities.{metric}",
        month,
        regency_code,
        leaf,
        [*keys, "total"],
        labels,
        [("total", keys)],
    )


def cached(kind: str, regency_code: str, month: datetime.date) -> Any:
    """A dataset from the cache (five minutes): the portal is read far more than written."""
    from django.utils.translation import get_language

    key = f"jaga:public:{kind}:{regency_code}:{month:%Y-%m}:{get_language()}"
    found = cache.get(key)
    if found is not None:
        return found
    builders: dict[str, Any] = {
        "incidents": incidents,
        "desk": desk,
        "activities.count": lambda r, m: activities(r, m, "count"),
        "activities.head_count": lambda r, m: activities(r, m, "head_count"),
        "surveys": surveys,
    }
    dataset = builders[kind](regency_code, month)
    # Past months rarely change: keep them an hour; the current month five minutes.
    from django.utils import timezone

    current = timezone.localdate().replace(day=1)
    cache.set(key, dataset, CACHE_SECONDS if month >= current else 12 * CACHE_SECONDS)
    return dataset


# ---- surveys: respondents protected with a threshold of 10, results only where shown -----------


@dataclass
class SurveyDataset:
    respondents: Dataset
    results: dict[str, dict[str, Any]]  # node code -> {"trust": estimates, "ikm": result}

    @property
    def month(self) -> datetime.date:
        return self.respondents.month


def survey_labels() -> dict[str, str]:
    return {"trust": _("Safety and trust survey"), "ikm": _("IKM satisfaction survey")}


def surveys(regency_code: str, month: datetime.date) -> SurveyDataset:
    """Survey respondents over the twelve months to `month`; results only for districts and
    the regency where the respondents are published (at least 10, protected like counts)."""
    from jaga.surveys import ikm as ikm_math
    from jaga.surveys.models import IKM_ELEMENTS
    from jaga.surveys.queries import current_bands, current_weights, summarise_trust

    start = add_months(month, -(SURVEY_MONTHS - 1))
    rows = (
        MonthlyMetric.objects.filter(
            regency_code=regency_code,
            month__gte=start,
            month__lte=month,
            metric__in=[
                "surveys.trust.n",
                "surveys.trust.sum",
                "surveys.trust.sumsq",
                "surveys.ikm.n",
                "surveys.ikm.sum",
            ],
        )
        .values("village__code", "district_code", "metric", "key")
        .annotate(v=Sum("value"))
    )
    leaf: dict[tuple[str, str], int] = defaultdict(int)
    sums: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["metric"] == "surveys.trust.n":
            leaf[(r["village__code"], "trust")] += r["v"]
        elif r["metric"] == "surveys.ikm.n":
            leaf[(r["village__code"], "ikm")] += r["v"]
        for code in (r["district_code"], regency_code):
            sums[code][(r["metric"], r["key"])] += r["v"]
    dataset = _build(
        "surveys",
        month,
        regency_code,
        dict(leaf),
        ["trust", "ikm"],
        survey_labels(),
        [],
        threshold=SURVEY_THRESHOLD,
    )
    results: dict[str, dict[str, Any]] = {}
    weights, bands = current_weights(), current_bands()
    for code, node in dataset.nodes.items():
        if node.level == Level.VILLAGE:
            continue  # villages: too few answers to publish means safely
        entry: dict[str, Any] = {}
        if dataset.is_shown(code, "trust"):
            entry["trust"] = summarise_trust(dict(sums[code]))
        if dataset.is_shown(code, "ikm"):
            n = sums[code][("surveys.ikm.n", "")]
            entry["ikm"] = ikm_math.compute(
                n, {c: sums[code][("surveys.ikm.sum", c)] for c in IKM_ELEMENTS}, weights, bands
            )
        results[code] = entry
    return SurveyDataset(dataset, results)
