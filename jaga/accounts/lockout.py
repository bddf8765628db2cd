"""Login protection on top of django-axes: progressive delays per username AND address.

Axes records failed logins in the database (shared by every worker) for the pair of username and
client address (`AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`): failures from one
address never lock the account for anybody elsewhere. Instead of a hard lock, the n-th failure
(n >= LOGIN_MAX_FAILURES) makes the pair wait LOGIN_COOLOFF_SECONDS x 2^(n - LOGIN_MAX_FAILURES),
at most LOGIN_COOLOFF_MAX_SECONDS, from that failure on. Attempts during a wait are refused
without being counted or checked, so a guesser gets one guess per (doubling) wait. Failures are
forgotten LOGIN_FAILURE_MEMORY seconds after the last one (AXES_COOLOFF_TIME), and on success.
"""

from __future__ import annotations

import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_credentials
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def delay_after(failures: int) -> datetime.timedelta:
    """How long one must wait after the `failures`-th failure (zero below the limit)."""
    limit = int(settings.LOGIN_MAX_FAILURES)
    if failures < limit:
        return datetime.timedelta(0)
    exponent = min(failures - limit, 40)
    seconds = min(
        int(settings.LOGIN_COOLOFF_SECONDS) * 2**exponent, int(settings.LOGIN_COOLOFF_MAX_SECONDS)
    )
    return datetime.timedelta(seconds=seconds)


class ProgressiveLockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    def failures_and_last(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> tuple[int, datetime.datetime | None]:
        best: tuple[int, datetime.datetime | None] = (0, None)
        for attempts in self.get_user_attempts(request, credentials):
            row = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
            if (row["n"] or 0) > best[0]:
                best = (int(row["n"]), row["last"])
        return best

    def locked_until(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> datetime.datetime | None:
        """When the username and address of this request may try again (None: now)."""
        failures, last = self.failures_and_last(request, credentials)
        if last is None:
            return None
        until = last + delay_after(failures)
        return until if until > timezone.now() else None

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return self.locked_until(request, credentials) is not None


def _credentials(request: HttpRequest, credentials: dict[str, Any] | None) -> dict[str, Any]:
    if credentials:
        return credentials
    found = getattr(request, "axes_credentials", None)
    if found:
        return dict(found)
    return dict(get_credentials(get_client_username(request)))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page (or JSON) that says when this username may try again from this address."""
    credentials = _credentials(request, credentials)
    until = ProgressiveLockoutHandler().locked_until(request, credentials)
    if until is None:  # the failure that crossed the limit: wait counted from now
        until = timezone.now() + delay_after(int(settings.LOGIN_MAX_FAILURES))
    seconds = max(1, int((until - timezone.now()).total_seconds()))
    response = render(
        request,
        "accounts/locked_out.html",
        {"until": until, "seconds": seconds, "minutes": max(1, -(-seconds // 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
