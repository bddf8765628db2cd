"""The types of metric names: the figures of `MonthlyMetric`, counted by their apps.

Each app that writes monthly figures owns their names, once, in its own `metrics` module
(`jaga.servicedesk.metrics`, `jaga.programs.metrics`, `jaga.fieldwork.metrics`,
`jaga.surveys.metrics`), and registers them with the rebuilder that recounts them
(`jaga.analytics.rebuild.register`). Writers, readers and rebuilders use the constants, never a
literal; `tests/analytics/test_metric_names.py` holds everyone to it.

No Django here: the app modules import this one from anywhere without import cycles.
"""

from __future__ import annotations

__all__ = ["Metric", "MetricPrefix"]


class Metric(str):
    """The name of one monthly figure (`"requests.received"`): a `str` in the database, in
    querysets and in templates."""

    __slots__ = ()


class MetricPrefix(str):
    """The start shared by metric names (`"attendance."`): what a rebuilder replaces, and what a
    reader may select figures by (`metric__startswith`)."""

    __slots__ = ()
