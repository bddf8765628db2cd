from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.core.choose import ChooseField, ChooseForm
from jaga.partners.models import (
    AgreementKind,
    CommunityRole,
    Education,
    Gender,
    MemberRole,
    OrgKind,
)


class PersonForm(ChooseForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    village_code = ChooseField(
        "village", label=_("Village"), help_text=_("Type the village's name, e.g. Tamanan.")
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900)
    education = forms.ChoiceField(
        label=_("Education"), choices=[("", "—"), *Education.choices], required=False
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=100, required=False)
    community_roles = forms.MultipleChoiceField(
        label=_("Community roles"),
        choices=CommunityRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    position = forms.CharField(label=_("Official position"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    nik = forms.CharField(
        label=_("NIK"),
        max_length=20,
        required=False,
        help_text=_("16 digits. Stored so that it is never shown in full."),
    )


class OrganisationForm(ChooseForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    local_name = forms.CharField(label=_("Local name"), max_length=200, required=False)
    territory_code = ChooseField(
        "area",
        label=_("Area"),
        help_text=_("The village, district or regency it works in: type its name."),
    )
    founded_on = forms.DateField(
        label=_("Founded on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FkpmForm(ChooseForm):
    name = forms.CharField(label=_("Name"), max_length=200, initial="FKPM ")
    local_name = forms.CharField(label=_("Local name"), max_length=200, required=False)
    territory_code = ChooseField(
        "area", label=_("Village or district"), help_text=_("Type its name, e.g. Tamanan.")
    )
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    police = forms.CharField(label=_("Kapolsek (police party)"), max_length=200)
    government = forms.CharField(label=_("Camat / Kepala Desa / Lurah"), max_length=200)
    community = forms.CharField(
        label=_("Community leaders (one per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(label=_("Signed document"), required=False)

    def community_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["community"].splitlines() if c.strip()]


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    parties = forms.CharField(
        label=_("Other parties (one per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(label=_("Signed document"), required=False)


class MembershipForm(ChooseForm):
    person_id = ChooseField(
        "person", label=_("Person"), help_text=_("Type the person's name and choose from the list.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial="member")
    started_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"
