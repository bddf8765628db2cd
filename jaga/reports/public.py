"""The public figures of a regency for one month: computed once, protected, stored.

`publish(regency, month)` (run by `jaga report publish` and the `publish_month` task when a month
closes) reads the roll-ups, leaves out every sensitive service, incident category and programme,
builds each table (`Dataset`: every village, district and the regency, with the constraints that
tie them: groups add up to the total, villages to their district, districts to the regency),
protects it with `suppression.protect` and stores only the published values (`PublicFigures`).
Portal pages, CSV/JSON downloads and the public API show parts of that stored row, never a
figure computed on request, so what one page withholds no other page reveals.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from jaga.analytics.models import MonthlyIncidentCount, MonthlyMetric
from jaga.core.months import add_months
from jaga.incidents.models import CategoryGroup
from jaga.programs import metrics as programme_metrics
from jaga.reports import suppression
from jaga.reports.models import PublicFigures
from jaga.servicedesk import metrics as desk_metrics
from jaga.surveys import metrics as survey_metrics
from jaga.territory.models import Level, Territory

logger = logging.getLogger(__name__)
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


LEVEL_WEIGHT: dict[str, float] = {Level.VILLAGE: 1.0, Level.DISTRICT: 3.0, Level.REGENCY: 9.0}


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
    open_columns: tuple[str, ...] = (),
) -> Dataset:
    """Sum village values up the hierarchy, add the within-node totals, protect.

    `open_columns` are figures anyone can already count elsewhere (the desk's received reports,
    listed one by one by Open311): published as they are, outside the suppression.
    """
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
    # Villages are not published: a village's monthly counts are nearly all below 3 (on the demo
    # 95 % of them), so its row would be withheld anyway; the districts and the regency are.
    kids = {
        code: [k for k in members if nodes[k].level != Level.VILLAGE]
        for code, members in kids.items()
    }
    nodes = {code: node for code, node in nodes.items() if node.level != Level.VILLAGE}
    values = {k: v for k, v in values.items() if k[0] in nodes}  # type: ignore[index]
    constraints: list[suppression.Constraint] = []
    for code in nodes:
        for total, parts in within:
            values[(code, total)] = sum(values[(code, p)] for p in parts)
            constraints.append(((code, total), [(code, p) for p in parts]))
    for code in nodes:
        if kids[code]:
            for col in columns:
                if col not in open_columns:
                    constraints.append(((code, col), [(k, col) for k in kids[code]]))
    totals = {t for t, _ in within}
    protected = {k: v for k, v in values.items() if k[1] not in open_columns}  # type: ignore[index]
    weights: dict[Hashable, float] = {}
    for key in protected:
        node_code, col_name = cast(tuple[str, str], key)
        weights[key] = LEVEL_WEIGHT.get(str(nodes[node_code].level), 1.0) * (
            2.0 if col_name in totals else 1.0
        )
    status = suppression.protect(protected, constraints, threshold, weights=weights)
    for key in values:
        status.setdefault(key, suppression.SHOWN)
    return Dataset(kind, month, nodes, columns, labels, threshold, values, status)


# ---- what is never counted in public ------------------------------------------------------------


def sensitive_service_codes() -> set[str]:
    """Services marked sensitive (domestic violence, pasung, ...): in no public count."""
    from jaga.servicedesk.models import Service

    return set(Service.objects.filter(sensitive=True).values_list("code", flat=True))


def sensitive_category_ids() -> set[int]:
    """Incident categories of sensitive services (and their own codes), with every child."""
    from jaga.incidents.models import Category
    from jaga.servicedesk.models import Service

    services = Service.objects.filter(sensitive=True)
    codes = set(services.values_list("code", flat=True))
    found = set(services.exclude(category=None).values_list("category_id", flat=True))
    tree = list(Category.objects.values_list("id", "code", "parent_id"))
    found |= {pk for pk, code, _parent in tree if code in codes}
    grew = True
    while grew:
        more = {pk for pk, _code, parent in tree if parent in found and pk not in found}
        found |= more
        grew = bool(more)
    return found


def sensitive_programme_codes() -> set[str]:
    """Programmes about a sensitive matter (their code or name names a sensitive service, e.g.
    "Bebas Pasung"): their activities would count the people concerned."""
    from jaga.programs.models import Programme
    from jaga.servicedesk.models import Service

    words = {
        w.lower()
        for code in Service.objects.filter(sensitive=True).values_list("code", flat=True)
        for w in [code, *code.split("_")]
        if len(w) >= 4
    }
    out = set()
    for code, name in Programme.objects.values_list("code", "name"):
        text = f"{code} {name}".lower()
        if any(w in text for w in words):
            out.add(code)
    return out


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
        .exclude(category_id__in=sensitive_category_ids())
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
            metric__in=[
                desk_metrics.RECEIVED,
                desk_metrics.RESOLVED,
                desk_metrics.RESOLVED_IN_TIME,
            ],
        )
        .exclude(key__in=sensitive_service_codes())
        .values("village__code", "metric")
        .annotate(v=Sum("value"))
    )
    by: dict[str, str] = {
        desk_metrics.RECEIVED: "received",
        desk_metrics.RESOLVED: "resolved",
        desk_metrics.RESOLVED_IN_TIME: "in_time",
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
        open_columns=("received",),
    )


def activities(regency_code: str, month: datetime.date, metric: str = "held") -> Dataset:
    """Partnership activities of the month per programme (`held`, or `head_count`), both counted
    once, in the village where the activity was held: the districts and the regency are sums of
    their villages, and an activity covering many villages is still one activity."""
    from jaga.programs.models import Programme

    name = {
        "held": programme_metrics.ACTIVITIES_HELD,
        "head_count": programme_metrics.HEAD_COUNT,
    }[metric]
    rows = (
        MonthlyMetric.objects.filter(regency_code=regency_code, month=month, metric=name)
        .exclude(key__in=sensitive_programme_codes())
        .values("village__code", "key")
        .annotate(v=Sum("value"))
    )
    leaf = {(r["village__code"], r["key"] or "-"): r["v"] for r in rows}
    keys = sorted({k for _, k in leaf})
    names = dict(Programme.objects.filter(code__in=keys).values_list("code", "name"))
    labels = {k: names.get(k, k) for k in keys}
    # No total over the programmes: each programme's column is protected on its own (a total
    # would tie every programme's small counts together into one much larger problem).
    return _build(name, month, regency_code, leaf, keys, labels, [])


# ---- surveys: respondents in bands, results only with at least 10 answers ---------------------


def survey_band(n: int) -> str:
    """Survey respondents are published in bands, never as a count (a window of twelve months
    moves by one month at a time: exact counts would give each month's answers by difference)."""
    if n < SURVEY_THRESHOLD:
        return suppression.below(SURVEY_THRESHOLD)
    for top in (50, 100, 250, 500, 1000):
        if n < top:
            low = SURVEY_THRESHOLD if top == 50 else {100: 50, 250: 100, 500: 250, 1000: 500}[top]
            return f"{low}–{top - 1}"
    return "1000+"


def survey_labels() -> dict[str, str]:
    return {"trust": _("Safety and trust survey"), "ikm": _("IKM satisfaction survey")}


def surveys(regency_code: str, month: datetime.date, nodes: dict[str, Node]) -> dict[str, Any]:
    """Survey respondents over the twelve months to `month` (bands per node) and the results
    of districts and the regency where at least 10 people answered."""
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
                survey_metrics.TRUST_N,
                survey_metrics.TRUST_SUM,
                survey_metrics.TRUST_SUMSQ,
                survey_metrics.IKM_N,
                survey_metrics.IKM_SUM,
            ],
        )
        .values("village__code", "district_code", "metric", "key")
        .annotate(v=Sum("value"))
    )
    sums: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for code in (r["village__code"], r["district_code"], regency_code):
            sums[code][(r["metric"], r["key"])] += r["v"]
    cells: dict[str, list[str]] = {}
    results: dict[str, dict[str, Any]] = {}
    weights, bands = current_weights(), current_bands()
    for code, node in nodes.items():
        n_trust = sums[code][(survey_metrics.TRUST_N, "")]
        n_ikm = sums[code][(survey_metrics.IKM_N, "")]
        cells[code] = [survey_band(n_trust), survey_band(n_ikm)]
        if node.level == Level.VILLAGE:
            continue  # villages: too few answers to publish means safely
        entry: dict[str, Any] = {}
        if n_trust >= SURVEY_THRESHOLD:
            summary = summarise_trust(dict(sums[code]))
            entry["trust"] = {
                "estimates": {
                    q: {"value": e.value, "low": e.low, "high": e.high}
                    for q, e in summary.estimates.items()
                    if e is not None
                }
            }
        if n_ikm >= SURVEY_THRESHOLD:
            result = ikm_math.compute(
                n_ikm,
                {c: sums[code][(survey_metrics.IKM_SUM, c)] for c in IKM_ELEMENTS},
                weights,
                bands,
            )
            if result is not None:
                entry["ikm"] = {"converted": float(result.converted), "grade": result.grade}
        results[code] = entry
    return {"columns": ["trust", "ikm"], "cells": cells, "results": results}


# ---- the stored, published figures ----------------------------------------------------------


TABLES = ["incidents", "desk", programme_metrics.ACTIVITIES_HELD, programme_metrics.HEAD_COUNT]


def current_q() -> Q:
    """Stored figures holding every table published today. A row stored before a table was added
    or renamed lacks it (before `activities.held`, activities were published as `activities.count`,
    which counted an activity once per village it covered, so districts summed too many); such
    months count as not published: the monthly task (`publish_closed_months`) and
    `publish --all --missing` publish them again, and the portal queues one when it is opened."""
    return Q(payload__tables__has_keys=TABLES)


def published_months(regency_code: str) -> set[datetime.date]:
    """The months of a regency whose stored figures are current (`current_q`)."""
    return set(
        PublicFigures.objects.filter(current_q(), regency_code=regency_code).values_list(
            "month", flat=True
        )
    )


def _stored_table(dataset: Dataset) -> dict[str, Any]:
    return {
        "columns": dataset.columns,
        "labels": {c: str(dataset.column_labels.get(c, c)) for c in dataset.columns},
        "cells": {code: dataset.row(code) for code in dataset.nodes},
        "withheld": sum(1 for s in dataset.status.values() if s != suppression.SHOWN),
    }


def _trend(regency_code: str, nodes: dict[str, Node], month: datetime.date) -> dict[str, Any]:
    """The trend in words for the regency and its districts, in every language of the portal."""
    from django.conf import settings
    from django.utils import translation

    from jaga.analytics import queries
    from jaga.reports.anev import TREND_MONTHS, trend_statement, unit_of

    out: dict[str, Any] = {}
    places = Territory.objects.filter(
        code__in=[c for c, n in nodes.items() if n.level in (Level.REGENCY, Level.DISTRICT)]
    )
    for place in places:
        try:
            fit = queries.trend(unit_of(place), month, months=TREND_MONTHS)["fit"]
        except Exception:  # a fit that fails says nothing; it does not stop publishing
            logger.warning("trend of %s for %s failed", place.code, month, exc_info=True)
            continue
        out[place.code] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                out[place.code][language] = [str(line) for line in trend_statement(fit)]
    return out


