"""How a public table shows its cells: the marks and the rule for them are suppression.py's."""

from __future__ import annotations

from typing import Any

from django import template

from jaga.reports import suppression

register = template.Library()


@register.filter
def suppressed(value: Any) -> bool:
    """`{% if v|suppressed %}`: the cell is a suppression mark, not a figure."""
    return suppression.is_suppressed(value)


@register.filter
def marked(value: Any) -> Any:
    """`{{ v|marked }}`: the cell, or the withheld mark where it is withheld (None)."""
    return suppression.marked(value)
