from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.territory.models import PolmasStatus


class PolmasStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Polmas status"), choices=PolmasStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why: e.g. residents settle disturbances themselves."),
    )


class PopulationImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("Columns: village_code, year, count, source."),
    )
