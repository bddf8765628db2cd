"""Server-side SVG charts: they work without JavaScript, in print and in PDFs."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString

from jaga.core.charts import NARROW, NARROW_FONT, every, pair

BIG = "font-size:13px"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def rate_bars(rows: Sequence[tuple[str, float | None, str]], *, title: str) -> SafeString:
    """Horizontal bars, one per row: (label, rate 0..1 or None, the counts behind it)."""
    return pair(_rate_bars(rows, title), _rate_rows(rows, title))


def _rate_rows(rows: Sequence[tuple[str, float | None, str]], title: str) -> str:
    """The phone drawing: the label on its own line above a full-width bar and its figures."""
    font, bar_h = NARROW_FONT, 16
    row = font + 6 + bar_h + 12
    figures_w = 7.5 * max((len(_pct(v)) + 1 + len(n) for _l, v, n in rows), default=8) + 6
    plot_w = max(120.0, NARROW - figures_w - 4)
    height = len(rows) * row + 4
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {NARROW} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-size="{font}" '
        f'style="font-size:{font}px" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, note) in enumerate(rows):
        y = 2 + i * row
        w = 0 if value is None else max(1.0, plot_w * value)
        parts.append(
            f'<text x="0" y="{y + font}">{escape(label)}</text>'
            f'<rect x="0" y="{y + font + 5}" width="{plot_w:.1f}" height="{bar_h}" fill="#eef1f5"/>'
            f'<rect x="0" y="{y + font + 5}" width="{w:.1f}" height="{bar_h}" fill="#6b1d1d"/>'
            f'<text x="{plot_w + 5:.1f}" y="{y + font + 5 + bar_h - 3}">{_pct(value)} '
            f'<tspan fill="#5b6675">{escape(note)}</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _rate_bars(rows: Sequence[tuple[str, float | None, str]], title: str) -> str:
    bar_h, gap, label_w = 24, 8, 150
    figures_w = 8 * max((len(_pct(v)) + 1 + len(n) for _l, v, n in rows), default=8) + 12
    width = round(max(480, label_w + 210 + figures_w))
    plot_w = width - label_w - figures_w
    height = len(rows) * (bar_h + gap) + 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-size="13" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, note) in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = 0 if value is None else max(1.0, plot_w * value)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" style="{BIG}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#eef1f5"/>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#6b1d1d"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 16}" style="{BIG}">{_pct(value)} '
            f'<tspan fill="#5b6675">{escape(note)}</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def monthly_columns(
    months: Sequence[tuple[datetime.date, float | None, int]], *, title: str
) -> SafeString:
    """Columns per month: the rate (0..1) with the denominator beneath as a tooltip."""
    return pair(
        _monthly_columns(months, title, 720, 200, 11),
        _monthly_columns(months, title, NARROW, 200, NARROW_FONT),
    )


def _monthly_columns(
    months: Sequence[tuple[datetime.date, float | None, int]],
    title: str,
    width: int,
    height: int,
    font: int,
) -> str:
    left, bottom = round(font * 3.3), font + 17
    n = max(1, len(months))
    step = (width - left - 10) / n
    stride = every(n, width - left - 10, 5, font)
    plot_h = height - bottom - 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-size="{font}" '
        f'style="font-size:{font}px" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{frac * 100:.0f}%</text>'
        )
    for i, (month, value, den) in enumerate(months):
        x = left + i * step
        h = 0 if value is None else plot_h * value
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{10 + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="#6b1d1d"><title>{month:%Y-%m}: {_pct(value)} '
            f"(n={den})</title></rect>"
        )
        shown = (month.month in (1, 7) or n <= 12) if font <= 11 else (n - 1 - i) % stride == 0
        if shown:
            anchor = "end" if i == n - 1 and font > 11 else "middle"
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="{anchor}">'
                f"{month:%m/%y}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
