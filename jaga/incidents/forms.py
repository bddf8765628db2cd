from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.incidents.models import Category, Source


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Village code or name"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All categories"),
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All sources")), *Source.choices], required=False
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "Columns: occurred_at, village_code, category, source_ref; optional latitude, "
            "longitude, description, severity, source."
        ),
    )
    update = forms.BooleanField(
        label=_("Update the incidents that the rows of an export came from"),
        required=False,
        help_text=_(
            "A row is recognised by its source and source_ref: changed rows update their "
            "incident, new rows are added, nothing else changes."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only show what would change"),
        required=False,
    )
