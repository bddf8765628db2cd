"""Field records are read-only in the admin: every change goes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.fieldwork.models import EarlyDetection, Finding, Operation, ProblemCase, Visit


class ReadOnly(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnly):
    list_display = ["visited_on", "village", "officer", "household_head", "topic"]
    list_filter = ["topic", "district_code"]
    search_fields = ["village__code", "village__name", "household_head"]
    list_select_related = ["village", "officer"]


@admin.register(EarlyDetection)
class EarlyDetectionAdmin(ReadOnly):
    list_display = ["observed_at", "village", "urgency", "status"]
    list_filter = ["status", "urgency", "source_kind"]
    list_select_related = ["village"]


@admin.register(ProblemCase)
class ProblemCaseAdmin(ReadOnly):
    list_display = ["opened_on", "title", "village", "kind", "stage"]
    list_filter = ["stage", "kind"]
    list_select_related = ["village"]


class FindingInline(admin.TabularInline[Finding, Any]):
    model = Finding
    extra = 0
    readonly_fields = ["target", "quantity", "follow_up", "note", "incident"]


@admin.register(Operation)
class OperationAdmin(ReadOnly):
    list_display = ["started_at", "programme", "place", "village", "team_size"]
    list_filter = ["programme"]
    list_select_related = ["village", "programme"]
    inlines = [FindingInline]
