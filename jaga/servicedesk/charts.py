"""Server-side SVG charts (no JavaScript: they work in print and in PDFs)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jaga.core.charts import NARROW, NARROW_FONT, WIDE_FONT, every, pair

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 720, 220, 34, 34, 14
COLOURS = {"received": "#9aa5b1", "in_time": "#1d6b3a", "late": "#b8860b"}


def monthly_bars(rows: list[dict[str, Any]]) -> SafeString:
    """Per month: reports received (grey) beside reports resolved, in time (green) and late
    (amber). `rows` are {"month": date, "received", "resolved", "in_time"}."""
    if not rows:
        return mark_safe("")  # noqa: S308 - constant
    return pair(
        _monthly_bars(rows, WIDTH, HEIGHT, WIDE_FONT), _monthly_bars(rows, NARROW, 250, NARROW_FONT)
    )


def _monthly_bars(rows: list[dict[str, Any]], width: int, height: int, font: int) -> str:
    """One drawing: `width` × `height` user units with `font`-unit labels; the legend goes on
    one line when it fits, else one entry per line below the months."""
    legend = [
        ("received", _("received")),
        ("in_time", _("resolved in time")),
        ("late", _("resolved late")),
    ]
    one_line = width >= 600
    pad_l = round(font * 3.1)
    pad_b = PAD_B if one_line else round(font * 1.6 * len(legend) + font + 8)
    height += 0 if one_line else pad_b - PAD_B
    top = max(max(r["received"], r["resolved"]) for r in rows) or 1
    plot_w = width - pad_l - 8
    plot_h = height - pad_b - PAD_T
    stride = every(len(rows), plot_w, 5, font)
    if one_line:
        stride = 1 if len(rows) <= 12 else max(3, stride)
    slot = plot_w / len(rows)
    bar = max(2.0, slot * 0.36)

    def y(value: float) -> float:
        return PAD_T + plot_h - plot_h * value / top

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Reports received and resolved per month"))}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{font}" '
        f'style="width:100%;height:auto;font-size:{font}px">'
    ]
    for tick in (0, top / 2, top):
        parts.append(
            f'<line x1="{pad_l}" x2="{width - 8}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#d9dee5"/>'
            f'<text x="{pad_l - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{round(tick)}</text>'
        )
    for i, r in enumerate(rows):
        x = pad_l + i * slot + slot * 0.12
        title = escape(
            _("%(month)s: %(received)s received, %(resolved)s resolved, %(in_time)s in time")
            % {
                "month": r["month"].strftime("%m/%Y"),
                "received": r["received"],
                "resolved": r["resolved"],
                "in_time": r["in_time"],
            }
        )
        parts.append(
            f"<g><title>{title}</title>"
            f'<rect x="{x:.1f}" y="{y(r["received"]):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(r["received"]):.1f}" fill="{COLOURS["received"]}"/>'
            f'<rect x="{x + bar:.1f}" y="{y(r["in_time"]):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(r["in_time"]):.1f}" fill="{COLOURS["in_time"]}"/>'
            f'<rect x="{x + bar:.1f}" y="{y(r["resolved"]):.1f}" width="{bar:.1f}" '
            f'height="{y(r["in_time"]) - y(r["resolved"]):.1f}" fill="{COLOURS["late"]}"/>'
            "</g>"
        )
        if (len(rows) - 1 - i) % stride == 0:
            parts.append(
                f'<text x="{x + bar:.1f}" y="{height - pad_b + font + 3}" '
                f'text-anchor="{"end" if i == len(rows) - 1 and not one_line else "middle"}">'
                f"{r['month'].strftime('%m/%y')}</text>"
            )
    for i, (key, label) in enumerate(legend):
        lx = pad_l + i * 170 if one_line else pad_l
        ly = height - 3 if one_line else height - 3 - (len(legend) - 1 - i) * font * 1.6
        parts.append(
            f'<rect x="{lx}" y="{ly - 9:.1f}" width="10" height="10" fill="{COLOURS[key]}"/>'
            f'<text x="{lx + 14}" y="{ly:.1f}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
