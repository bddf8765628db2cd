from __future__ import annotations

from typing import Any

from django import template

from jaga.accounts.access import PARTNERSHIP_ROLES, roles_of

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_link(context: Any) -> dict[str, int] | None:
    """For the top bar: the unread count of an officer or partner (None for anyone else)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (roles_of(user) & PARTNERSHIP_ROLES):
        return None
    from jaga.notifications.services import unread_count

    return {"unread": unread_count(user)}
