"""Charts drawn twice (jaga.core.charts): a desktop drawing and a phone drawing whose labels are
large enough and few enough to read at 360 px. The browser crawl measures the drawn size; these
check the drawings themselves."""

from __future__ import annotations

import datetime
import re

from jaga.analytics.charts import event_study_chart, line_chart
from jaga.core.charts import NARROW, NARROW_FONT, every, pair
from jaga.fieldwork.charts import bars
from jaga.programs.charts import monthly_columns, rate_bars
from jaga.reports.charts import bar_chart
from jaga.reports.charts import line_chart as report_line_chart
from jaga.servicedesk.charts import monthly_bars


def _drawings(html: str) -> tuple[str, str]:
    match = re.fullmatch(
        r'<div class="chart-pair"><div class="chart-wide">(.*)</div>'
        r'<div class="chart-narrow">(.*)</div></div>',
        html,
        re.S,
    )
    assert match, html[:200]
    return match.group(1), match.group(2)


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)", svg)


def _width(svg: str) -> float:
    return float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]


def test_every_steps_by_calendar_and_keeps_labels_apart() -> None:
    assert every(12, 640, 5, 11) == 1
    assert every(36, 280, 7, 13) == 12
    assert every(12, 280, 5, 13) in {2, 3}
    assert every(1, 10, 40, 13) == 1
    for count in (6, 12, 24, 36, 60):
        step = every(count, 280, 7, 13)
        assert step in {1, 2, 3, 4, 6, 12, 24}
        assert (280 / count) * step >= 7 * 13 * 0.62  # the room a label needs


def test_pair_holds_both_drawings_and_nothing_for_nothing() -> None:
    assert pair("", "") == ""
    wide, narrow = _drawings(pair("<svg>a</svg>", "<svg>b</svg>"))
    assert (wide, narrow) == ("<svg>a</svg>", "<svg>b</svg>")


def test_the_phone_drawings_are_narrow_with_larger_type_and_fewer_labels() -> None:
    months = [datetime.date(2024 + (m // 12), m % 12 + 1, 1) for m in range(36)]
    labels = [f"{d:%Y-%m}" for d in months]
    rows = [{"month": d, "received": 5, "resolved": 4, "in_time": 3} for d in months[-12:]]
    charts = {
        "dashboard": line_chart(labels, list(range(36)), [1.0] * 36, title="t"),
        "event study": event_study_chart(
            [{"e": e, "att": 0.1, "ci_low": -0.2, "ci_high": 0.3} for e in range(-12, 25)]
        ),
        "desk": monthly_bars(rows),
        "fieldwork": bars([(d, i * 7) for i, d in enumerate(months[-12:])]),
        "participation": monthly_columns([(d, 0.5, 10) for d in months[-24:]], title="t"),
    }
    for name, html in charts.items():
        wide, narrow = _drawings(html)
        assert _width(narrow) == NARROW, name
        assert f"font-size:{NARROW_FONT}px" in narrow, name
        assert len(_texts(narrow)) <= len(_texts(wide)) + 12, name  # rows, not more clutter
    dashboard_wide, dashboard_narrow = _drawings(charts["dashboard"])
    month_labels = [t for t in _texts(dashboard_narrow) if re.fullmatch(r"\d{4}-\d\d", t)]
    assert month_labels == ["2024-12", "2025-12", "2026-12"]  # a year apart, the last month in
    assert len([t for t in _texts(dashboard_wide) if "-" in t]) == 6


def test_rate_bars_keep_their_figures_inside_the_drawing() -> None:
    """'68% (53… undanga' was cut off at the edge: the drawing is as wide as its figures."""
    rows = [("Tokoh masyarakat", 0.68, "53 dari 78 undangan"), ("Lainnya", None, "0 dari 0")]
    wide, narrow = _drawings(rate_bars(rows, title="Kehadiran"))
    for svg, per_char in ((wide, 8), (narrow, 7.5)):
        start = re.search(r'<text x="([\d.]+)" y="[\d.]+"[^>]*>68%', svg)
        assert start, svg
        assert float(start.group(1)) + per_char * len("68% 53 dari 78 undangan") <= _width(svg)


def test_anev_charts_wrap_their_legend_on_a_phone() -> None:
    series = [
        ("Nov 2026", [3, 5, 1, 4]),
        ("Bulan sebelumnya", [4, 1, 2, 2]),
        ("Bulan sama tahun lalu", [1, 1, 1, 1]),
    ]
    names = ["Kriminalitas", "Gangguan", "Bencana", "Lalu lintas"]
    narrow = bar_chart(names, series, "Gangguan", width=NARROW, font=NARROW_FONT)
    legend_rows = set(re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="12" height="10"', narrow))
    assert len(legend_rows) >= 2  # three long names do not fit one 320-unit line
    line = report_line_chart(
        [f"{m:02d}/26" for m in range(1, 13)],
        [("Gangguan", list(range(12)))],
        "Tren",
        width=NARROW,
        font=NARROW_FONT,
    )
    assert 'text-anchor="end">12/26</text>' in line  # the last month stays inside
    assert len([t for t in _texts(line) if "/26" in t]) < 12
