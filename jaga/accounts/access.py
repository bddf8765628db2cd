"""Who may see what: one entry point that applies a user's roles and territory together.

A user's postings give roles over territories. What a user may see is decided in two places, and
both ask this module:

- **Routes.** Every page and API operation declares the roles that may open it with `@allow(...)`
  (or `@allow_public`). Any other role gets 403 (before any lookup, so it confirms nothing);
  anonymous users are sent to the login page (401 on the API). tests/test_access_matrix.py walks
  the URL resolver and the OpenAPI document and fails on any route without a declaration.
- **Rows.** Every scoped model declares `scope_field` (the lookup to a territory code) and
  `scope_roles` (the roles whose postings open it: police records `STAFF_ROLES`, partnership data
  `PARTNERSHIP_ROLES`), optionally `scope_owner` (a lookup to the user who filed a row: a resident
  sees its own). `Model.objects.for_user(user)`, `get_for_user(queryset, user, ...)` and
  `territory_for_user(user, code, roles=...)` count only postings of those roles, so a resident's
  or partner's posting never opens police records. A read that rightly bypasses them (a row named
  by its own secret, a lookup by a key already checked, a public aggregate the suppression layer
  handles) says why with `unscoped(queryset, reason)`: tests/accounts/test_scope_entry.py fails on
  any other read of a scoped model built in request-serving code.

A row's village lies inside a posting's territory when the codes match by prefix
(`35.72.01.1002` lies inside `35.72.01`, `35.72`, `35`). Out of scope is a 404, never a 403 that
confirms existence.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404

from jaga.accounts.models import Posting, Role
from jaga.core.types import Actor, signed_in

STAFF_ROLES = frozenset({Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.LEADER, Role.ADMIN})
PARTNERSHIP_ROLES = STAFF_ROLES | {Role.PARTNER}
# Any signed-in account: a resident's account has the public role (an account without a posting
# counts as a resident too).
SIGNED_IN = frozenset(Role.values)
ALL_CODES = "*"
COUNTRY_LEVEL = "country"  # jaga.territory.models.Level.COUNTRY (not imported: no cycle)

M = TypeVar("M", bound=models.Model)
F = TypeVar("F", bound=Callable[..., Any])


def _cache(user: Actor) -> dict[str, Any]:
    cache: dict[str, Any] | None = getattr(user, "_jaga_access", None)
    if cache is None:
        cache = {}
        setattr(user, "_jaga_access", cache)  # noqa: B010 - a per-request cache on the object
    return cache


def active_postings(actor: Actor) -> list[Posting]:
    user = signed_in(actor)
    if user is None or not user.is_active:
        return []
    cache = _cache(user)
    if "postings" not in cache:
        cache["postings"] = list(
            Posting.objects.active().filter(user=user).select_related("territory", "unit")
        )
    postings: list[Posting] = cache["postings"]
    return postings


def roles_of(actor: Actor) -> set[str]:
    user = signed_in(actor)
    if user is None:
        return set()
    roles = {p.role for p in active_postings(user)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return roles


def route_roles(user: Actor) -> set[str]:
    """The roles a route checks: a signed-in account without a posting is a resident."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return roles_of(user) or {Role.PUBLIC}


