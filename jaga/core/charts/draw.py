"""The primitives every chart is drawn from: the wide/narrow pair, scales, axes, tick thinning,
legends, markers and the opening tag (title and aria label). Every text is escaped here or by
the caller before it reaches a drawing; the kinds mark the finished drawing safe."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDE = 720  # viewBox width of the desktop drawing of a monthly chart
NARROW = 320  # viewBox width of the phone drawing
NARROW_FONT = 13  # its label size in user units (≈ 12.5 px on a 360 px screen)
WIDE_FONT = 11

INK, MUTED, GRID, TRACK = "#1b2430", "#5b6675", "#d9dee5", "#eef1f5"
BRAND, BAD, OK, INFO = "#6b1d1d", "#a11d1d", "#1d6b3a", "#1d4f8c"

DASHES = ["", "6 3", "2 3", "8 3 2 3"]
MARKERS = ["circle", "square", "triangle", "diamond"]
FILLS = ["#1b2430", "url(#{hatch})", "#ffffff", "#8a929c"]  # print: shade *and* pattern
HATCH = (
    '<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#1b2430" stroke-width="2.2"/></pattern></defs>'
)
_hatch_ids = itertools.count(1)


def pair(wide: str, narrow: str) -> SafeString:
    """Both drawings in one block; CSS (`.chart-pair`) shows the wide one above 640 px."""
    if not wide and not narrow:
        return mark_safe("")  # noqa: S308 - constant
    return mark_safe(  # noqa: S308 - both drawings are built from escaped text
        f'<div class="chart-pair"><div class="chart-wide">{wide}</div>'
        f'<div class="chart-narrow">{narrow}</div></div>'
    )


def every(count: int, plot_width: float, label_chars: int, font: float) -> int:
    """Label every n-th of `count` evenly spaced ticks so that labels of `label_chars`
    characters at `font` units never touch (about 0.6 em per character plus a gap)."""
    if count <= 1:
        return 1
    need = label_chars * font * 0.62 + font
    room = plot_width / count
    least = max(1, math.ceil(need / room))
    # Round to a stride that reads as a calendar step (quarter, half year, year).
    return next((n for n in (1, 2, 3, 4, 6, 12, 24) if n >= least), least)


def labelled(count: int, stride: int) -> Iterator[int]:
    """The ticks that get a label: every `stride`-th counted back from the last one (the latest
    month is always named), leaving out one so close to the left edge that it would be cut."""
    for i in range(count):
        if (count - 1 - i) % stride == 0 and (i == count - 1 or i >= stride // 2):
            yield i


def fit_label(label: str, chars: int, lines: int = 2) -> list[str]:
    """A label in at most `lines` lines of about `chars` characters, broken between words; only
    a word too long for its line, or words left over, are cut with "…"."""
    chars = max(chars, 4)
    out: list[str] = []
    words = label.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= chars:
            line += " " + words.pop(0)
        out.append(line)
    if words or any(len(line) > chars for line in out):
        out = [line if len(line) <= chars else line[: chars - 1] + "…" for line in out]
        if words:
            last = out[-1]
            out[-1] = (last if len(last) < chars else last[: chars - 1]) + "…"
    return out or [""]


def nice_max(value: float, steps: Sequence[float] = (1, 2, 2.5, 5, 10)) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 × 10^k); at least 4 so that the four
    gridlines of a count axis fall on whole numbers (an axis of three: `steps` 1, 2, 5)."""
    if value <= 4:
        return 4
    exponent = math.floor(math.log10(value))
    for step in steps:
        top = step * 10**exponent
        if top >= value:
            return float(top)
    return float(10 ** (exponent + 1))


def pct(value: float | None) -> str:
    """A rate 0..1 as a whole percentage; "—" for none."""
    return "—" if value is None else f"{value * 100:.0f}%"


def short_number(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value / 1000:g}k"


def svg_open(
    width: float,
    height: float,
    title: str,
    font: float | None,
    *,
    css: str = "",
    cls: str = "chart",
    caption: str | None = None,
) -> str:
    """The opening tag with its title: the aria-label (the text alternative) and the tooltip
    (`caption`, when shorter than the text alternative). `font` None leaves the size to the
    page's CSS (svg.chart: 11 px)."""
    size = f' font-size="{font}"' if font else ""
    style = (f"font-size:{font}px;" if font else "") + css
    return (
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"{size}'
        + (f' style="{style}"' if style else "")
        + f' role="img" aria-label="{escape(title)}">'
        + f"<title>{escape(title if caption is None else caption)}</title>"
    )


def gridlines(
    left: float,
    right: float,
    ticks: Sequence[tuple[float, str]],
    *,
    stroke: str = f'stroke="{GRID}"',
) -> list[str]:
    """Horizontal gridlines at the y of each tick with its label (already text) left of the
    plot."""
    return [
        f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" {stroke}/>'
        f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        for y, label in ticks
    ]


def runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of (index, value) without a None between them: a line broken at every
    missing value (a gap in the register is not drawn as a line across it)."""
    found: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if found[-1]:
                found.append([])
        else:
            found[-1].append((i, value))
    return [run for run in found if run]


def polyline(
    points: Sequence[tuple[float, float]], stroke: str, width: float, dash: str = ""
) -> str:
    return (
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}" fill="none" '
        f'stroke="{stroke}" stroke-width="{width}"'
        + (f' stroke-dasharray="{dash}"' if dash else "")
        + "/>"
    )


def marker(kind: str, x: float, y: float) -> str:
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


def line_swatch(index: int, x: float, y: float) -> str:
    """A legend entry of the `index`-th line: its dash style and its marker."""
    return polyline([(x, y), (x + 18, y)], INK, 1.6, DASHES[index % 4]) + marker(
        MARKERS[index % 4], x + 9, y
    )


def box_swatch(fill: str, stroke: bool = False) -> Callable[[int, float, float], str]:
    edge = f' stroke="{INK}" stroke-width="0.8"' if stroke else ""
    return lambda _index, x, y: (
        f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="12" height="10" fill="{fill}"{edge}/>'
    )


def legend(
    entries: Sequence[tuple[str, Callable[[int, float, float], str]]],
    width: float,
    font: float,
    *,
    x0: float = 10,
    y0: float = 11,
) -> tuple[list[str], float]:
    """Legend entries (name, swatch drawn at x, y) side by side from (`x0`, `y0`), wrapped onto
    further lines when wider than the chart; returns the parts and the height of the extra
    lines (0 for one line)."""
    parts = []
    x, dy = x0, 0.0
    for i, (name, swatch) in enumerate(entries):
        item = 34 + 0.6 * font * len(name)
        if x > x0 and x + item > width:
            x, dy = x0, dy + font * 1.6
        parts.append(swatch(i, x, y0 + dy))
        parts.append(f'<text x="{x + 22:.0f}" y="{y0 + dy + 4:.1f}">{escape(name)}</text>')
        x += item
    return parts, dy


def hatch_id() -> str:
    """A fresh pattern id: two drawings of one page must not share one."""
    return f"hatch{next(_hatch_ids)}"
