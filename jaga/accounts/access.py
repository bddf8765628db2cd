"""Who may see what. One function decides a user's scope; everything else asks it.

A user sees an object when the object's village lies inside one of the territories of the user's
active postings. Codes are hierarchical (`35.03.11.1001` lies inside `35.03.11`, `35.03`, `35`),
so "inside" is a prefix match. Out of scope is a 404, never a 403 that confirms existence.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from jaga.accounts.models import Posting, Role

STAFF_ROLES = {Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER, Role.ADMIN}
ALL_CODES = "*"

M = TypeVar("M", bound=models.Model)


def _cache(user: Any) -> dict[str, Any]:
    cache: dict[str, Any] | None = getattr(user, "_jaga_access", None)
    if cache is None:
        cache = {}
        user._jaga_access = cache
    return cache


def active_postings(user: Any) -> list[Posting]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cache = _cache(user)
    if "postings" not in cache:
        cache["postings"] = list(
            Posting.objects.active().filter(user=user).select_related("territory", "unit")
        )
    postings: list[Posting] = cache["postings"]
    return postings


def roles_of(user: Any) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    roles = {p.role for p in active_postings(user)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return roles


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def scope_codes(user: Any, roles: set[str] | None = None) -> list[str]:
    """The territory codes this user may see (limited to postings of `roles` when given).

    A superuser sees everything: the list is `["*"]`.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [ALL_CODES]
    codes = {p.territory.code for p in active_postings(user) if roles is None or p.role in roles}
    # Drop codes already covered by a broader one.
    return sorted(c for c in codes if not any(c != o and c.startswith(o + ".") for o in codes))


def code_in_scope(code: str, scopes: list[str]) -> bool:
    return any(s == ALL_CODES or code == s or code.startswith(s + ".") for s in scopes)


def scope_q(user: Any, field: str, roles: set[str] | None = None) -> models.Q:
    """A filter that keeps rows whose territory code (at `field`) lies in the user's scope."""
    scopes = scope_codes(user, roles)
    if not scopes:
        return models.Q(pk__in=[])
    if ALL_CODES in scopes:
        return models.Q()
    return reduce(
        or_,
        (models.Q(**{field: s}) | models.Q(**{f"{field}__startswith": s + "."}) for s in scopes),
    )


class ScopedQuerySet(models.QuerySet[M]):
    """Models set `scope_field` (the lookup to a territory code) and get `for_user`."""

    def for_user(self, user: Any, roles: set[str] | None = None) -> ScopedQuerySet[M]:
        field = getattr(self.model, "scope_field", None)
        if field is None:
            raise TypeError(f"{self.model.__name__} has no scope_field")
        return self.filter(scope_q(user, field, roles))


def get_for_user(queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """Fetch one object that the user may see, or raise 404 (whether absent or out of scope)."""
    field = getattr(queryset.model, "scope_field", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} has no scope_field")
    try:
        return queryset.filter(scope_q(user, field)).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
