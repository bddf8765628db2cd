"""Small template helpers of the analytics pages (a tag is much cheaper than an include)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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
            number_format(value, 0),
        )
    return format_html(
        '<span class="badge {}" title="{}">{}%</span>',
        "bad" if value > 0 else "ok",
        _("Unlikely to be chance (Poisson test, p < 0.05)"),
        number_format(value, 0),
    )
