"""Charts as inline SVG drawn on the server: no JavaScript, crisp in print and in PDFs.

Series differ by shade *and* by pattern or marker, so they stay apart in black and white.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from jaga.core.charts import every

INK = "#1b2430"
FILLS = ["#1b2430", "url(#{hatch})", "#ffffff", "#8a929c"]
TOP = 30  # room for the legend above the plot
_ids = itertools.count(1)
DASHES = ["", "6 3", "2 3", "8 3 2 3"]
MARKERS = ["circle", "square", "triangle", "diamond"]

DEFS = (
    '<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#1b2430" stroke-width="2.2"/></pattern></defs>'
)


def _fill(index: int, hatch: str) -> str:
    return FILLS[index % 4].format(hatch=hatch)


def nice_max(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 × 10^k); at least 4 so that the four
    gridlines of a count axis fall on whole numbers."""
    if value <= 4:
        return 4
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return float(top)
    return float(10 ** (exponent + 1))


def _axis(
    width: int, height: int, left: int, bottom: int, top_value: float, top: float = TOP
) -> list[str]:
    parts = []
    plot_h = height - bottom - top
    for i in range(5):
        value = top_value * i / 4
        y = height - bottom - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" '
            f'stroke="#c8ced6" stroke-width="0.6"/>'
        )
        label = f"{value:g}" if value < 1000 else f"{value / 1000:g}k"
        parts.append(
            f'<text x="{left - 4}" y="{y + 3.5:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    return parts


def _legend(
    names: Sequence[str], width: int, kind: str, hatch: str = "", font: int = 11
) -> tuple[list[str], float]:
    """The legend above the plot, wrapped onto further lines when it is wider than the chart;
    returns its parts and the room it takes (TOP for one line)."""
    parts = []
    x: float = 10
    dy: float = 0
    for i, name in enumerate(names):
        item = 34 + 0.6 * font * len(name)
        if x > 10 and x + item > width:
            x, dy = 10, dy + font * 1.6
        if kind == "bar":
            parts.append(
                f'<rect x="{x}" y="{6 + dy:.1f}" width="12" height="10" fill="{_fill(i, hatch)}" '
                f'stroke="{INK}" stroke-width="0.8"/>'
            )
        else:
            dash = DASHES[i % 4]
            parts.append(
                f'<line x1="{x}" y1="{11 + dy:.1f}" x2="{x + 18}" y2="{11 + dy:.1f}" '
                f'stroke="{INK}" stroke-width="1.6"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
            parts.append(_marker(MARKERS[i % 4], x + 9, 11 + dy))
        parts.append(f'<text x="{x + 22:.0f}" y="{15 + dy:.1f}">{escape(name)}</text>')
        x += item
    return parts, TOP + dy


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff" stroke="{INK}" stroke-width="1.3"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{INK}"/>'
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 3.5:.1f} {x + 3.5:.1f},{y + 3:.1f} '
            f'{x - 3.5:.1f},{y + 3:.1f}" fill="{INK}"/>'
        )
    return (
        f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} '
        f'{x - 4:.1f},{y:.1f}" fill="#fff" stroke="{INK}" stroke-width="1.2"/>'
    )


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    width: int = 640,
    height: int = 240,
    font: int = 11,
) -> SafeString:
    """Grouped bars: one group per label, one bar per series (`font`: label size in user units,
    larger for the phone drawing)."""
    hatch = f"hatch{next(_ids)}"
    rotate = len(labels) > 6 or (font > 11 and len(labels) > 3)
    angle = -60 if font > 11 else -40
    left, bottom = round(font * 3.6), (round(font * 5.6 - angle / 2 - 20) if rotate else font + 25)
    legend, top = _legend([n for n, _ in series], width, "bar", hatch, font)
    height += round(top - TOP) + (bottom - (62 if rotate else 36))
    top_value = nice_max(max((v for _, values in series for v in values), default=0))
    plot_w = width - left - 10
    plot_h = height - bottom - top
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" font-size="{font}" style="font-size:{font}px" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        DEFS.format(hatch=hatch),
        *_axis(width, height, left, bottom, top_value, top),
    ]
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(group_w * 0.8 / max(len(series), 1), 28)
    for g, label in enumerate(labels):
        x0 = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for s, (_name, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top_value if top_value else 0
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{_fill(s, hatch)}" stroke="{INK}" stroke-width="0.8">'
                f"<title>{escape(label)}: {value:g}</title></rect>"
            )
        short = label if len(label) <= 14 else label[:13] + "…"
        cx = left + g * group_w + group_w / 2
        if rotate:
            parts.append(
                f'<text x="{cx + 3:.1f}" y="{height - bottom + 10}" text-anchor="end" '
                f'transform="rotate({angle} {cx + 3:.1f} {height - bottom + 10})">{escape(short)}</text>'
            )
        else:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                f"{escape(short)}</text>"
            )
    parts += legend
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    width: int = 640,
    height: int = 220,
    font: int = 11,
) -> SafeString:
    """Lines with markers and dash styles: one per series, sharing the x labels."""
    left, bottom = round(font * 3.6), font + 19
    legend, top = _legend([n for n, _ in series], width, "line", "", font)
    height += round(top - TOP)
    top_value = nice_max(max((v for _, values in series for v in values), default=0))
    plot_w = width - left - 18
    plot_h = height - bottom - top
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" font-size="{font}" style="font-size:{font}px" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        *_axis(width, height, left, bottom, top_value, top),
    ]
    step = plot_w / max(len(labels) - 1, 1)
    for s, (_name, values) in enumerate(series):
        points = [
            (left + 6 + i * step, height - bottom - plot_h * v / top_value)
            for i, v in enumerate(values)
        ]
        dash = DASHES[s % 4]
        parts.append(
            '<polyline fill="none" stroke="{ink}" stroke-width="1.6"{dash} points="{pts}"/>'.format(
                ink=INK,
                dash=f' stroke-dasharray="{dash}"' if dash else "",
                pts=" ".join(f"{x:.1f},{y:.1f}" for x, y in points),
            )
        )
        parts += [_marker(MARKERS[s % 4], x, y) for x, y in points]
    stride = 2 if len(labels) > 12 else 1
    if font > 11:
        stride = every(len(labels), plot_w, max((len(x) for x in labels), default=5), font)
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % stride:
            continue
        anchor = "end" if font > 11 and i == len(labels) - 1 else "middle"
        parts.append(
            f'<text x="{left + 6 + i * step:.1f}" y="{height - bottom + font + 3}" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    parts += legend
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