def has_role(user: Actor, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def scope_codes(actor: Actor, roles: Iterable[str] | None = None) -> list[str]:
    """The territory codes this user may see through postings of `roles` (default: staff roles).

    A resident's or partner's posting names where they live or work, not a territory whose police
    records they may read: only the callers that mean it pass `PARTNERSHIP_ROLES` or `SIGNED_IN`.
    A superuser sees everything: the list is `["*"]`.
    """
    user = signed_in(actor)
    if user is None or not user.is_active:
        return []
    if user.is_superuser:
        return [ALL_CODES]
    wanted = STAFF_ROLES if roles is None else frozenset(roles)
    postings = [p for p in active_postings(user) if p.role in wanted]
    # The national unit's postings name the country row: every territory, like a superuser's
    # scope (without the superuser's admin rights).
    if any(p.territory.level == COUNTRY_LEVEL for p in postings):
        return [ALL_CODES]
    codes = {p.territory.code for p in postings}
    # Drop codes already covered by a broader one.
    return sorted(c for c in codes if not any(c != o and c.startswith(o + ".") for o in codes))


def code_in_scope(code: str, scopes: list[str]) -> bool:
    return any(s == ALL_CODES or code == s or code.startswith(s + ".") for s in scopes)


def in_scope(user: Actor, code: str, roles: Iterable[str] | None = None) -> bool:
    """Whether territory `code` lies in the user's scope through postings of `roles`."""
    return code_in_scope(code, scope_codes(user, roles))


def regency_of(code: str) -> str | None:
    """The regency a territory code lies in (its first two segments: 35.72.11.1002 -> 35.72), or
    None for a province or the whole country."""
    parts = code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and code != ALL_CODES else None


def key_q(codes: Iterable[str], key: str = "regency_code") -> models.Q:
    """The distribution-key filter implied by territory `codes` (docs/scaling.md, Citus).

    A row inside a village, district or regency carries that regency's code; a row inside a
    province carries a regency code starting with the province's. Added beside a territory filter,
    it changes no result and names the key a distributed table is sharded by. The whole country
    ("*") implies nothing: an empty Q.
    """
    codes = list(codes)
    if not codes or ALL_CODES in codes:
        return models.Q()
    regencies = sorted({r for c in codes if (r := regency_of(c))})
    provinces = sorted(c for c in codes if regency_of(c) is None)
    parts = [models.Q(**{f"{key}__startswith": p + "."}) for p in provinces]
    if regencies:
        parts.append(
            models.Q(**{key: regencies[0]})
            if len(regencies) == 1
            else models.Q(**{f"{key}__in": regencies})
        )
    return reduce(or_, parts)


def scope_q(
    user: Actor, field: str, roles: Iterable[str] | None = None, key: str | None = None
) -> models.Q:
    """A filter that keeps rows whose territory code (at `field`) lies in the user's scope.

    `key` names the row's regency-code column (the distribution key of the big tables): the
    filter then names it too (`key_q`), with the same rows.
    """
    return codes_q(scope_codes(user, roles), field, key)


def codes_q(scopes: list[str], field: str, key: str | None = None) -> models.Q:
    """The rows whose territory code (at `field`) lies in one of `scopes`: the SQL of
    `code_in_scope` (a code, or a code below it at a segment boundary; `*` is everything; no
    scope is nothing), with the distribution key's filter (`key_q`) when `key` is given."""
    if not scopes:
        return models.Q(pk__in=[])
    if ALL_CODES in scopes:
        return models.Q()
    if key:
        # A whole regency is its distribution key alone: every row in it carries the regency's
        # code, and no other row does. The territory condition beside it is redundant and costs
        # a join that PostgreSQL misjudges (it expected one village of 172 and rescanned the
        # regency's index for each). Smaller and larger scopes keep both conditions.
        whole = [s for s in scopes if regency_of(s) == s]
        rest = [s for s in scopes if regency_of(s) != s]
        parts = [key_q(whole, key)] if whole else []
        if rest:
            parts.append(key_q(rest, key) & _codes_q(rest, field))
        return reduce(or_, parts)
    return _codes_q(scopes, field)


def _codes_q(scopes: list[str], field: str) -> models.Q:
    return reduce(
        or_,
        (models.Q(**{field: s}) | models.Q(**{f"{field}__startswith": s + "."}) for s in scopes),
    )


def model_scope_q(
    model: type[models.Model], user: Actor, roles: Iterable[str] | None = None
) -> models.Q:
    """The one filter for a scoped model: its declared roles and territory, plus the user's own rows.

    `roles` narrows the model's `scope_roles` further (never widens them).
    """
    field = getattr(model, "scope_field", None)
    declared = getattr(model, "scope_roles", None)
    if field is None or declared is None:
        raise TypeError(f"{model.__name__} must declare scope_field and scope_roles")
    allowed = frozenset(declared) if roles is None else frozenset(declared) & frozenset(roles)
    q = scope_q(user, field, allowed, getattr(model, "scope_key", None))
    if not q:  # everything (a superuser): adding the owner's rows would narrow it
        return q
    owner = getattr(model, "scope_owner", None)
    if owner and user is not None and user.is_authenticated and user.is_active:
        q |= models.Q(**{owner: user})
    return q


# The attribute of a query (`QuerySet.query`) that says it went through this entry point, or why it
# may read rows without it. It is copied with the query (`Query.clone` copies its attributes), so
# it survives chaining (`.filter()`, `.values()`, `.count()`...) and use as a subquery.
# tests/accounts/test_scope_entry.py fails on any read of a scoped model, built in request-serving
# code, whose query does not carry it.
SCOPE_MARK = "jaga_scope"

Q_ = TypeVar("Q_", bound=models.QuerySet[Any])


def mark_scoped(queryset: Q_, why: str) -> Q_:
    """Mark a queryset as scoped by `why` (the entry points here and in jaga.partners.access)."""
    setattr(queryset.query, SCOPE_MARK, why)
    return queryset


def scoped_by(queryset: models.QuerySet[Any]) -> str | None:
    """How a queryset was scoped ("for_user", "get_for_user", an `unscoped` reason) or None."""
    why: str | None = getattr(queryset.query, SCOPE_MARK, None)
    return why


def unscoped(queryset: Q_, reason: str) -> Q_:
    """Declare a read of a scoped model that rightly bypasses the user's scope.

    For public aggregates that the suppression layer handles, a lookup by a key already checked,
    a row the request's own secret names (a tracking code, a check-in code). `reason` says which:
    it is what a reviewer reads.
    """
    if not reason.strip():
        raise ValueError("unscoped() needs a reason")
    return mark_scoped(queryset, f"unscoped: {reason}")


class ScopedQuerySet(models.QuerySet[M]):
    """Models set `scope_field`, `scope_roles` (and maybe `scope_owner`) and get `for_user`."""

    def for_user(self, user: Actor, roles: Iterable[str] | None = None) -> ScopedQuerySet[M]:
        return mark_scoped(self.filter(model_scope_q(self.model, user, roles)), "for_user")


def get_for_user(queryset: models.QuerySet[M], user: Actor, **lookup: Any) -> M:
    """Fetch one object that the user may see, or raise 404 (whether absent or out of scope)."""
    q = model_scope_q(queryset.model, user)
    try:
        return mark_scoped(queryset.filter(q), "get_for_user").get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def territory_for_user(
    user: Actor, code: str, roles: Iterable[str] | None = None, level: str | None = None
) -> Any:
    """The territory `code` if it lies in the user's scope through `roles` (default staff), or 404.

    `level` (e.g. `Level.VILLAGE`) also requires the territory to be of that level.
    """
    from jaga.territory.models import Territory

    if not isinstance(code, str) or not in_scope(user, code, roles):
        raise Http404
    lookup: dict[str, Any] = {"code": code}
    if level is not None:
        lookup["level"] = level
    try:
        return Territory.objects.get(**lookup)
    except Territory.DoesNotExist as exc:
        raise Http404 from exc


# --------------------------------------------------------------------------- route declarations


@dataclass(frozen=True)
class Access:
    """What a route declared: `public` routes answer anyone; others need one of `roles`."""

    roles: frozenset[str]
    public: bool = False


def declared_access(view: Any) -> Access | None:
    """The declaration of a view or operation function (through its wrappers), if any."""
    seen = 0
    while view is not None and seen < 20:
        found = getattr(view, "jaga_access", None)
        if isinstance(found, Access):
            return found
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return None


def _is_api(request: Any) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and "api" in match.namespaces)


