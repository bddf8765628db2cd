from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.core.choose import SELECT_LIMIT, ChooseField
from jaga.core.types import Actor
from jaga.territory.models import Level

LANGUAGE_CHOICES = [("id", "Bahasa Indonesia"), ("en", "English")]


class AnevForm(forms.Form):
    territory = forms.ChoiceField(label=_("Area"))
    month = forms.CharField(
        label=_("Month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "2022-01"})
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="id")

    def __init__(
        self, *args: Any, territories: Any = None, user: Actor = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        areas = [t for t in (territories or []) if t.level in (Level.REGENCY, Level.DISTRICT)]
        if user is not None and len(areas) > SELECT_LIMIT:
            # The country holds 7,799 regencies and districts: a box that finds one by name
            # (choose.js) instead of a <select> of them all. A Polda or Polres keeps its select.
            chooser = ChooseField(
                "area",
                label=_("Area"),
                help_text=_("A regency or district: type its name."),
            )
            chooser.user = user
            self.fields["territory"] = chooser
            return
        field = self.fields["territory"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.code, t.display_name) for t in areas]

    def clean_territory(self) -> str:
        code = str(self.cleaned_data["territory"])
        # The name box finds villages too; an Anev is written for a regency or a district.
        if len(code.split(".")) not in (2, 3):
            raise forms.ValidationError(_("Choose a regency or a district."))
        return code

    def clean_month(self) -> datetime.date:
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(p) for p in text.split("-")[:2])
            return datetime.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2022-01.")) from None
