from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from jaga.accounts import twofactor
from jaga.accounts.models import ApiToken, Posting, User


class OtpAdminSite(admin.AdminSite):
    """The admin site asks for the second factor too (like django_otp.admin.OTPAdminSite, but
    through Jaga's own two-step pages): a password alone never opens it. Its login form is
    protected by django-axes like the site's."""

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_permission(request) and twofactor.satisfied(request.user))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not twofactor.satisfied(user)
        ):
            route = (
                "accounts:otp_verify"
                if twofactor.confirmed_device(user) is not None
                else "accounts:otp_setup"
            )
            target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect(f"{reverse(route)}?{urlencode({'next': target})}")
        response: HttpResponse = super().login(request, extra_context)
        return response


admin.site.__class__ = OtpAdminSite


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    autocomplete_fields = ["territory"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "rank", "nrp", "is_active", "is_demo"]
    search_fields = ["username", "full_name", "nrp"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Jaga", {"fields": ["full_name", "rank", "nrp", "phone", "is_demo"]}),
    )
    inlines = [PostingInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
