from __future__ import annotations

import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from jaga.accounts import services, twofactor
from jaga.accounts.access import SIGNED_IN, active_postings, allow, roles_of
from jaga.accounts.forms import LoginForm, OtpForm, TokenForm
from jaga.core.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@login_required
@allow(*SIGNED_IN)
def profile(request: HttpRequest) -> HttpResponse:
    new_token = request.session.pop("new_token", None)
    return render(
        request,
        "accounts/profile.html",
        {
            "postings": active_postings(request.user),
            "roles": sorted(roles_of(request.user)),
            "tokens": request.user.api_tokens.all(),  # type: ignore[union-attr]
            "form": TokenForm(),
            "new_token": new_token,
            "otp_device": twofactor.confirmed_device(request.user),
            "otp_required": twofactor.required(request.user),
            "otp_verified": twofactor.verified(request.user),
        },
    )


@login_required
@require_POST
@allow(*SIGNED_IN)
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name."))
        return redirect("accounts:profile")
    _token, raw = services.create_api_token(
        request.user,  # type: ignore[arg-type]
        form.cleaned_data["name"],
        actor=request.user,
    )
    request.session["new_token"] = raw
    messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    return redirect("accounts:profile")


@login_required
@require_POST
@allow(*SIGNED_IN)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_api_token(request.user, token_id, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@login_required
@allow(*SIGNED_IN)
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code.

    Replacing a device needs a session that already proved the old one, so a stolen password
    alone cannot enrol the thief's phone."""
    user = request.user
    if twofactor.confirmed_device(user) is not None and not twofactor.verified(user):
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.path})}")
    device = services.start_totp_enrolment(user)  # type: ignore[arg-type]
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device = services.confirm_totp_device(
                    user,  # type: ignore[arg-type]
                    form.cleaned_data["token"],
                    actor=user,
                )
            except DomainError as exc:
                form.add_error("token", str(exc.message))
            else:
                otp_login(request, device)
                request.session[twofactor.ENROLLED_KEY] = True
                messages.success(request, _("Two-factor login is on for your account."))
                return redirect(_next_url(request))
        status = 400
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_inline(scale=5),
            "secret": base64.b32encode(device.bin_key).decode(),
            "required": twofactor.required(user),
            "next": _next_url(request),
        },
        status=status,
    )


@login_required
@allow(*SIGNED_IN)
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the enrolled authenticator app."""
    user = request.user
    device = twofactor.confirmed_device(user)
    request.session[twofactor.ENROLLED_KEY] = device is not None
    if device is None and not twofactor.required(user):
        return redirect(_next_url(request))  # e.g. an administrator removed the device
    if device is None:
        return redirect(
            f"{reverse('accounts:otp_setup')}?{urlencode({'next': _next_url(request)})}"
        )
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            allowed, _info = device.verify_is_allowed()
            if not allowed:  # django-otp doubles the wait after each wrong code
                form.add_error("token", _("Too many wrong codes. Wait a little and try again."))
            elif device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_next_url(request))
            else:
                form.add_error("token", _("That code is not right. Check the time on your phone."))
        status = 400
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )
