"""Who does and who looks, as types.

`Viewer` is whoever a page or endpoint answers (a request's user, signed in or not); `Actor` is
whoever a service acts for: a user, `SYSTEM` (Jaga's own scheduled work where a service
distinguishes it), or `None` (a job or command run without a user). Services check an actor's
rights through `jaga.accounts.access`, which accepts all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jaga.accounts.models import User


class SystemActor:
    """Jaga itself, acting on a schedule (closing reports whose reopening period is over, ...).

    Recorded with no person, as every job and command is: the audit row's actor and an update's
    author are empty. It is never a signed-in user and holds no role, so it passes only checks
    that name it (`actor is SYSTEM`); passing `None` instead cannot skip a scope check by mistake.
    """

    is_authenticated = False
    is_active = True
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()

Viewer: TypeAlias = "User | AnonymousUser"
Actor: TypeAlias = "User | AnonymousUser | SystemActor | None"


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
