from __future__ import annotations

from typing import Any

from django import template

from jaga.accounts.access import PARTNERSHIP_ROLES, roles_of

register = template.Library()


@register.simple_tag(takes_context=True)
def has_inbox(context: Any) -> bool:
    """For the top bar: whether the person has an inbox (officers and partners). The unread
    count is fetched after the page (htmx), so no page pays a query for it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and roles_of(user) & PARTNERSHIP_ROLES)
