"""Two-factor login (TOTP, django-otp): who must use it and what a session has proven."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaga.accounts.access import has_role
from jaga.core.types import Viewer


def demo_skip(user: Viewer) -> bool:
    """DEBUG-only: `JAGA_DEMO_SKIP_2FA` lets the demo accounts in without a second factor."""
    return bool(settings.DEBUG and settings.JAGA_DEMO_SKIP_2FA and getattr(user, "is_demo", False))


def required(user: Viewer) -> bool:
    """Leaders, administrators and superusers must log in with a second factor."""
    if user is None or not user.is_authenticated or demo_skip(user):
        return False
    return bool(user.is_superuser or has_role(user, *settings.JAGA_2FA_REQUIRED_ROLES))


ENROLLED_KEY = "jaga_otp_enrolled"


def must_prove(user: Viewer, session: Any = None) -> bool:
    """A session must show a code: the role requires it, or the user enrolled a device.

    Whether an optional user has a device is remembered in the session (one query per session,
    not per request); the enrolment and verification pages refresh it."""
    if user is None or not user.is_authenticated or demo_skip(user):
        return False
    if required(user):
        return True
    if session is not None and ENROLLED_KEY in session:
        return bool(session[ENROLLED_KEY])
    enrolled = confirmed_device(user) is not None
    if session is not None:
        session[ENROLLED_KEY] = enrolled
    return enrolled


def verified(user: Viewer) -> bool:
    """This session proved a second factor (django-otp's OTPMiddleware marks it)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def satisfied(user: Viewer) -> bool:
    return verified(user) or demo_skip(user)


def confirmed_device(user: Viewer) -> TOTPDevice | None:
    if user is None or not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def remember_enrolment(sender: Any, request: Any, user: Viewer, **_kwargs: Any) -> None:
    """At login, note in the session whether the user has a device (see `must_prove`)."""
    session = getattr(request, "session", None)
    if session is not None and user is not None:
        session[ENROLLED_KEY] = confirmed_device(user) is not None
