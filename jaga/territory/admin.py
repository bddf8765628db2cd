from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jaga.core.admin_audit import AuditedModelAdmin
from jaga.core.errors import DomainError
from jaga.territory import pemekaran
from jaga.territory.models import (
    ChangeKind,
    NormSetting,
    PoliceUnit,
    Population,
    Territory,
    TerritoryChange,
)


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


def _codes(value: str) -> list[str]:
    return [c for c in value.replace(",", " ").split() if c]


class TerritoryChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ChangeKind.choices)
    old = forms.CharField(
        label=_("villages before"),
        help_text=_("Kemendagri codes, separated by spaces or commas: one for a split."),
    )
    new = forms.CharField(
        label=_("villages after"),
        help_text=_("Kemendagri codes: one for a merge. An old village may continue."),
    )
    on = forms.DateField(label=_("date"), help_text=_("YYYY-MM-DD"))
    names = forms.CharField(
        label=_("names of new villages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For villages not loaded yet: one CODE=NAME per line."),
    )
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def clean_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for line in self.cleaned_data.get("names", "").splitlines():
            if not line.strip():
                continue
            code, sep, name = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(
                    gettext("Give a new village's name as CODE=NAME, not “%(value)s”.")
                    % {"value": line.strip()}
                )
            names[code.strip()] = name.strip()
        return names


@admin.register(TerritoryChange)
class TerritoryChangeAdmin(AuditedModelAdmin):
    """Pemekaran: recorded through the same service as `jaga territory split/merge`; a recorded
    change is kept as history (read-only, never deleted here)."""

    list_display = ["on", "kind", "before", "after", "note", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["predecessors__code", "successors__code", "predecessors__name"]
    readonly_fields = ["kind", "on", "predecessors", "successors", "note", "recorded_at"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("predecessors", "successors")

    @admin.display(description=_("before"))
    def before(self, obj: TerritoryChange) -> str:
        return ", ".join(str(t) for t in obj.predecessors.all())

    @admin.display(description=_("after"))
    def after(self, obj: TerritoryChange) -> str:
        return ", ".join(str(t) for t in obj.successors.all())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = TerritoryChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                pemekaran.record_change(
                    data["kind"],
                    _codes(data["old"]),
                    _codes(data["new"]),
                    data["on"],
                    actor=request.user,
                    names=data["names"],
                    note=data["note"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, gettext("The change was recorded."))
                return HttpResponseRedirect(reverse("admin:territory_territorychange_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Record a split or merge"),
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/territory/territorychange/record.html", context)
