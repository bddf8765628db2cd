"""Row charts: a horizontal bar per row with its label and figures; they suit long labels and
a phone's narrow screen."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString

from jaga.core.charts.draw import BRAND, MUTED, NARROW, NARROW_FONT, TRACK, pair, pct, svg_open

PER_CHAR = 8  # room a figure's character takes at 13 units, generously


def rate_bars(rows: Sequence[tuple[str, float | None, str]], *, title: str) -> SafeString:
    """A bar per row: (label, rate 0..1 or None, the counts behind it), the rate and the counts
    after the bar. On a desktop the label stands left of the bar, on a phone above it."""
    figures = [(label, value, pct(value), note) for label, value, note in rows]
    return pair(
        rows_drawing(figures, title, 480, 13, label_above=False, label_w=150, bar_h=24, track=True),
        rows_drawing(figures, title, NARROW, NARROW_FONT, label_above=True, track=True),
    )


def rows_drawing(
    rows: Sequence[tuple[str, float | None, str, str]],
    title: str,
    width: int,
    font: int,
    *,
    label_above: bool,
    label_w: int = 64,
    bar_h: int = 16,
    top: float = 1.0,
    track: bool = False,
) -> str:
    """One drawing of rows (label, value, figure, note): a bar of value/`top` of the plot's
    width; `track`: the whole width drawn faintly behind it and the figures after the track
    (else right after the bar); `label_above`: the label on its own line (a phone)."""
    figures_w = PER_CHAR * max((len(f) + 1 + len(n) for _l, _v, f, n in rows), default=8) + 8
    left = 0 if label_above else label_w
    plot_w = max(120.0 if label_above else 210.0, width - left - figures_w)
    if label_above:
        width = max(width, round(plot_w + figures_w))
    else:
        width = max(width, round(left + plot_w + figures_w))
    row = font + 6 + bar_h + 12 if label_above else bar_h + 8
    parts = [svg_open(width, len(rows) * row + 6, title, font)]
    for i, (label, value, figure, note) in enumerate(rows):
        y = 3 + i * row + (font + 5 if label_above else 0)  # the bar's top
        w = 0 if not value else max(1.0, plot_w * value / top)
        if label_above:
            parts.append(f'<text x="0" y="{y - 5}">{escape(label)}</text>')
        else:
            parts.append(
                f'<text x="{left - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>'
            )
        if track:
            parts.append(
                f'<rect x="{left}" y="{y}" width="{plot_w:.1f}" height="{bar_h}" fill="{TRACK}"/>'
            )
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BRAND}"/>')
        after = left + (plot_w if track else w) + 5
        parts.append(
            f'<text x="{after:.1f}" y="{y + bar_h - 5}">{escape(figure)}'
            + (f' <tspan fill="{MUTED}">{escape(note)}</tspan>' if note else "")
            + "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
