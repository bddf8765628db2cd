from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.territory.models import Level

LANGUAGE_CHOICES = [("id", "Bahasa Indonesia"), ("en", "English")]


class AnevForm(forms.Form):
    territory = forms.ChoiceField(label=_("Area"))
    month = forms.CharField(
        label=_("Month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "2022-01"})
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="id")

    def __init__(self, *args: Any, territories: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (t.code, t.display_name)
            for t in (territories or [])
            if t.level in (Level.REGENCY, Level.DISTRICT)
        ]
        field = self.fields["territory"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_month(self) -> datetime.date:
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(p) for p in text.split("-")[:2])
            return datetime.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2022-01.")) from None
