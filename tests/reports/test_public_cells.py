"""The public tables ask suppression.py which cells are marks (issue 15): the marks and the
rule live there only, and the templates follow a change made there."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from jaga.reports import suppression
from jaga.reports.public import survey_band

MONTH = datetime.date(2026, 11, 1)


def _cells(html: str) -> list[tuple[bool, str]]:
    """(styled as suppressed, text) of every number cell."""
    return [
        (bool(sup), text) for sup, text in re.findall(r'<td class="num( sup)?">([^<]*)</td>', html)
    ]


def _table(cells: list[object]) -> str:
    table = {
        "columns": [f"c{i}" for i in range(len(cells))],
        "rows": [{"code": "35.03.11", "name": "Pule", "cells": cells}],
        "total": {"name": "Trenggalek", "cells": cells},
    }
    return render_to_string("reports/_public_table.html", {"table": table, "month": MONTH})


def test_the_rule_knows_its_marks() -> None:
    assert suppression.is_suppressed(suppression.public_value(2, suppression.PRIMARY))
    assert suppression.is_suppressed(None) and suppression.is_suppressed("<10")
    assert suppression.is_suppressed(survey_band(4))
    for figure in (0, 7, "10–49", "1000+", "<a", ""):
        assert not suppression.is_suppressed(figure), figure
    assert suppression.marked(None) == "x" and suppression.marked(0) == 0


def test_a_cell_suppression_py_calls_suppressed_renders_as_its_mark() -> None:
    cells = [
        suppression.public_value(12, suppression.SHOWN),
        suppression.public_value(2, suppression.PRIMARY),
        survey_band(4),
        survey_band(20),
    ]
    assert _cells(_table(cells)) == [(False, "12"), (True, "x"), (True, "&lt;10"), (False, "10–49")]
    village = render_to_string(
        "reports/_public_table.html",
        {"table": {"pairs": [("a", cells[1]), ("b", cells[0])]}, "month": MONTH},
    )
    assert _cells(village) == [(True, "x"), (False, "12")]


def test_changing_a_mark_in_suppression_py_changes_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(suppression, "WITHHELD", "•")
    monkeypatch.setattr(suppression, "BELOW", "under ")
    cells = [suppression.public_value(2, suppression.PRIMARY), survey_band(4), "x"]
    assert _cells(_table(cells)) == [(True, "•"), (True, "under 10"), (False, "x")]
    series = SimpleNamespace(
        title="t",
        chart="",
        trend={},
        points=[SimpleNamespace(title="Nov", value=None), SimpleNamespace(title="Oct", value=4)],
        quarter_rows=[{"code": "35.03.11", "name": "Pule", "value": "•"}],
    )
    html = render_to_string("reports/_portal_series.html", {"series": series, "month": MONTH})
    assert _cells(html) == [(True, "•"), (False, "4"), (True, "•")]
