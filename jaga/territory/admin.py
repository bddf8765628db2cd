from __future__ import annotations

from django.contrib import admin

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.territory.models import NormSetting, PoliceUnit, Population, Territory


@admin.register(Territory)
class TerritoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "kind", "polmas_status"]
    list_filter = ["level", "kind", "polmas_status"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "successor"]


@admin.register(Population)
class PopulationAdmin(AuditedModelAdmin):
    list_display = ["village", "year", "count", "source", "synthetic"]
    raw_id_fields = ["village"]


@admin.register(PoliceUnit)
class PoliceUnitAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "code", "parent"]
    filter_horizontal = ["territories"]


@admin.register(NormSetting)
class NormSettingAdmin(AuditedModelAdmin):
    list_display = ["key", "value", "label", "commonly_cited", "reference"]
