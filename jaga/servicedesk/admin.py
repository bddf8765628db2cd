from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.servicedesk import services
from jaga.servicedesk.models import (
    Open311Client,
    PhotoHost,
    Service,
    ServiceQuestion,
    ServiceRequest,
)

HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)


class QuestionInline(admin.TabularInline[ServiceQuestion, Any]):
    model = ServiceQuestion
    extra = 0


@admin.register(Service)
class ServiceAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "name_id",
        "name_en",
        "group",
        "sla_hours",
        "reopen_days",
        "sensitive",
        "is_active",
    ]
    list_filter = ["group", "sensitive", "is_active"]
    search_fields = ["code", "name_id", "name_en"]
    inlines = [QuestionInline]


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedModelAdmin):
    """Admins issue keys here: the key is shown once in a message after saving, then only its hash
    remains."""

    list_display = ["name", "prefix", "contact", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", "contact", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            Open311Client.objects.filter(pk=obj.pk).update(name=obj.name, contact=obj.contact)
            return
        client, raw = services.create_open311_client(
            obj.name, actor=request.user, contact=obj.contact
        )
        obj.pk = client.pk
        obj.prefix = client.prefix
        messages.warning(
            request,
            _("The API key for %(name)s is %(key)s — copy it now, it is not shown again.")
            % {"name": client.name, "key": raw},
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        for client in queryset:
            services.revoke_open311_client(client, actor=request.user)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(AuditedModelAdmin):
    """Read-only: reports change only through the desk's services (audit, roll-ups)."""

    list_display = ["ticket", "service", "village", "status", "channel", "received_at", "due_at"]
    list_filter = ["status", "channel", "service"]
    search_fields = ["ticket"]
    list_select_related = ["service", "village"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhotoHostForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PhotoHost
        fields = ["host", "note", "is_active"]

    def clean_host(self) -> str:
        host = str(self.cleaned_data["host"]).strip().lower().rstrip(".")
        if not HOST_NAME.match(host):
            raise forms.ValidationError(
                _("Enter the host name alone, e.g. media.example.org (no https://, no path).")
            )
        return host


@admin.register(PhotoHost)
class PhotoHostAdmin(AuditedModelAdmin):
    """Hosts Open311 clients may name in `media_url` (docs/open311.md)."""

    form = PhotoHostForm
    list_display = ["host", "note", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["host", "note"]
