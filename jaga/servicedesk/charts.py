"""Server-side SVG charts (no JavaScript: they work in print and in PDFs)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 720, 220, 34, 34, 14
COLOURS = {"received": "#9aa5b1", "in_time": "#1d6b3a", "late": "#b8860b"}


def monthly_bars(rows: list[dict[str, Any]]) -> SafeString:
    """Per month: reports received (grey) beside reports resolved, in time (green) and late
    (amber). `rows` are {"month": date, "received", "resolved", "in_time"}."""
    if not rows:
        return mark_safe("")  # noqa: S308 - constant
    top = max(max(r["received"], r["resolved"]) for r in rows) or 1
    plot_w = WIDTH - PAD_L - 8
    plot_h = HEIGHT - PAD_B - PAD_T
    slot = plot_w / len(rows)
    bar = max(2.0, slot * 0.36)

    def y(value: float) -> float:
        return PAD_T + plot_h - plot_h * value / top

    # Outside the f-string: xgettext does not see a gettext call inside one.
    aria_label = escape(_("Reports received and resolved per month"))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{aria_label}" '
        'xmlns="http://www.w3.org/2000/svg" style="width:100%;height:auto">'
    ]
    for tick in (0, top / 2, top):
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - 8}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#d9dee5"/>'
            f'<text x="{PAD_L - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{round(tick)}</text>'
        )
    for i, r in enumerate(rows):
        x = PAD_L + i * slot + slot * 0.12
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
        if len(rows) <= 12 or i % 3 == 0:
            parts.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - PAD_B + 14}" text-anchor="middle">'
                f"{r['month'].strftime('%m/%y')}</text>"
            )
    legend = [
        ("received", _("received")),
        ("in_time", _("resolved in time")),
        ("late", _("resolved late")),
    ]
    for i, (key, label) in enumerate(legend):
        lx = PAD_L + i * 170
        parts.append(
            f'<rect x="{lx}" y="{HEIGHT - 12}" width="10" height="10" fill="{COLOURS[key]}"/>'
            f'<text x="{lx + 14}" y="{HEIGHT - 3}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
