"""The one chart module (jaga.core.charts): every kind is drawn twice, a desktop drawing and a
phone drawing whose labels are large enough and few enough to read at 360 px. The browser crawl
measures the drawn size; these check the drawings themselves."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils.safestring import SafeString

from jaga.core.charts import (
    NARROW,
    NARROW_FONT,
    Columns,
    Part,
    bar_chart,
    column_chart,
    event_study_chart,
    every,
    line_chart,
    nice_max,
    pair,
    pct,
    rate_bars,
    sparkline,
)
from jaga.core.charts.draw import labelled

MONTHS = [datetime.date(2024 + (m // 12), m % 12 + 1, 1) for m in range(36)]
LABELS = [f"{d:%Y-%m}" for d in MONTHS]


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


# ---- primitives -------------------------------------------------------------------------------


def test_every_steps_by_calendar_and_keeps_labels_apart() -> None:
    assert every(12, 640, 5, 11) == 1
    assert every(36, 280, 7, 13) == 12
    assert every(12, 280, 5, 13) in {2, 3}
    assert every(1, 10, 40, 13) == 1
    for count in (6, 12, 24, 36, 60):
        step = every(count, 280, 7, 13)
        assert step in {1, 2, 3, 4, 6, 12, 24}
        assert (280 / count) * step >= 7 * 13 * 0.62  # the room a label needs


def test_labels_count_back_from_the_last_and_skip_one_at_the_left_edge() -> None:
    assert list(labelled(5, 1)) == [0, 1, 2, 3, 4]
    assert list(labelled(36, 12)) == [11, 23, 35]
    assert list(labelled(13, 6)) == [6, 12]  # 0 would sit half outside the plot


def test_axis_tops_are_round_numbers() -> None:
    assert [nice_max(v) for v in (0, 3, 7, 12, 180, 2400)] == [4, 4, 10, 20, 200, 2500]
    assert [pct(None), pct(0.684)] == ["—", "68%"]


def test_pair_holds_both_drawings_and_nothing_for_nothing() -> None:
    assert pair("", "") == ""
    wide, narrow = _drawings(pair("<svg>a</svg>", "<svg>b</svg>"))
    assert (wide, narrow) == ("<svg>a</svg>", "<svg>b</svg>")


# ---- every kind: a pair, safe, titled, escaped ---------------------------------------------------


def _every_kind(label: str) -> dict[str, SafeString]:
    rows = [{"received": 5, "resolved": 4, "in_time": 3}] * 12
    return {
        "columns": column_chart(
            [label, "b"], [[Part("n", [1, 2])]], title=f"T {label}", trend=[1.0, 1.5]
        ),
        "stacked": column_chart(
            [label] * 12,
            [
                [Part("received", [r["received"] for r in rows], "#9aa5b1")],
                [Part(label, [r["in_time"] for r in rows], "#1d6b3a")],
            ],
            title=f"T {label}",
            show_legend=True,
        ),
        "rates": column_chart([label], [[Part("", [0.5])]], title=f"T {label}", percent=True),
        "counts": column_chart(
            [label], [[Part("", [3])]], title=f"T {label}", counts_above=True, phone_rows=True
        ),
        "rate bars": rate_bars([(label, 0.5, "1/2")], title=f"T {label}"),
        "bars": bar_chart([label, "b"], [("s", [1, 2]), (label, [2, 1])], f"T {label}"),
        "lines": line_chart([label, "b"], [("s", [1, 2])], f"T {label}"),
        "event study": event_study_chart(
            [{"e": 0, "att": 0.1, "ci_low": -0.2, "ci_high": 0.3}], title=f"T {label}"
        ),
    }


def test_every_kind_is_a_safe_pair_with_a_title_and_escaped_labels() -> None:
    for name, html in _every_kind("<b>Pule & co</b>").items():
        assert isinstance(html, SafeString), name
        assert "<b>" not in html, name
        for svg in _drawings(html):
            assert svg.startswith('<svg class="chart"'), name
            assert 'role="img" aria-label="T &lt;b&gt;Pule &amp; co&lt;/b&gt;"' in svg, name
            assert "<title>T &lt;b&gt;Pule &amp; co&lt;/b&gt;</title>" in svg, name
    assert sparkline([]) == "" and column_chart([], [], title="t") == ""
    spark = sparkline([1, 5, 2])
    assert isinstance(spark, SafeString) and 'aria-label="1, 5, 2"' in spark


def test_the_phone_drawings_are_narrow_with_larger_type_and_fewer_labels() -> None:
    rows = [{"month": d, "received": 5, "resolved": 4, "in_time": 3} for d in MONTHS[-12:]]
    charts = {
        "dashboard": column_chart(
            LABELS,
            [[Part("", list(range(36)))]],
            title="t",
            trend=[1.0] * 36,
            wide_stride=6,
            label_chars=8,
        ),
        "event study": event_study_chart(
            [{"e": e, "att": 0.1, "ci_low": -0.2, "ci_high": 0.3} for e in range(-12, 25)]
        ),
        "desk": column_chart(
            [f"{r['month']:%m/%y}" for r in rows],
            [[Part("a", [r["received"] for r in rows])], [Part("b", [r["in_time"] for r in rows])]],
            title="t",
            show_legend=True,
        ),
        "participation": column_chart(
            [f"{d:%m/%y}" for d in MONTHS[-24:]], [[Part("", [0.5] * 24)]], title="t", percent=True
        ),
    }
    for name, html in charts.items():
        wide, narrow = _drawings(html)
        assert _width(narrow) == NARROW, name
        assert f"font-size:{NARROW_FONT}px" in narrow, name
        assert len(_texts(narrow)) <= len(_texts(wide)), name
    dashboard_wide, dashboard_narrow = _drawings(charts["dashboard"])
    month_labels = [t for t in _texts(dashboard_narrow) if re.fullmatch(r"\d{4}-\d\d", t)]
    assert month_labels == ["2024-12", "2025-12", "2026-12"]  # a year apart, the last month in
    assert len([t for t in _texts(dashboard_wide) if "-" in t]) == 6
    assert re.search(r'text-anchor="end"[^>]*>2026-12<', dashboard_wide)  # not cut at the edge


# ---- column_chart's parameters ------------------------------------------------------------------


def test_columns_of_rates_stand_on_a_percent_axis_with_their_own_tooltips() -> None:
    wide, narrow = _drawings(
        column_chart(
            ["01/26", "02/26"],
            [[Part("", [0.25, None])]],
            title="t",
            percent=True,
            tips=["January: 25% (n=8)", "February: — (n=0)"],
        )
    )
    for svg in (wide, narrow):
        assert [t for t in _texts(svg) if t.endswith("%")] == ["0%", "50%", "100%"]
        assert "<title>January: 25% (n=8)</title>" in svg
        assert "<title>February: — (n=0)</title>" in svg
        heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
        assert len(heights) == 1 and heights[0] > 0  # None draws no column
    counts = _drawings(column_chart(["a"], [[Part("", [0.5])]], title="t"))[0]
    assert "%" not in "".join(_texts(counts))
    assert "<title>a: 0.5</title>" in counts  # the default tooltip: the label and the value


def test_counts_above_leave_out_the_axis_and_phone_rows_draw_a_bar_per_label() -> None:
    wide, narrow = _drawings(
        column_chart(
            ["Jan 26", "Feb 26"],
            [[Part("", [0, 7])]],
            title="t",
            counts_above=True,
            phone_rows=True,
        )
    )
    assert "<line" not in wide  # no gridlines
    assert _texts(wide) == ["0", "7", "Jan 26", "Feb 26"]
    assert 'viewBox="0 0 720 ' in wide
    assert _texts(narrow) == ["Jan 26", "0", "Feb 26", "7"]  # a row per month: label, count
    assert re.search(r'<rect x="64" y="[\d.]+" width="0.0"', narrow)  # a zero draws no bar
    without = _drawings(column_chart(["a", "b"], [[Part("", [0, 7])]], title="t"))[1]
    assert "<line" in without and _width(without) == NARROW


def test_a_trend_line_is_drawn_over_the_columns_only_when_given() -> None:
    with_trend = column_chart(["a", "b", "c"], [[Part("", [1, 2, 3])]], title="t", trend=[1, 2, 9])
    for svg in _drawings(with_trend):
        assert svg.count("<polyline") == 1
        # The axis reaches the trend's top (9), on an even count so its middle is whole (5).
        assert 'text-anchor="end">10</text>' in svg and 'text-anchor="end">5</text>' in svg
    plain = column_chart(["a", "b", "c"], [[Part("", [1, 2, 3])]], title="t")
    assert "<polyline" not in plain


def test_parts_in_one_stack_are_drawn_one_on_another_and_named_in_the_legend() -> None:
    html = column_chart(
        ["m"],
        [
            [Part("received", [6], "#9aa5b1")],
            [Part("in time", [3], "#1d6b3a"), Part("late", [1], "#b8860b")],
        ],
        title="t",
        show_legend=True,
    )
    wide, narrow = _drawings(html)
    for svg in (wide, narrow):
        columns = {
            fill: (float(y), float(h))
            for y, w, h, fill in re.findall(
                r'<rect x="[\d.]+" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/>',
                svg,
            )
            if w != "12"  # not the legend's boxes
        }
        in_time, late = columns["#1d6b3a"], columns["#b8860b"]
        assert abs(late[0] + late[1] - in_time[0]) < 0.2  # late sits on top of in time
        assert abs(columns["#9aa5b1"][1] - 2 * (in_time[1] + late[1]) * 6 / 8) < 0.2
        assert {"received", "in time", "late"} <= set(_texts(svg))


def test_the_legend_wraps_on_a_phone_and_the_drawing_grows_for_it() -> None:
    names = ["reports received", "resolved in time", "resolved late"]
    html = column_chart(
        ["a", "b"], [[Part(n, [1, 2])] for n in names], title="t", show_legend=True, height=200
    )
    wide, narrow = _drawings(html)
    rows = set(re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="12" height="10"', narrow))
    assert len(rows) >= 2  # three long names do not fit one 320-unit line
    assert len(set(re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="12"', wide))) == 1
    assert float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', narrow).group(1)) > 200  # type: ignore[union-attr]


def test_wide_stride_names_fewer_months_on_the_desktop_only() -> None:
    labels = [f"{m:02d}/26" for m in range(1, 13)]
    every_month = _drawings(column_chart(labels, [[Part("", [1] * 12)]], title="t"))[0]
    assert [t for t in _texts(every_month) if "/" in t] == labels
    half_year = column_chart(labels, [[Part("", [1] * 12)]], title="t", wide_stride=6)
    wide, narrow = _drawings(half_year)
    assert [t for t in _texts(wide) if "/" in t] == ["06/26", "12/26"]
    assert len([t for t in _texts(narrow) if "/" in t]) > 2


def test_one_drawing_marks_withheld_values_and_ends_its_axis_on_a_round_number() -> None:
    """`Columns` draws one drawing (the portal's phone-sized chart): a None is withheld."""
    svg = Columns(
        ["Jan", "Feb", "Mar"],
        [[Part("", [22, None, 3])]],
        "Gangguan <desa>",
        tips=["January: 22", "February: withheld", "March: 3"],
        nice=True,
        withheld="x",
        described="January: 22; February: x; March: 3",
        css_class="chart portal-chart",
    ).draw(360, 200, 13)
    assert isinstance(svg, SafeString) and svg.startswith('<svg class="chart portal-chart"')
    assert 'viewBox="0 0 360 200"' in svg
    assert svg.count("<rect") == 2 and svg.count(">x<") == 1  # no column, the mark instead
    assert "<title>February: withheld</title>" in svg
    assert 'aria-label="Gangguan &lt;desa&gt;. January: 22; February: x; March: 3"' in svg
    assert "<title>Gangguan &lt;desa&gt;</title>" in svg  # the tooltip: the title only
    assert [t for t in _texts(svg) if t.isdigit()] == ["0", "25", "50"]  # 1, 2, 5 × 10^k
    plain = Columns(["Jan"], [[Part("", [22])]], "t").draw(360, 200, 13)
    assert [t for t in _texts(plain) if t.isdigit()] == ["0", "11", "22"]
    assert nice_max(22) == 25 and nice_max(22, steps=(1, 2, 5, 10)) == 50


# ---- rows, bars, lines ------------------------------------------------------------------------


def test_rate_bars_keep_their_figures_inside_the_drawing() -> None:
    """'68% (53… undanga' was cut off at the edge: the drawing is as wide as its figures."""
    rows = [("Tokoh masyarakat", 0.68, "53 dari 78 undangan"), ("Lainnya", None, "0 dari 0")]
    wide, narrow = _drawings(rate_bars(rows, title="Kehadiran"))
    for svg in (wide, narrow):
        start = re.search(r'<text x="([\d.]+)" y="[\d.]+"[^>]*>68%', svg)
        assert start, svg
        assert float(start.group(1)) + 8 * len("68% 53 dari 78 undangan") <= _width(svg)
    assert re.search(r'<text x="0" y="[\d.]+">Tokoh masyarakat</text>', narrow)  # label above
    assert re.search(r'text-anchor="end">Tokoh masyarakat</text>', wide)  # label beside


def test_bars_for_print_are_hatched_and_wrap_their_legend_on_a_phone() -> None:
    series = [
        ("Nov 2026", [3, 5, 1, 4]),
        ("Bulan sebelumnya", [4, 1, 2, 2]),
        ("Bulan sama tahun lalu", [1, 1, 1, 1]),
    ]
    names = ["Kriminalitas", "Gangguan", "Bencana", "Lalu lintas"]
    wide, narrow = _drawings(bar_chart(names, series, "Gangguan", height=240, narrow_height=300))
    assert "<pattern" in wide and 'fill="url(#hatch' in wide  # the second series is hatched
    hatches = re.findall(r'<pattern id="(hatch\d+)"', wide + narrow)
    assert len(set(hatches)) == 2  # each drawing its own pattern id
    legend_rows = set(re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="12" height="10"', narrow))
    assert len(legend_rows) >= 2  # three long names do not fit one 320-unit line
    assert len(set(re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="12" height="10"', wide))) == 1


def test_lines_differ_by_dash_and_marker_and_thin_their_labels_on_a_phone() -> None:
    line = line_chart(["Jan", "Feb", "Mar"], [("a", [1, 2, 3]), ("b", [3, 2, 1])], "Tren")
    wide, _narrow = _drawings(line)
    assert "stroke-dasharray" in wide and wide.count("<polyline") == 2 + 2  # lines + legend
    narrow = _drawings(
        line_chart([f"{m:02d}/26" for m in range(1, 13)], [("Gangguan", list(range(12)))], "Tren")
    )[1]
    last = re.search(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">12/26</text>', narrow)
    assert last and float(last.group(1)) + 5 * 13 * 0.31 < _width(narrow)  # it stays inside
    assert len([t for t in _texts(narrow) if "/26" in t]) < 12


def _month_label_extents(svg: str, font: float) -> list[tuple[float, float, str]]:
    """(left, right, text) of each label on the month axis, by the drawing's own width rule."""
    found = re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(middle|end)">(\d\d/\d\d)<', svg
    )
    out = []
    for x, anchor, text in found:
        w = len(text) * font * 0.62
        right = float(x) if anchor == "end" else float(x) + w / 2
        out.append((right - w, right, text))
    return out


@pytest.mark.parametrize("count", [12, 24, 35, 36, 37])
def test_month_labels_never_touch_where_the_last_one_is_pulled_inside(count: int) -> None:
    """The Anev's 36-month trend drew "08/26" and "10/26" on top of each other: the last label
    ends at its point (it would cross the right edge centred) and the one before it no longer
    fit. Every label keeps its distance; the latest month is always named."""
    from jaga.core.charts.draw import NARROW_FONT, WIDE_FONT

    months = [f"{(m % 12) + 1:02d}/{24 + m // 12}" for m in range(count)]
    for svg, font in zip(
        _drawings(line_chart(months, [("Gangguan", [300.0] * count)], "Tren")),
        (WIDE_FONT, NARROW_FONT),
        strict=True,
    ):
        extents = _month_label_extents(svg, font)
        assert extents[-1][2] == months[-1]
        assert all(a[1] < b[0] for a, b in zip(extents, extents[1:], strict=False)), extents
        assert len(extents) >= 3


def test_a_sparkline_marks_a_stretch_of_unknown_months_once() -> None:
    values = [None, None, None, 4.0, 5.0, None, 6.0]
    labels = [f"2026-0{m}" for m in range(1, 8)]
    svg = str(sparkline(values, labels=labels, withheld_tip="tidak diketahui"))
    assert svg.count(">?<title>") == 2
    assert ">?<title>2026-01 – 2026-03: tidak diketahui</title>" in svg
    assert ">?<title>2026-06: tidak diketahui</title>" in svg
    unlabelled = str(sparkline(values, withheld_tip="tidak diketahui"))
    assert unlabelled.count(">?<title>tidak diketahui</title>") == 2


def test_a_line_chart_marks_a_gap_month() -> None:
    svg = str(
        line_chart(
            ["01/26", "02/26", "03/26"], [("a", [1, None, 3])], "t", gap="?", gap_tip="unknown"
        )
    )
    assert svg.count(">?<title>02/26: unknown</title>") == 2  # both drawings
    plain = str(line_chart(["01/26", "02/26", "03/26"], [("a", [1, 2, 3])], "t", gap="?"))
    assert ">?<title>" not in plain


def test_fit_label_breaks_between_words_and_cuts_only_what_cannot_fit() -> None:
    from jaga.core.charts.draw import fit_label

    assert fit_label("Kekayaan negara", 20) == ["Kekayaan negara"]
    assert fit_label("Kekayaan negara", 10) == ["Kekayaan", "negara"]
    assert fit_label("Pencurian kendaraan bermotor", 10) == ["Pencurian", "kendaraan…"]
    assert fit_label("Kriminalitasnya", 8) == ["Kriminn…"[:7] + "…"] or True
    assert fit_label("Kriminalitasnya", 8) == ["Krimina…"]
    assert fit_label("", 8) == [""]


def test_upright_bar_labels_keep_their_words() -> None:
    """The Anev's four groups keep "Kekayaan negara" whole in the print drawing, never cut to
    "Kekayaan nega…"; labels too long for their group break between words."""
    series = [("Nov 2026", [217, 13, 0, 16]), ("Bulan lalu", [283, 16, 0, 21])]
    names = ["Konvensional", "Transnasional", "Kekayaan negara", "Kontinjensi"]
    wide, narrow = _drawings(bar_chart(names, series, "Gangguan"))
    assert "…" not in wide and "Kekayaan negara</tspan>" in wide
    # The phone drawing slants four labels, as before.
    assert 'transform="rotate(' in narrow
    six = [*names, "Pencurian kendaraan bermotor", "Lain-lain"]
    wide = _drawings(bar_chart(six, [("Nov 2026", [1, 2, 3, 4, 5, 6])], "Gangguan"))[0]
    assert ">Pencurian</tspan>" in wide and ">kendaraan…</tspan>" in wide


def test_a_count_axis_labels_its_middle_gridline_with_the_count_it_stands_for() -> None:
    """An empty month's chart (top 1) labelled its gridlines 1, 0, 0; a top of 7 put "4" at 3.5."""
    for values, labels in (([0, 0, 0], ["0", "1", "2"]), ([7, 3, 1], ["0", "4", "8"])):
        wide, _narrow = _drawings(
            column_chart(LABELS[:3], [[Part("received", values)]], title="Reports")
        )
        ticks = re.findall(r'text-anchor="end">([^<]*)</text>', wide)
        assert sorted(ticks, key=float) == labels, ticks


def test_a_sparkline_breaks_at_a_gap_and_marks_it_instead_of_dipping_to_zero() -> None:
    values = [3, 4, None, 5, 6, None, 2, None]
    labels = [f"2026-{m:02d}" for m in range(1, 9)]
    spark = str(sparkline(values, labels=labels, withheld_tip="unknown <not zero>"))
    assert spark.count("<polyline") == 2  # 3-4 and 5-6; the lone 2 between gaps is a dot
    assert spark.count("<circle") == 1 and 'r="2.2"' not in spark  # no "latest" dot on a gap
    assert spark.count(">?<title>") == 3
    assert "<title>2026-03: unknown &lt;not zero&gt;</title>" in spark
    assert 'aria-label="3, 4, ?, 5, 6, ?, 2, ?"' in spark
    # The known months keep their height: the top is the largest known value.
    points = re.findall(r'points="([^"]*)"', spark)
    assert points[1].split()[1].endswith(",2.0")  # 6, the top, at the top
