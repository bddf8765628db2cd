from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.core.choose import ChooseObjectField, enhance, too_many
from jaga.surveys.models import (
    IKM_ELEMENTS,
    AgeGroup,
    Education,
    Gender,
    IkmElement,
    Occupation,
)
from jaga.territory.models import Level, PoliceUnit, Territory

IKM_SCALE = [
    ("1", _("1 · Not good")),
    ("2", _("2 · Fairly good")),
    ("3", _("3 · Good")),
    ("4", _("4 · Very good")),
]
LIKERT = [
    ("1", _("1 · Strongly disagree")),
    ("2", _("2 · Disagree")),
    ("3", _("3 · Neither")),
    ("4", _("4 · Agree")),
    ("5", _("5 · Strongly agree")),
]
YES_NO = [("1", _("Yes")), ("0", _("No"))]


def public_villages() -> Any:
    """Villages a resident may pick: those of the regencies a Polres serves (all when none)."""
    from django.db.models import Q

    from jaga.territory.models import PoliceUnitKind

    codes = list(
        PoliceUnit.objects.filter(kind=PoliceUnitKind.POLRES).values_list(
            "territories__code", flat=True
        )
    )
    codes = [c for c in codes if c]
    # A resident answers today: a village ended by a pemekaran is not offered (its successors are).
    if not codes:
        return Territory.objects.current()
    q = Q()
    for code in codes:
        q |= Q(code__startswith=code + ".")
    return Territory.objects.current().filter(q)


class VillageChoiceField(forms.ModelChoiceField[Territory]):
    def label_from_instance(self, obj: Any) -> str:
        # The kind too (desa, kelurahan, desa adat), as the other lists name a village.
        return f"{obj.parent.name if obj.parent_id else ''} · {obj.display_name}"


class SuccessorChoiceField(forms.ModelChoiceField[Territory]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name}, Kec. {obj.parent.name}" if obj.parent_id else obj.display_name


def successor_field(queryset: Any) -> forms.Field:
    """The village an invited resident lives in today, among the few that replaced the
    invitation's ended village: each one shown (radio buttons), none to type or guess."""
    return SuccessorChoiceField(
        queryset=queryset.select_related("parent").order_by("name", "code"),
        label=_("The village where you live today"),
        widget=forms.RadioSelect,
        empty_label=None,
    )


def village_field(queryset: Any, user: Any = None) -> forms.Field:
    """The village of a survey form: a select of the villages, or for a staff member with more
    villages than a select should hold (a Polda, the country) a box that searches by name."""
    villages = queryset.filter(level=Level.VILLAGE).select_related("parent").order_by("code")
    label = _("Village (desa / kelurahan)")
    if user is not None and too_many(villages):
        return ChooseObjectField("village", user=user, label=label)
    field = VillageChoiceField(queryset=villages, label=label)
    enhance(field)
    return field


class StaffEntryMixin(forms.Form):
    answered_on = forms.DateField(
        label=_("Date the form was filled in"), widget=forms.DateInput(attrs={"type": "date"})
    )


class IkmForm(forms.Form):
    def __init__(self, *args: Any, villages: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"] = village_field(
            villages if villages is not None else public_villages(), user
        )
        self.fields["unit"] = forms.ModelChoiceField(
            queryset=PoliceUnit.objects.order_by("kind", "name"), label=_("Service unit")
        )
        self.fields["service"] = forms.CharField(
            label=_("Service received"), max_length=60, required=False
        )
        elements = {e.code: e for e in IkmElement.objects.all()}
        for number, code in enumerate(IKM_ELEMENTS, start=1):
            element = elements.get(code)
            self.fields[code] = forms.TypedChoiceField(
                label=f"U{number}. {element.name if element else code}",
                choices=IKM_SCALE,
                coerce=int,
                widget=forms.RadioSelect,
            )
        self.fields["gender"] = forms.ChoiceField(
            label=_("Gender (optional)"), choices=[("", "—"), *Gender.choices], required=False
        )
        self.fields["age_group"] = forms.ChoiceField(
            label=_("Age (optional)"), choices=[("", "—"), *AgeGroup.choices], required=False
        )
        self.fields["education"] = forms.ChoiceField(
            label=_("Education (optional)"),
            choices=[("", "—"), *Education.choices],
            required=False,
        )
        self.fields["occupation"] = forms.ChoiceField(
            label=_("Occupation (optional)"),
            choices=[("", "—"), *Occupation.choices],
            required=False,
        )


class IkmEntryForm(StaffEntryMixin, IkmForm):
    pass


class TrustForm(forms.Form):
    safe_home = forms.TypedChoiceField(
        label=_("I feel safe in my home."), choices=LIKERT, coerce=int, widget=forms.RadioSelect
    )
    safe_night = forms.TypedChoiceField(
        label=_("I feel safe walking in my village at night."),
        choices=LIKERT,
        coerce=int,
        widget=forms.RadioSelect,
    )
    trust_police = forms.TypedChoiceField(
        label=_("I trust the police."), choices=LIKERT, coerce=int, widget=forms.RadioSelect
    )
    would_report = forms.TypedChoiceField(
        label=_("I would report a security problem to the police."),
        choices=LIKERT,
        coerce=int,
        widget=forms.RadioSelect,
    )
    knows_bhabin = forms.ChoiceField(
        label=_("Do you know your village's Bhabinkamtibmas?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    was_visited = forms.ChoiceField(
        label=_("Has a Bhabinkamtibmas visited your home in the last 12 months?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        villages: Any = None,
        user: Any = None,
        successors: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if successors is not None:
            self.fields["village"] = successor_field(successors)
            self.order_fields(["village"])
        elif villages is not None:
            self.fields["village"] = village_field(villages, user)
            self.order_fields(["village"])


class TrustEntryForm(StaffEntryMixin, TrustForm):
    pass


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Survey"),
        choices=[("trust", _("Safety and trust survey")), ("ikm", _("IKM survey"))],
    )
    file = forms.FileField(label=_("CSV or XLSX file"))
