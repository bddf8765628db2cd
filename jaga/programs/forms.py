from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.core.choose import ChooseField, ChooseForm, enhance
from jaga.programs.models import (
    CHECKIN_CLOSES_DEFAULT,
    CHECKIN_MAX_MINUTES,
    CHECKIN_OPENS_DEFAULT,
    ActivityKind,
)

if TYPE_CHECKING:
    from jaga.partners.models import Organisation, Person
    from jaga.programs.models import Programme
    from jaga.territory.models import Territory


class ActivityForm(ChooseForm):
    programme = forms.ChoiceField(label=_("Programme"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("End"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    village_code = ChooseField(
        "village", label=_("Held in (village)"), help_text=_("Type the village's name.")
    )
    area_code = ChooseField(
        "area",
        label=_("Area served"),
        required=False,
        help_text=_(
            "A village, district or the regency: invitees must live here. Empty: the village."
        ),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    head_count = forms.IntegerField(label=_("Head count"), required=False, min_value=0)
    grace_minutes = forms.IntegerField(
        label=_("Grace period (minutes)"), initial=15, min_value=0, max_value=240
    )
    checkin_opens_minutes = forms.IntegerField(
        label=_("QR check-in opens (minutes before the start)"),
        initial=CHECKIN_OPENS_DEFAULT,
        min_value=0,
        max_value=CHECKIN_MAX_MINUTES,
    )
    checkin_closes_minutes = forms.IntegerField(
        label=_("QR check-in closes (minutes after the end)"),
        initial=CHECKIN_CLOSES_DEFAULT,
        min_value=0,
        max_value=CHECKIN_MAX_MINUTES,
        help_text=_("After the start when no end is given. Later: record attendance by hand."),
    )
    outcome = forms.CharField(
        label=_("Outcome notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, programmes: Iterable[Programme] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["programme"]).choices = [
            (p.code, f"{p.code} · {p.name}") for p in programmes
        ]


class MonthInput(forms.TextInput):
    input_type = "month"


class ActivityFilterForm(ChooseForm):
    """The activities list's filters: programme, the area they were held in (by name) and a range
    of months (the months of `activities.held`, so the list counts what the roll-ups count)."""

    programme = forms.ChoiceField(label=_("Programme"), required=False)
    area = ChooseField(
        "area",
        label=_("Held in (area)"),
        required=False,
        help_text=_("A village, district or regency: type its name."),
    )
    start = forms.CharField(label=_("From month"), required=False, widget=MonthInput())
    end = forms.CharField(label=_("To month"), required=False, widget=MonthInput())

    def __init__(self, *args: Any, programmes: Iterable[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["programme"])
        field.choices = [("", _("all")), *((p.code, f"{p.code} · {p.name}") for p in programmes)]

    def _month(self, name: str) -> Any:
        from jaga.analytics.units import parse_month

        text = self.cleaned_data.get(name) or ""
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("The month must look like 2026-10."))
        return month

    def clean_start(self) -> Any:
        return self._month("start")

    def clean_end(self) -> Any:
        return self._month("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The last month comes before the first."))
        return data


class InviteForm(forms.Form):
    person_id = forms.TypedChoiceField(
        label=_("Person"), required=False, coerce=int, empty_value=None
    )
    organisation_id = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )
    village_code = forms.ChoiceField(label=_("Or everyone registered in a village"), required=False)

    def __init__(
        self,
        *args: Any,
        people: Iterable[Person] = (),
        organisations: Iterable[Organisation] = (),
        villages: Iterable[Territory] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person_id"]).choices = [("", "—")] + [
            (p.pk, f"{p.full_name} · {p.village.name}") for p in people
        ]
        cast(forms.ChoiceField, self.fields["organisation_id"]).choices = [("", "—")] + [
            (o.pk, o.name) for o in organisations
        ]
        cast(forms.ChoiceField, self.fields["village_code"]).choices = [("", "—")] + [
            (v.code, v.display_name) for v in villages
        ]
        # Long lists: choose.js turns each into a box that filters by the name typed.
        enhance(self.fields["person_id"])
        enhance(self.fields["organisation_id"])
        enhance(self.fields["village_code"])


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=16)
    representative_name = forms.CharField(
        label=_("Represented by (leave empty if the invitee came)"), max_length=150, required=False
    )


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    head_count = forms.IntegerField(label=_("Head count"), required=False, min_value=0)


class AttachForm(forms.Form):
    file = forms.FileField(label=_("Photo or document"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