def _api_gate(wanted: frozenset[str]) -> Callable[[Any], Any]:
    """Wrap a Ninja operation's `run`: authenticate, then check the role, then run as usual."""

    def decorate(run: Any) -> Any:
        operation = run.__self__

        @functools.wraps(run)
        def gated(request: Any, *args: Any, **kwargs: Any) -> Any:
            error = operation._run_checks(request)
            if error:
                return error
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                from ninja.errors import AuthenticationError

                return operation.api.on_exception(request, AuthenticationError())
            if not route_roles(user) & wanted:
                return operation.api.on_exception(request, PermissionDenied())
            return run(request, *args, **kwargs)

        return gated

    return decorate


class RoleRequired(PermissionDenied):
    """A 403 that knows which roles the route wanted, so the page can say so."""

    def __init__(self, roles: frozenset[str]) -> None:
        super().__init__("role required")
        self.roles = roles


def allow(*roles: str) -> Callable[[F], F]:
    """Declare the roles that may open a page or API operation; everyone else gets 403.

    Put it below `@router.get(...)` (so Ninja registers the checked function) and below
    `@login_required` / `@require_POST` on pages. Anonymous users go to the login page (401 on the
    API): a 403 would tell them nothing they need, and the login page is where they can do better.
    """
    wanted = frozenset(roles)
    unknown = wanted - set(Role.values)
    if not wanted or unknown:
        raise ValueError(f"allow() needs roles from Role, got {sorted(roles)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                if _is_api(request):
                    from ninja.errors import AuthenticationError

                    raise AuthenticationError
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not route_roles(user) & wanted:
                raise RoleRequired(wanted)
            return view(request, *args, **kwargs)

        checked.jaga_access = Access(roles=wanted)  # type: ignore[attr-defined]
        # Ninja reads the parameters' types from the signature: resolve the view's string
        # annotations in the view's own module, not in this one.
        with contextlib.suppress(NameError, TypeError, SyntaxError):
            checked.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
        # On the API the role is checked right after authentication, before Ninja reads the
        # body: a refused role gets 403 whatever it sends, never a validation answer.
        from ninja.decorators import decorate_view

        return decorate_view(_api_gate(wanted))(checked)  # type: ignore[return-value]

    return decorate


def allow_public(view: F) -> F:
    """Declare a route that anyone may open, signed in or not (the view still limits what it shows)."""
    view.jaga_access = Access(roles=SIGNED_IN, public=True)  # type: ignore[attr-defined]
    return view
