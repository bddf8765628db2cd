"""Users in the admin. Postings grant scope, so they change only through the posting services
(`create_posting`, `change_posting`), which check them and write the audit row; the rest of a
user's record is audited by `AuditedModelAdmin`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.accounts import services, twofactor
from jaga.accounts.models import ApiToken, Posting, User
from jaga.core.admin_audit import AuditedModelAdmin
from jaga.core.audit import log_action
from jaga.core.errors import DomainError

POSTING_FIELDS = ["role", "territory", "unit", "organisation_id", "valid_from", "valid_to"]


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


class PostingForm(forms.ModelForm[Posting]):
    class Meta:
        model = Posting
        fields = POSTING_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["valid_from"].initial = timezone.localdate

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or not self.has_changed():
            return data
        try:
            services.check_posting(
                self.instance.user if self.instance.user_id else User(),
                data["role"],
                data["territory"],
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                organisation_id=data.get("organisation_id"),
                exclude_pk=self.instance.pk,
            )
        except DomainError as error:
            raise ValidationError(str(error.message), code=error.code) from None
        return data


class PostingFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        seen: list[dict[str, Any]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or not data.get("territory") or not data.get("valid_from"):
                continue
            for other in seen:
                if (
                    other["role"] == data["role"]
                    and other["territory"] == data["territory"]
                    and (other["valid_to"] is None or other["valid_to"] >= data["valid_from"])
                    and (data.get("valid_to") is None or data["valid_to"] >= other["valid_from"])
                ):
                    raise ValidationError(
                        _("Two postings give the same role over %(territory)s in one period.")
                        % {"territory": data["territory"].name},
                        code="posting_overlaps",
                    )
            seen.append({**data, "valid_to": data.get("valid_to")})


class PostingInline(admin.TabularInline):  # type: ignore[type-arg]
    """Add or correct postings; end one by giving it a last day. Deleting would erase history."""

    model = Posting
    form = PostingForm
    formset = PostingFormSet
    fields = tuple(POSTING_FIELDS)
    extra = 0
    can_delete = False
    autocomplete_fields = ["territory"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin[User]):
    list_display = ["username", "full_name", "rank", "nrp", "is_active", "is_demo"]
    search_fields = ["username", "full_name", "nrp"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Jaga", {"fields": ["full_name", "rank", "nrp", "phone", "is_demo"]}),
    )
    inlines = [PostingInline]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Django's password page saves the user itself, outside save_model: audit it here."""
        with transaction.atomic():
            old = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and old is not None and user.password != old:
                log_action(
                    "admin.change",
                    user,
                    actor=request.user,
                    before={"password": "***"},
                    after={"password": "***" if user.has_usable_password() else "(unusable)"},
                    note="Django admin: password set",
                )
        return response

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Posting:
            super().save_formset(request, form, formset, change)
            return
        user = form.instance
        # Django's change message reads these after saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for posting_form in formset.forms:
            if not posting_form.has_changed():
                continue
            data = posting_form.cleaned_data
            fields = {
                "unit": data.get("unit"),
                "valid_from": data["valid_from"],
                "valid_to": data.get("valid_to"),
                "organisation_id": data.get("organisation_id"),
            }
            if posting_form.instance.pk is None:
                posting = services.create_posting(
                    user, data["role"], data["territory"], actor=request.user, **fields
                )
                formset.new_objects.append(posting)
            else:
                posting = services.change_posting(
                    posting_form.instance,
                    actor=request.user,
                    role=data["role"],
                    territory=data["territory"],
                    **fields,
                )
                formset.changed_objects.append((posting, posting_form.changed_data))


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Users issue their own tokens (the raw key is shown to them once); here admins see and
    revoke them."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.revoke_api_token(token.user, token.pk, actor=request.user)
