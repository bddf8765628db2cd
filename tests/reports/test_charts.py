from __future__ import annotations

from jaga.reports.charts import bar_chart, line_chart, nice_max


def test_axis_tops_are_round_numbers():
    assert [nice_max(v) for v in (0, 3, 7, 12, 180, 2400)] == [4, 4, 10, 20, 200, 2500]


def test_charts_are_inline_svg_with_escaped_labels_and_patterns():
    svg = bar_chart(["<Pule>", "Tugu"], [("2022", [3, 5]), ("2021", [4, 1])], "Gangguan")
    assert svg.startswith("<svg") and "&lt;Pule&gt;" in svg
    assert "<pattern" in svg and 'fill="url(#hatch' in svg  # the second series is hatched
    line = line_chart(["Jan", "Feb", "Mar"], [("a", [1, 2, 3]), ("b", [3, 2, 1])], "Tren")
    assert "stroke-dasharray" in line and line.count("<polyline") == 2
