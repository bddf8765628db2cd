"""Small template helpers of the analytics pages (a tag is much cheaper than an include)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jaga.analytics import plain
from jaga.core.numbers import say_number

register = template.Library()


@register.simple_tag
def change(value: float | None, signal: bool) -> SafeString:
    """A % change as a badge: red up / green down when unlikely to be chance, grey '~' if noise."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
    if not signal:
        return format_html(
            '<span class="badge info" title="{}">{}% ~</span>',
            _("Within chance variation (Poisson test)"),
            say_number(value, 0),
        )
    return format_html(
        '<span class="badge {}" title="{}">{}%</span>',
        "bad" if value > 0 else "ok",
        _("Unlikely to be chance (Poisson test, p < 0.05)"),
        say_number(value, 0),
    )


@register.simple_tag
def effect_words(result: dict[str, Any], programme: str) -> str:
    """A programme evaluation in one plain sentence (jaga.analytics.plain)."""
    return plain.effect_in_words(result, programme)


@register.simple_tag
def trend_words(fit: Any, place: str) -> str:
    """A trend fit in one plain sentence."""
    return plain.trend_in_words(fit, place)


@register.simple_tag
def hotspots_words(hot: list[dict[str, Any]], weeks: int) -> str:
    """Hot spots in one plain sentence."""
    return plain.hotspots_in_words(hot, weeks)


@register.simple_tag
def alarms_words(alarms: list[dict[str, Any]]) -> str:
    """Early-warning alarms in one plain sentence."""
    return plain.alarms_in_words(alarms)


@register.simple_tag
def villages_count(n: int) -> str:
    """'12 desa' / '12 villages'."""
    return plain.villages(n)


@register.filter
def rounded(value: Any, places: int = 0) -> str:
    """A number rounded (not cut off) in the reader's language; '—' for nothing."""
    if value is None or value == "":
        return "—"
    return say_number(value, int(places))
