"""Charts as inline SVG drawn on the server: readable without JS, in print and in PDFs."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from jaga.core.charts import NARROW, NARROW_FONT, WIDE_FONT, every, pair

INK, MUTED, BRAND, BAD, OK, INFO = "#1b2430", "#5b6675", "#6b1d1d", "#a11d1d", "#1d6b3a", "#1d4f8c"


def sparkline(values: list[float], width: int = 120, height: int = 28) -> SafeString:
    if not values:
        return mark_safe("")  # noqa: S308 - constant
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    pts = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    last = values[-1]
    x_last = (len(values) - 1) * step
    y_last = height - 2 - (last / top) * (height - 4)
    svg = (
        f'<svg class="chart spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(", ".join(str(int(v)) for v in values[-12:]))}">'
        f'<polyline points="{pts}" fill="none" stroke="{BRAND}" stroke-width="1.5"/>'
        f'<circle cx="{x_last:.1f}" cy="{y_last:.1f}" r="2.2" fill="{BRAND}"/></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - numbers and escaped text only


def line_chart(
    labels: list[str],
    values: list[float],
    fitted: list[float] | None = None,
    width: int = 720,
    height: int = 220,
    title: str = "",
) -> SafeString:
    """Monthly bars with an optional fitted trend line: a desktop and a phone drawing."""
    if not values:
        return mark_safe("")  # noqa: S308 - constant
    return pair(
        _line_chart(labels, values, fitted, width, height, title, WIDE_FONT),
        _line_chart(labels, values, fitted, NARROW, 210, title, NARROW_FONT),
    )


def _line_chart(
    labels: list[str],
    values: list[float],
    fitted: list[float] | None,
    width: int,
    height: int,
    title: str,
    font: int,
) -> str:
    left, bottom, top_pad = round(font * 3.3), font * 2 + 2, 10
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    top = max(max(values), max(fitted or [0]), 1)
    bar_w = plot_w / len(values)
    stride = max(6 if font == WIDE_FONT else 1, every(len(values), plot_w, 8, font))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'font-size="{font}" style="font-size:{font}px" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{top * frac:.0f}</text>'
        )
    for i, v in enumerate(values):
        h = plot_h * v / top
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top_pad + plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="#c9a6a6"><title>{escape(labels[i])}: {v:g}</title></rect>'
        )
        if (len(values) - 1 - i) % stride == 0 and (i == len(values) - 1 or i >= stride // 2):
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" '
                f'text-anchor="{"end" if i == len(values) - 1 else "middle"}">'
                f"{escape(labels[i])}</text>"
            )
    if fitted:
        pts = " ".join(
            f"{left + (i + 0.5) * bar_w:.1f},{top_pad + plot_h * (1 - f / top):.1f}"
            for i, f in enumerate(fitted)
        )
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{BRAND}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def event_study_chart(
    points: list[dict[str, float]], width: int = 720, height: int = 260, title: str = ""
) -> SafeString:
    """Effect by months since adoption with 95% intervals; zero line; adoption marked."""
    if not points:
        return mark_safe("")  # noqa: S308 - constant
    return pair(
        _event_study_chart(points, width, height, title, WIDE_FONT, 6),
        _event_study_chart(points, NARROW, 240, title, NARROW_FONT, 12),
    )


def _event_study_chart(
    points: list[dict[str, float]], width: int, height: int, title: str, font: int, tick: int
) -> str:
    left, bottom, top_pad = round(font * 4), font * 2 + 2, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    lo = min(min(p["ci_low"] for p in points), 0)
    hi = max(max(p["ci_high"] for p in points), 0)
    span = (hi - lo) or 1
    es = [int(p["e"]) for p in points]
    e0, e1 = min(es), max(es)
    step = plot_w / max(e1 - e0, 1)

    def y(v: float) -> float:
        return top_pad + plot_h * (hi - v) / span

    def x(e: float) -> float:
        return left + (e - e0) * step

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'font-size="{font}" style="font-size:{font}px" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" x2="{width - 10}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{MUTED}"/>',
        f'<line x1="{x(-0.5):.1f}" x2="{x(-0.5):.1f}" y1="{top_pad}" y2="{top_pad + plot_h}" '
        f'stroke="{MUTED}" stroke-dasharray="4 3"/>',
    ]
    for v in (lo, hi):
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for p in points:
        e = int(p["e"])
        colour = INFO if e < 0 else (OK if p["ci_high"] < 0 else BAD if p["ci_low"] > 0 else BRAND)
        parts.append(
            f'<line x1="{x(e):.1f}" x2="{x(e):.1f}" y1="{y(p["ci_low"]):.1f}" '
            f'y2="{y(p["ci_high"]):.1f}" stroke="{colour}" stroke-width="1.5"/>'
            f'<circle cx="{x(e):.1f}" cy="{y(p["att"]):.1f}" r="3" fill="{colour}">'
            f"<title>e={e}: {p['att']:.2f} [{p['ci_low']:.2f}, {p['ci_high']:.2f}]</title></circle>"
        )
        if e % tick == 0:
            parts.append(
                f'<text x="{x(e):.1f}" y="{height - 6}" '
                f'text-anchor="{"end" if e == e1 else "middle"}">{e:+d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
