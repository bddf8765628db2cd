from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest

_NAV_MODULES: list[Any] | None = None


def _nav_modules() -> list[Any]:
    """Apps contribute menu entries with `jaga.<app>.nav.items(request, roles)`."""
    global _NAV_MODULES
    if _NAV_MODULES is None:
        found = []
        for config in apps.get_app_configs():
            name = f"{config.name}.nav"
            if config.name.startswith("jaga.") and importlib.util.find_spec(name) is not None:
                found.append(importlib.import_module(name))
        _NAV_MODULES = found
    return _NAV_MODULES


def jaga(request: HttpRequest) -> dict[str, Any]:
    from jaga.accounts.access import STAFF_ROLES, roles_of

    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and user.is_authenticated else set()

    def nav_items() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for module in _nav_modules():
            items.extend(module.items(request, roles))
        return sorted(items, key=lambda i: i.get("order", 100))

    return {
        "user_roles": roles,
        "staff_role": bool(roles & STAFF_ROLES),
        "nav_items": nav_items,
        "security_contact": settings.SECURITY_CONTACT,
    }
