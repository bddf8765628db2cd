from __future__ import annotations

from typing import Any

from django.contrib import admin

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(AuditedModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "territory_code"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "territory_code", "action"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
