"""Metric names are constants of the app that writes them, registered with their rebuilder.

(a) No metric-name literal in `jaga/` outside the apps' `metrics` modules (an AST scan; the
    migrations and the demo builders are left out).
(b) Every name written (bump_metric(s)) or read (the readers' queries) is registered, and every
    constant of a metrics module is.
(c) Every registered name is recounted by the rebuilder that registered it.
"""

from __future__ import annotations

import ast
import datetime
import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jaga.analytics import queries as analytics_queries
from jaga.analytics.metric import Metric, MetricPrefix
from jaga.analytics.models import MonthlyMetric
from jaga.analytics.participation import participation
from jaga.analytics.rebuild import REGISTRY, registered_metrics
from jaga.fieldwork.queries import monthly_visits
from jaga.programs import services as programs
from jaga.programs.queries import METRIC_OF, activity_counts, participation_by_month
from jaga.reports import anev, public
from jaga.servicedesk.queries import monthly_series
from jaga.surveys.queries import joined_by_child, trust_summary
from jaga.territory.models import Territory
from tests.analytics.test_rebuild_all import (
    MONTH_END,
    record_desk,
    record_fieldwork,
    record_programmes,
    record_surveys,
)
from tests.fieldwork.conftest import make_operation, make_visit, tbkb  # noqa: F401
from tests.partners.conftest import meeting, person_a, person_b, programme  # noqa: F401
from tests.servicedesk.conftest import file_report, service, units  # noqa: F401

JAGA = Path(__file__).resolve().parents[2] / "jaga"
METRIC_MODULES = ("servicedesk", "programs", "fieldwork", "surveys")
# Calls and lookups that take a metric name: a literal there is a metric name, registered or not.
METRIC_CALLS = {"bump_metric", "bump_metrics", "grouped", "MetricRow", "Metric", "MetricPrefix"}
METRIC_LOOKUPS = {"metric", "metric__in", "metric__startswith"}


def registered() -> dict[str, Any]:
    """The registered names of the apps (rebuilders registered by tests are not the apps')."""
    return {name: r for name, r in registered_metrics().items() if r.name.startswith("jaga.")}


def prefixes() -> tuple[str, ...]:
    return tuple(p for r in REGISTRY.values() if r.name.startswith("jaga.") for p in r.prefixes)


def metric_modules() -> dict[str, Any]:
    return {app: importlib.import_module(f"jaga.{app}.metrics") for app in METRIC_MODULES}


def scanned_files() -> list[Path]:
    skip = {JAGA / app / "metrics.py" for app in METRIC_MODULES}
    return [
        path
        for path in sorted(JAGA.rglob("*.py"))
        if path not in skip and "migrations" not in path.parts and path.stem != "demo"
    ]


def is_metric_name(text: str, names: set[str]) -> bool:
    """`text` is (or starts with) a registered name, or a registered name's start: a prefix,
    "surveys.trust.", or the constant part of an f-string such as f"requests.{name}"."""
    head = re.match(r"[A-Za-z0-9_.]*", text)
    assert head is not None
    word = head.group()
    if not word.startswith(prefixes()):
        return False
    if word.endswith("."):
        return any(name.startswith(word) for name in names)
    return word in names


