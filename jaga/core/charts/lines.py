"""Line charts: series over shared labels (dash style and marker per series), the sparkline of a
figure card and the event study's effects with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from jaga.core.charts.columns import axis
from jaga.core.charts.draw import (
    BAD,
    BRAND,
    DASHES,
    INFO,
    MARKERS,
    MUTED,
    NARROW,
    NARROW_FONT,
    OK,
    WIDE_FONT,
    every,
    labelled,
    legend,
    line_swatch,
    marker,
    nice_max,
    pair,
    polyline,
    runs,
    svg_open,
)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    *,
    height: int = 220,
    gap: str = "",
    gap_tip: str = "",
) -> SafeString:
    """A line per series with its markers and dash style (apart in black and white), the legend
    above: a desktop drawing (the PDF's) and a phone drawing with fewer labels. `gap`: the mark
    drawn at a label where every series is None (a gap in the register), `gap_tip` its tooltip."""
    marks = (gap, gap_tip)
    return pair(
        _line_chart(labels, series, title, 640, height, WIDE_FONT, marks),
        _line_chart(labels, series, title, NARROW, height, NARROW_FONT, marks),
    )


def _line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    width: int,
    height: int,
    font: int,
    marks: tuple[str, str] = ("", ""),
) -> str:
    left, bottom = round(font * 3.6), font + 19
    key, extra = legend([(name, line_swatch) for name, _v in series], width, font)
    top = 30 + extra  # room for the legend above the plot
    height += round(extra)
    top_value = nice_max(
        max((v for _, values in series for v in values if v is not None), default=0)
    )
    # Room on the right for the latest month's label centred under its point.
    right = max(18, round(max((len(x) for x in labels), default=0) * font * 0.31) + 10)
    plot_w, plot_h = width - left - right, height - bottom - top
    parts = [
        svg_open(width, height, title, font),
        *axis(width, height, left, bottom, top_value, top),
    ]
    step = plot_w / max(len(labels) - 1, 1)
    for s, (_name, values) in enumerate(series):
        # A None (a gap in the register) breaks the line and has no marker.
        for run in runs(values):
            points = [
                (left + 6 + i * step, height - bottom - plot_h * v / top_value) for i, v in run
            ]
            parts.append(polyline(points, "#1b2430", 1.6, DASHES[s % 4]))
            parts += [marker(MARKERS[s % 4], x, y) for x, y in points]
    mark, tip = marks
    for i, label in enumerate(labels):
        if mark and series and all(values[i] is None for _name, values in series):
            parts.append(
                f'<text x="{left + 6 + i * step:.1f}" y="{height - bottom - 4}" '
                f'text-anchor="middle" fill="{MUTED}">{escape(mark)}'
                f"<title>{escape(label)}: {escape(tip)}</title></text>"
            )
    parts += _month_labels(labels, left + 6, plot_w, width, height - bottom + font + 3, font)
    parts += key
    parts.append("</svg>")
    return "".join(parts)


def _month_labels(
    labels: Sequence[str], x0: float, plot_w: float, width: int, y: int, font: int
) -> list[str]:
    """The labels under the ticks, counted back from the latest month (always named), each one
    left out that would touch the one after it: the last ends at its point when centred it would
    cross the right edge, so the one before it may no longer fit."""
    stride = every(len(labels), plot_w, max((len(x) for x in labels), default=5), font)
    step = plot_w / max(len(labels) - 1, 1)
    half = font * 0.31  # half a character's width
    out: list[str] = []
    room = float(width)  # where the label to the right begins
    for i in reversed(list(labelled(len(labels), stride))):
        x = x0 + i * step
        clipped = x + len(labels[i]) * half > width - 2
        right = x if clipped else x + len(labels[i]) * half
        if out and right > room - font * 0.5:
            continue
        room = right - len(labels[i]) * half * 2
        out.append(
            f'<text x="{x:.1f}" y="{y}" '
            f'text-anchor="{"end" if clipped else "middle"}">{escape(labels[i])}</text>'
        )
    return out[::-1]


def sparkline(
    values: Sequence[float | None],
    width: int = 120,
    height: int = 28,
    *,
    labels: Sequence[str] | None = None,
    withheld: str = "?",
    withheld_tip: str = "",
) -> SafeString:
    """A small line of the last months and a dot on the latest; the label reads the values.

    A None (a gap in the register, or a month before it begins or after it ends: unknown, not
    zero) breaks the line; each stretch of them draws `withheld` once at its foot, with
    `withheld_tip` (after the stretch's months) as its tooltip, as `column_chart` marks a gap."""
    if not values:
        return mark_safe("")  # noqa: S308 - constant
    top = max(max((v for v in values if v is not None), default=0), 1)
    step = width / max(len(values) - 1, 1)

    def at(i: int, v: float) -> tuple[float, float]:
        return i * step, height - 2 - (v / top) * (height - 4)

    parts = []
    for run in runs(values):
        points = [at(i, v) for i, v in run]
        if len(points) == 1:  # a month alone between gaps: a dot, as a line of one point is none
            parts.append(
                f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="1.2" fill="{BRAND}"/>'
            )
        else:
            parts.append(polyline(points, BRAND, 1.5))
    for first, last in _none_runs(values):
        # One mark for a stretch of unknown months (a register that begins late or ends early
        # is unknown for many months: one "?" says so, a row of them would be noise).
        tip = withheld_tip
        if labels:
            months = labels[first] if first == last else f"{labels[first]} – {labels[last]}"
            tip = f"{months}: {withheld_tip}"
        x = min(max((first + last) / 2 * step, 4), width - 4)  # the mark stays inside
        parts.append(
            f'<text x="{x:.1f}" y="{height - 1}" text-anchor="middle" font-size="11" '
            f'fill="{MUTED}">{escape(withheld)}<title>{escape(tip)}</title></text>'
        )
    if values[-1] is not None:
        x_last, y_last = at(len(values) - 1, values[-1])
        parts.append(f'<circle cx="{x_last:.1f}" cy="{y_last:.1f}" r="2.2" fill="{BRAND}"/>')
    said = ", ".join(withheld if v is None else str(int(v)) for v in values[-12:])
    svg = (
        f'<svg class="chart spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(said)}">' + "".join(parts) + "</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - numbers and escaped text only


def _none_runs(values: Sequence[float | None]) -> list[tuple[int, int]]:
    """(first, last) index of each stretch of None."""
    found: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if v is not None:
            continue
        if found and found[-1][1] == i - 1:
            found[-1] = (found[-1][0], i)
        else:
            found.append((i, i))
    return found


def event_study_chart(
    points: Sequence[dict[str, float]], width: int = 720, height: int = 260, title: str = ""
) -> SafeString:
    """Effect by months since adoption with 95% intervals; zero line; adoption marked."""
    if not points:
        return mark_safe("")  # noqa: S308 - constant
    return pair(
        _event_study_chart(points, width, height, title, WIDE_FONT, 6),
        _event_study_chart(points, NARROW, 240, title, NARROW_FONT, 12),
    )


def _event_study_chart(
    points: Sequence[dict[str, float]], width: int, height: int, title: str, font: int, tick: int
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
        svg_open(width, height, title, font),
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
