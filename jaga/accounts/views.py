from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaga.accounts import services
from jaga.accounts.access import SIGNED_IN, active_postings, allow, roles_of
from jaga.accounts.forms import ThrottledLoginForm, TokenForm
from jaga.core.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledLoginForm
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