def metric_literals(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    in_context: set[int] = set()
    for node in ast.walk(tree):
        args: list[ast.expr] = []
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in METRIC_CALLS:
                args = list(node.args)
            args += [k.value for k in node.keywords if k.arg in METRIC_LOOKUPS]
        for arg in args:
            for inner in ast.walk(arg):
                in_context.add(id(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if is_metric_name(text, names) or (
                id(node) in in_context and text.startswith(prefixes())
            ):
                found.add((node.lineno, text))
    return sorted(found)


def test_no_metric_name_is_written_as_a_literal_outside_its_apps_metrics_module() -> None:
    names = set(registered())
    assert len(names) > 20
    found = []
    for path in scanned_files():
        for line, text in metric_literals(ast.parse(path.read_text()), names):
            found.append(f"{path.relative_to(JAGA.parent)}:{line}: {text!r}")
    assert found == [], "metric names belong in the app's metrics module:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'bump_metric(v, day, "visits.count", 1)',
        'x = {"attendance.invited": 0}',
        'qs.filter(metric__startswith="surveys.trust.")',
        'f"requests.{name}"',
        'bump_metric(v, day, "requests.reopened", 1)',  # not registered, but written
        'MonthlyMetric.objects.filter(metric__in=["visits.new"])',  # not registered, but read
    ],
)
def test_the_scan_finds_metric_literals(source: str) -> None:
    assert metric_literals(ast.parse(source), set(registered()))


@pytest.mark.parametrize(
    "source",
    [
        'log_action("fieldwork.visit_recorded", visit)',
        'models.ForeignKey("fieldwork.ProblemCase")',
        'connect(f, dispatch_uid="surveys.invite_after_close")',
        'x = "visits.countless"',
    ],
)
def test_the_scan_leaves_other_names_sharing_a_prefix(source: str) -> None:
    assert metric_literals(ast.parse(source), set(registered())) == []


def test_each_apps_metrics_module_registers_exactly_its_constants() -> None:
    names = registered()
    seen: set[str] = set()
    for app, module in metric_modules().items():
        constants = {v for v in vars(module).values() if type(v) is Metric}
        starts = {v for v in vars(module).values() if type(v) is MetricPrefix}
        assert set(module.ALL) == constants, app
        assert set(module.PREFIXES) <= starts, app
        rebuilders = {names[m].name for m in constants}
        assert len(rebuilders) == 1 and next(iter(rebuilders)).startswith(f"jaga.{app}."), app
        assert set(REGISTRY[rebuilders.pop()].metrics) == constants, app
        for start in starts:  # a prefix a reader selects by selects registered figures
            assert any(m.startswith(start) for m in constants), (app, start)
        seen |= constants
    assert seen == set(names)


def test_the_readers_lists_are_registered_names() -> None:
    names = set(registered())
    lists = [
        analytics_queries.GLANCE_METRICS,
        analytics_queries.ATTENDANCE_METRICS,
        list(METRIC_OF),
        [metric for metric, _label in anev.FIELD_METRICS],
        [m for counted in programs.STATUS_METRICS.values() for m in counted],
    ]
    for names_read in lists:
        assert set(names_read) <= names


def record_every_status(programme: Any, satbinmas: Any, village_a: Any, person_a: Any) -> None:  # noqa: F811
    """What the rebuild test leaves out: someone on time, someone excused."""
    talk = programs.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Sosialisasi",
        starts_at=MONTH_END - datetime.timedelta(days=3), village=village_a,
        area=village_a.parent,
    )  # fmt: skip
    on_time = programs.invite(talk, actor=satbinmas, person=person_a)
    programs.record_attendance(on_time, actor=satbinmas, status="present")
    other = programs.record_activity(
        actor=satbinmas, programme=programme, kind="meeting", title="Rapat",
        starts_at=MONTH_END - datetime.timedelta(days=2), village=village_a,
        area=village_a.parent,
    )  # fmt: skip
    excused = programs.invite(other, actor=satbinmas, person=person_a)
    programs.record_attendance(excused, actor=satbinmas, status="excused")


def read_everything(regency: Territory, month: datetime.date, viewer: Any) -> None:
    """The readers of the roll-up: analytics, the ANEV report, the public tables, the apps."""
    unit = anev.unit_of(regency)
    analytics_queries.glance_figures(unit, month)
    participation(unit, month, month)
    anev.build(regency, month)
    public.compute(regency.code, month)
    participation_by_month(territory_code=regency.code)
    activity_counts(territory_code=regency.code)
    trust_summary(regency.code, month, month)
    joined_by_child(regency, month, month)
    monthly_series(viewer, now=MONTH_END + datetime.timedelta(days=40))
    monthly_visits(within=regency.code)


@pytest.mark.django_db
def test_every_figure_written_and_read_is_registered_and_recounted(
    meeting: Any,  # noqa: F811
    programme: Any,  # noqa: F811
    person_a: Any,  # noqa: F811
    person_b: Any,  # noqa: F811
    file_report: Any,  # noqa: F811
    make_visit: Any,  # noqa: F811
    make_operation: Any,  # noqa: F811
    units: dict[str, Any],  # noqa: F811
    satbinmas: Any,
    alice: Any,
    bob: Any,
    village_a: Any,
    village_b: Any,
    regency: Territory,
) -> None:
    with time_machine.travel(MONTH_END + datetime.timedelta(days=60), tick=False):
        record_programmes(meeting, programme, person_a, person_b, satbinmas, village_a, village_b)
        record_every_status(programme, satbinmas, village_a, person_a)
        record_fieldwork(make_visit, make_operation, alice, village_a)
        record_surveys(units["ab"], village_a, village_b)
    record_desk(file_report, alice, bob, village_a, village_b)
    names = registered()

    # (b) written: every figure the services bumped is registered.
    written = set(MonthlyMetric.objects.exclude(value=0).values_list("metric", flat=True))
    assert written <= set(names)

    # (c) every registered name is recounted, by the rebuilder that registered it.
    assert written == set(names), "the records above should give every registered figure"
    for rebuilder in {r.name: r for r in names.values()}.values():
        recounted = {row.metric for row in rebuilder.rows() if row.value}
        assert recounted == rebuilder.metrics, rebuilder.name

    # (b) read: the metric names the readers ask the database for are registered.
    table = MonthlyMetric._meta.db_table
    starts = "|".join(re.escape(p) for p in prefixes())
    quoted = re.compile(rf"'((?:{starts})[^']*)'")
    with CaptureQueriesContext(connection) as reads:
        read_everything(regency, datetime.date(2024, 4, 1), bob)
    asked = {
        text
        for q in reads.captured_queries
        if table in q["sql"]
        for text in quoted.findall(q["sql"])
    }
    assert asked, "the readers should have asked for figures"
    for text in asked:
        if text.endswith("%"):  # metric__startswith
            start = text.rstrip("%").replace("\\_", "_")
            assert any(name.startswith(start) for name in names), text
        else:
            assert text in names, text
