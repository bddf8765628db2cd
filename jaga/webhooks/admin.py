"""Admins register endpoints here and read the delivery log; deliveries are retried from the
log (an action) or with `jaga webhooks retry`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.core import outbound
from jaga.core.admin_audit import AuditedModelAdmin
from jaga.core.codes import random_secret
from jaga.territory.models import Territory
from jaga.webhooks import services
from jaga.webhooks.models import EVENT_CHOICES, Delivery, Endpoint


class EndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(
        label=gettext_lazy("address"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("An https:// address."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "secret", "events", "territory_code", "is_active"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        try:
            outbound.check_url(url)
        except outbound.OutboundError as exc:
            raise forms.ValidationError(exc.message) from None
        return url

    def clean_territory_code(self) -> str:
        code = str(self.cleaned_data.get("territory_code") or "").strip()
        if code and not Territory.objects.filter(code=code).exists():
            raise forms.ValidationError(_("No territory has the code %(code)s.") % {"code": code})
        return code

    def clean_secret(self) -> str:
        secret = str(self.cleaned_data.get("secret") or "").strip()
        if secret and len(secret) < 24:
            raise forms.ValidationError(_("A secret has at least 24 characters."))
        return secret or random_secret(32)


@admin.register(Endpoint)
class EndpointAdmin(AuditedModelAdmin):
    form = EndpointForm
    list_display = ["name", "url", "territory_code", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url", "territory_code"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Delivery)
class DeliveryAdmin(AuditedModelAdmin):
    """The delivery log, read-only; "Send again now" retries the selected deliveries."""

    list_display = [
        "delivery_id",
        "event",
        "endpoint",
        "status",
        "response_code",
        "attempts",
        "next_try_at",
        "last_tried_at",
        "created_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["delivery_id"]
    list_select_related = ["endpoint"]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Send again now"), permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = services.retry(
            ids=queryset.values_list("delivery_id", flat=True), actor=request.user
        )
        delivered = sum(1 for d in done if d.status == "delivered")
        messages.info(
            request,
            _("%(sent)s sent, %(delivered)s delivered.")
            % {"sent": len(done), "delivered": delivered},
        )
