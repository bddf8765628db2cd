"""Who does and who looks, as types.

`Viewer` is whoever a page or endpoint answers (a request's user, signed in or not); `Actor` is
whoever a service acts for, and `None` when the system acts (a scheduled job, a command run
without a user). Services check an actor's rights through `jaga.accounts.access`, which accepts
both."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jaga.accounts.models import User

Viewer: TypeAlias = "User | AnonymousUser"
Actor: TypeAlias = "User | AnonymousUser | None"


def signed_in(actor: Actor) -> User | None:
    """The actor as a record stores it (`created_by`, `actor`): the signed-in user, or None for
    the system and for anyone not signed in."""
    from jaga.accounts.models import User

    return actor if isinstance(actor, User) else None


if TYPE_CHECKING:
    from django.http import HttpRequest

    class AuthenticatedRequest(HttpRequest):
        """A request past `login_required`: its user is signed in."""

        user: User

else:
    from django.http import HttpRequest as AuthenticatedRequest  # noqa: F401
