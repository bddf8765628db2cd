"""Column charts: monthly columns (counts or rates, side by side or stacked, with a trend line,
counts above or an axis) and the grouped bars of the Anev report (shade and hatch for print)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from jaga.core.charts.draw import (
    BRAND,
    FILLS,
    HATCH,
    INK,
    MUTED,
    NARROW,
    NARROW_FONT,
    WIDE,
    WIDE_FONT,
    box_swatch,
    every,
    fit_label,
    gridlines,
    hatch_id,
    labelled,
    legend,
    nice_max,
    pair,
    pct,
    polyline,
    runs,
    short_number,
    svg_open,
)
from jaga.core.charts.rows import rows_drawing


@dataclass(frozen=True)
class Part:
    """One series of a column chart: its legend name, a value per label (None: no figure, no
    column) and its colour. Parts given together in one stack are drawn one above the other."""

    name: str
    values: Sequence[float | None]
    colour: str = BRAND


def column_chart(
    labels: Sequence[str],
    stacks: Sequence[Sequence[Part]],
    *,
    title: str,
    wide_stride: int = 1,
    height: int = 200,
    narrow_height: int | None = None,
    width: int = WIDE,
    phone_rows: bool = False,
    **options: Any,
) -> SafeString:
    """A column (or a stack of columns) per label in a desktop and a phone drawing; `options`
    are `Columns`' (percent axis, counts above, trend line, legend, tooltips, ...).
    `wide_stride`: the desktop drawing names at least every n-th label; `phone_rows`: on a phone
    a row per label (a horizontal bar and its count) instead of narrow columns."""
    if not labels or not stacks:
        return mark_safe("")  # noqa: S308 - constant
    chart = Columns(labels, stacks, title, **options)
    if phone_rows:
        totals = [_total(stacks[0], i) for i in range(len(labels))]
        figures = [(label, v, f"{v:g}", "") for label, v in zip(labels, totals, strict=True)]
        narrow = rows_drawing(
            figures, title, NARROW, NARROW_FONT, label_above=False, bar_h=18, top=max(totals) or 1
        )
    else:
        narrow = chart.draw(NARROW, narrow_height or height, NARROW_FONT)
    return pair(chart.draw(width, height, WIDE_FONT, wide_stride), narrow)


def _total(stack: Sequence[Part], i: int) -> float:
    return sum(p.values[i] or 0 for p in stack)


@dataclass(frozen=True)
class Columns:
    """What a column chart shows, drawn at any size by `draw`.

    `percent`: values are rates 0..1 on a 0–100% axis; `nice`: the count axis ends on a round
    number; `counts_above`: no axis, the count above each column; `trend`: a line over the
    columns; `show_legend`: the parts' names below the labels; `tips`: a tooltip per label
    (else "label: values"); `withheld`: the mark drawn where a value is None (a withheld
    figure), `withheld_tip` its tooltip; `described`: read out after the title (the figures of
    a chart that has no table beside it)."""

    labels: Sequence[str]
    stacks: Sequence[Sequence[Part]]
    title: str
    tips: Sequence[str] | None = None
    percent: bool = False
    nice: bool = False
    counts_above: bool = False
    trend: Sequence[float | None] | None = None
    show_legend: bool = False
    label_chars: int = 5
    slot_fill: float = 0.7
    withheld: str = ""
    withheld_tip: str = ""
    described: str = ""
    css_class: str = "chart"

    def top(self) -> float:
        if self.percent:
            return 1.0
        totals = [_total(s, i) for s in self.stacks for i in range(len(self.labels))]
        top = max(max(totals), max((v for v in self.trend or [] if v is not None), default=0), 1)
        if self.nice:
            return nice_max(top, steps=(1, 2, 5, 10))
        if all(float(t).is_integer() for t in totals):
            # Counts: an even top puts the middle gridline on a whole number (a top of 1 or 7
            # labelled its middle "0" or "4" where it stood for 0.5 or 3.5).
            return float(math.ceil(top / 2) * 2)
        return top

    def tip(self, i: int) -> str:
        if self.tips:
            return self.tips[i]
        shown = ", ".join(
            pct(p.values[i]) if self.percent else f"{p.values[i] or 0:g}"
            for s in self.stacks
            for p in s
        )
        return f"{self.labels[i]}: {shown}"

    def tick(self, value: float) -> str:
        return pct(value) if self.percent else f"{value:g}" if self.nice else f"{value:.0f}"

    def draw(self, width: int, height: int, font: int, min_stride: int = 1) -> SafeString:
        """One drawing `width` × `height` user units (more for a wrapped legend), `font`-unit
        labels, at least every `min_stride`-th label named."""
        n, top = len(self.labels), self.top()
        left = 8 if self.counts_above else round(font * 3.3)
        pad_t = font + 6 if self.counts_above else 10
        bottom = font * 2 + 2
        key: list[str] = []
        if self.show_legend:  # below the labels, wrapped when wider than the drawing
            entries = [(p.name, box_swatch(p.colour)) for s in self.stacks for p in s]
            extra = legend(entries, width, font, x0=left)[1]
            height, bottom = round(height + extra), round(bottom + extra + font * 1.6)
            key = legend(entries, width, font, x0=left, y0=height - extra - font * 0.6 - 2)[0]
        plot_w, plot_h = width - left - 8, height - bottom - pad_t
        slot = plot_w / n

        def y(value: float) -> float:
            return pad_t + plot_h * (1 - value / top)

        title = f"{self.title}. {self.described}" if self.described else self.title
        parts = [svg_open(width, height, title, font, cls=self.css_class, caption=self.title)]
        if not self.counts_above:
            ticks = [(y(top * f), self.tick(top * f)) for f in (0, 0.5, 1)]
            parts += gridlines(left, width - 8, ticks)
        for i in range(n):
            parts += self.columns(i, left + i * slot, slot, y)
        stride = max(min_stride, every(n, plot_w, self.label_chars, font))
        for i in labelled(n, stride):
            x = left + (i + 0.5) * slot
            # The last label ends at its column when centred it would cross the right edge.
            clipped = x + len(self.labels[i]) * font * 0.31 > width - 2
            parts.append(
                f'<text x="{x:.1f}" y="{pad_t + plot_h + font + 4}" '
                f'text-anchor="{"end" if clipped else "middle"}" '
                f'fill="{MUTED if self.counts_above else INK}">{escape(self.labels[i])}</text>'
            )
        if self.trend:
            # A None (a gap in the register) breaks the line: the months beside it are not joined.
            for run in runs(self.trend):
                points = [(left + (i + 0.5) * slot, y(v)) for i, v in run]
                parts.append(polyline(points, BRAND, 2))
        parts += key
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above

    def columns(self, i: int, x: float, slot: float, y: Callable[[float], float]) -> list[str]:
        """The columns of the `i`-th label in its slot from `x`: stacks side by side, the parts
        of a stack one on another; a withheld value draws its mark instead."""
        bar = slot * self.slot_fill / len(self.stacks)
        x0 = x + slot * (1 - self.slot_fill) / 2
        if all(p.values[i] is None for s in self.stacks for p in s) and self.withheld:
            return [
                f'<text x="{x + slot / 2:.1f}" y="{y(0) - 5:.1f}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(self.withheld)}<title>{escape(self.labels_tip(i))}'
                "</title></text>"
            ]
        parts = [f"<g><title>{escape(self.tip(i))}</title>"]
        for s, stack in enumerate(self.stacks):
            base = 0.0
            for p in stack:
                value = p.values[i]
                if value is None:
                    continue
                parts.append(
                    f'<rect x="{x0 + s * bar:.1f}" y="{y(base + value):.1f}" '
                    f'width="{max(bar, 1):.1f}" height="{y(base) - y(base + value):.1f}" '
                    f'fill="{p.colour}"/>'
                )
                base += value
            if self.counts_above:
                parts.append(
                    f'<text x="{x0 + (s + 0.5) * bar:.1f}" y="{y(base) - 4:.1f}" '
                    f'text-anchor="middle">{base:g}</text>'
                )
        parts.append("</g>")
        return parts

    def labels_tip(self, i: int) -> str:
        return self.tips[i] if self.tips else f"{self.labels[i]}: {self.withheld_tip}"


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    *,
    height: int = 240,
    narrow_height: int = 280,
) -> SafeString:
    """Grouped bars for the Anev report: one group per label, one bar per series, told apart by
    shade *and* hatch (they stay apart in black and white); the legend above, long labels
    slanted. A desktop drawing (the PDF's) and a phone drawing."""
    return pair(
        _bar_chart(labels, series, title, 640, height, WIDE_FONT),
        _bar_chart(labels, series, title, NARROW, narrow_height, NARROW_FONT),
    )


def _bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    width: int,
    height: int,
    font: int,
) -> str:
    hatch = hatch_id()
    fills = [FILLS[i % 4].format(hatch=hatch) for i in range(len(series))]
    rotate = len(labels) > 6 or (font > WIDE_FONT and len(labels) > 3)
    angle = -60 if font > WIDE_FONT else -40
    left = round(font * 3.6)
    # Upright labels are broken between words to fit their group (at most two lines).
    group_chars = int((width - left - 10) / max(len(labels), 1) / (font * 0.6))
    upright = [fit_label(label, group_chars) for label in labels]
    two_lines = not rotate and any(len(lines) > 1 for lines in upright)
    bottom = round(font * 5.6 - angle / 2 - 20) if rotate else font + 25 + (font + 2) * two_lines
    key, extra = legend(
        [(n, box_swatch(fills[i], stroke=True)) for i, (n, _v) in enumerate(series)], width, font
    )
    top = 30 + extra  # room for the legend above the plot
    height += round(extra) + (bottom - (62 if rotate else 36))
    top_value = nice_max(max((v for _, values in series for v in values), default=0))
    plot_w, plot_h = width - left - 10, height - bottom - top
    parts = [svg_open(width, height, title, font), HATCH.format(hatch=hatch)]
    parts += axis(width, height, left, bottom, top_value, top)
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(group_w * 0.8 / max(len(series), 1), 28)
    for g, label in enumerate(labels):
        x0 = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for s, (_name, values) in enumerate(series):
            h = plot_h * values[g] / top_value
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{fills[s]}" stroke="{INK}" '
                f'stroke-width="0.8"><title>{escape(label)}: {values[g]:g}</title></rect>'
            )
        cx = left + g * group_w + group_w / 2
        if rotate:
            short = escape(label if len(label) <= 14 else label[:13] + "…")
            parts.append(
                f'<text x="{cx + 3:.1f}" y="{height - bottom + 10}" text-anchor="end" '
                f'transform="rotate({angle} {cx + 3:.1f} {height - bottom + 10})">{short}</text>'
            )
        else:
            lines = "".join(
                f'<tspan x="{cx:.1f}" dy="{0 if i == 0 else font + 2}">{escape(line)}</tspan>'
                for i, line in enumerate(upright[g])
            )
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 14}" text-anchor="middle">{lines}</text>'
            )
    parts += key
    parts.append("</svg>")
    return "".join(parts)


def axis(
    width: int, height: int, left: int, bottom: int, top_value: float, top: float
) -> list[str]:
    """The count axis of the print charts: five fine gridlines from 0 to `top_value`."""
    plot_h = height - bottom - top
    ticks = [(height - bottom - plot_h * i / 4, short_number(top_value * i / 4)) for i in range(5)]
    return gridlines(left, width - 8, ticks, stroke='stroke="#c8ced6" stroke-width="0.6"')
