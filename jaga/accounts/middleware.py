"""After the password, a leader or administrator proves a second factor before anything else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.accounts import twofactor

# Paths open to a session that still owes its second factor.
OPEN_PREFIXES = ("/static/", "/i18n/", "/jsi18n/")
OPEN_ROUTES = ("accounts:otp_setup", "accounts:otp_verify", "accounts:logout")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not twofactor.verified(user)
            and not self._open(request.path)
            and twofactor.must_prove(user, request.session)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "otp_required",
                        "message": _(
                            "This account needs two-factor login: finish it in the browser first."
                        ),
                    },
                    status=403,
                )
            route = (
                "accounts:otp_verify"
                if twofactor.confirmed_device(user) is not None
                else "accounts:otp_setup"
            )
            return redirect(f"{reverse(route)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path.startswith(OPEN_PREFIXES) or any(
            path == reverse(route) for route in OPEN_ROUTES
        )
