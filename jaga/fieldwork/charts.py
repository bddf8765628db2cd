"""Inline SVG charts drawn on the server (no JavaScript; prints and renders in PDFs)."""

from __future__ import annotations

import datetime

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from jaga.core.charts import NARROW, NARROW_FONT, pair


def bars(series: list[tuple[datetime.date, int]], height: int = 140) -> SafeString:
    """A bar per month with its count above and the month below; on a phone, a row per month."""
    if not series:
        return SafeString("")
    return pair(_columns(series, height), _rows(series))


def _rows(series: list[tuple[datetime.date, int]]) -> SafeString:
    """The phone drawing: the month, a horizontal bar and the count, one row per month."""
    row, label_w, value_w = NARROW_FONT * 2, 64, 52
    height = row * len(series) + 4
    plot = NARROW - label_w - value_w
    top = max(v for _, v in series) or 1
    body = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" fill="#5b6675">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#6b1d1d"></rect>'
        '<text x="{}" y="{}">{}</text>',
        [
            (
                label_w - 6,
                i * row + row - 8,
                date_format(month, "M y"),
                label_w,
                i * row + 5,
                max(1, round(plot * value / top)) if value else 0,
                row - 8,
                label_w + (round(plot * value / top) if value else 0) + 5,
                i * row + row - 8,
                value,
            )
            for i, (month, value) in enumerate(series)
        ],
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" font-size="{}" '
        'style="font-size:{}px">{}</svg>',
        NARROW,
        height,
        NARROW_FONT,
        NARROW_FONT,
        body,
    )


def _columns(series: list[tuple[datetime.date, int]], height: int) -> SafeString:
    width = 48 * len(series)
    top = max(v for _, v in series) or 1
    plot = height - 36
    parts = []
    for index, (month, value) in enumerate(series):
        h = round(plot * value / top)
        x = index * 48 + 8
        y = 16 + plot - h
        parts.append(
            (
                x,
                y,
                h,
                x + 16,
                y - 4,
                value,
                height - 6,
                date_format(month, "M y"),
            )
        )
    body = format_html_join(
        "",
        '<rect x="{}" y="{}" width="32" height="{}" fill="#6b1d1d"></rect>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" text-anchor="middle" fill="#5b6675">{}</text>',
        [(x, y, h, cx, ty, v, cx, ly, label) for x, y, h, cx, ty, v, ly, label in parts],
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" style="max-height:{}px">{}</svg>',
        width,
        height,
        height,
        body,
    )
