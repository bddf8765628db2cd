from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jaga.accounts.models import ApiToken, Posting, User


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