def compute(regency_code: str, month: datetime.date) -> dict[str, Any]:
    """Everything the public may see of a regency for a month, protected (JSON-ready)."""
    from django.utils import translation

    nodes = _nodes(regency_code)
    with translation.override("en"):  # labels are translated when shown; programme names kept
        datasets = [
            incidents(regency_code, month),
            desk(regency_code, month),
            activities(regency_code, month, "held"),
            activities(regency_code, month, "head_count"),
        ]
    tables = {d.kind: _stored_table(d) for d in datasets}
    return {
        "nodes": {c: [n.name, n.level, n.parent] for c, n in nodes.items()},
        "tables": tables,
        "surveys": surveys(regency_code, month, nodes),
        "trend": _trend(regency_code, nodes, month),
        "quarter": _quarter(regency_code, month, nodes, tables["incidents"]),
    }


def _quarter(
    regency_code: str, end: datetime.date, nodes: dict[str, Node], incidents_table: dict[str, Any]
) -> dict[str, Any] | None:
    """The village quarter table (`periods.quarter`) when `end` closes a quarter, protected
    together with the stored incidents tables of the quarter's first two months."""
    from jaga.reports import periods

    if not periods.is_quarter_end(end):
        return None
    start = periods.quarter_start(end)
    tables = {
        m: payload["tables"]["incidents"]
        for m, payload in PublicFigures.objects.filter(
            regency_code=regency_code, month__gte=start, month__lt=end
        ).values_list("month", "payload")
    }
    tables[end] = incidents_table
    return periods.quarter(regency_code, end, nodes, tables, sensitive_category_ids())


def publish(regency_code: str, month: datetime.date) -> PublicFigures:
    """Compute and store the public figures of a regency and month (replacing earlier ones)."""
    import time

    started = time.monotonic()
    payload = compute(regency_code, month)
    from jaga.core import events

    with transaction.atomic():
        row, created = PublicFigures.objects.update_or_create(
            regency_code=regency_code,
            month=month,
            defaults={"payload": payload, "seconds": round(time.monotonic() - started, 3)},
        )
        _refresh_quarter(regency_code, month)
        if created:  # the month's figures are public for the first time; corrections stay quiet
            events.emit(
                events.PORTAL_PUBLISHED,
                territory_code=regency_code,
                object_type="reports.publicfigures",
                object_id=f"{regency_code}:{month:%Y-%m}",
                data={"regency_code": regency_code, "month": f"{month:%Y-%m}"},
            )
    return row


def _refresh_quarter(regency_code: str, month: datetime.date) -> None:
    """A month published again after its quarter was: the stored quarter table was protected
    with the month's old figures, so it is protected again with the new ones."""
    from jaga.reports import periods

    if periods.is_quarter_end(month):
        return
    end = add_months(periods.quarter_start(month), periods.QUARTER_MONTHS - 1)
    row = PublicFigures.objects.filter(regency_code=regency_code, month=end).first()
    if row is None:
        return
    nodes = _nodes(regency_code)
    row.payload["quarter"] = _quarter(regency_code, end, nodes, row.payload["tables"]["incidents"])
    row.save(update_fields=["payload", "computed_at"])


def closed_months(regency_code: str) -> list[datetime.date]:
    """Months of the regency with any figures, up to the last finished month."""
    from django.utils import timezone

    current = timezone.localdate().replace(day=1)
    months = set(
        MonthlyIncidentCount.objects.filter(regency_code=regency_code, month__lt=current)
        .values_list("month", flat=True)
        .distinct()
    )
    months |= set(
        MonthlyMetric.objects.filter(regency_code=regency_code, month__lt=current)
        .values_list("month", flat=True)
        .distinct()
    )
    return sorted(months)


def stored(regency_code: str, month: datetime.date) -> dict[str, Any] | None:
    """The published figures of a month, or None when they have not been published."""
    return (
        PublicFigures.objects.filter(regency_code=regency_code, month=month)
        .values_list("payload", flat=True)
        .first()
    )
