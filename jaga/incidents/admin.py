"""Categories are configuration (names, legal basis, active); incidents are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.incidents.models import Category, ImportRun, Incident


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name_id", "name_en", "group", "parent", "is_active", "sort_order"]
    list_filter = ["group", "is_active"]
    readonly_fields = ["code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    list_display = ["occurred_at", "category", "village", "source", "source_ref", "severity"]
    list_filter = ["source", "category", "severity"]
    search_fields = ["source_ref", "village__code", "village__name"]
    list_select_related = ["category", "village"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(IncidentAdmin):
    list_display = ["started_at", "file_name", "lines", "created", "unchanged", "actor"]
    list_filter = []
    search_fields = ["file_name"]
    list_select_related = ["actor"]
