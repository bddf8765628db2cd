"""Phone-first forms: few fields per screen, native inputs, an idempotency key per form load."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import scope_q
from jaga.core.choose import enhance, territory_label
from jaga.core.errors import DomainError
from jaga.core.types import Viewer
from jaga.core.uploads import check_upload_size
from jaga.fieldwork.models import (
    CaseKind,
    CaseStage,
    FollowUp,
    Frequency,
    Outcome,
    SourceKind,
    Target,
    Topic,
    Urgency,
)
from jaga.incidents.models import Category
from jaga.programs.models import Programme
from jaga.territory.models import Level, Territory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def text() -> forms.Textarea:
    """A short text area: on a phone the keyboard already takes half the screen."""
    return forms.Textarea(attrs={"rows": 3})


class VillageChoice(forms.ModelChoiceField[Territory]):
    def label_from_instance(self, obj: Territory) -> str:
        label = territory_label(obj)
        if obj.valid_to is not None and obj.valid_to <= timezone.localdate():
            # Offered for records dated before its end (typed in late); the service refuses
            # later ones, naming the villages that replaced it.
            return _("%(village)s · ended on %(date)s (pemekaran)") % {
                "village": label,
                "date": formats.date_format(obj.valid_to, "j F Y"),
            }
        return label


class FieldForm(forms.Form):
    """Common: the village (limited to the user's scope), the point and the idempotency key."""

    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    village = VillageChoice(label=_("Village"), queryset=Territory.objects.none())
    latitude = forms.FloatField(
        label=_("Latitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        in_scope = Territory.objects.filter(level=Level.VILLAGE).filter(scope_q(user, "code"))
        villages = in_scope.current()
        # A record is placed in a village valid on its date: a village a pemekaran ended still
        # takes the records dated before its end (a late visit, detection or case), so it is
        # offered too; the service refuses a later date with a message naming its successors.
        choosable = in_scope.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=timezone.localdate())
        )
        self.fields["village"].queryset = choosable.select_related("parent").order_by(  # type: ignore[attr-defined]
            "name", "code"
        )
        enhance(self.fields["village"])
        # The point goes last, beside the "use my location" button.
        self.order_fields([f for f in self.fields if f not in ("latitude", "longitude")])
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())
            today, now = timezone.localdate(), timezone.localtime().replace(second=0, microsecond=0)
            for name, value in (
                ("visited_on", today),
                ("opened_on", today),
                ("observed_at", now),
                ("started_at", now),
            ):
                if name in self.fields:
                    self.initial.setdefault(name, value)
            only = list(villages[:2])
            if len(only) == 1:
                self.initial.setdefault("village", only[0].pk)

    def clean_client_key(self) -> uuid.UUID:
        # A form posted without a key (JavaScript off) still gets one, so the record has one.
        return self.cleaned_data.get("client_key") or uuid.uuid4()


class VisitForm(FieldForm):
    visited_on = forms.DateField(label=_("Date of visit"), widget=DATE)
    household_head = forms.CharField(label=_("Head of household"), max_length=120)
    members_met = forms.IntegerField(label=_("Household members met"), min_value=1, initial=1)
    address = forms.CharField(label=_("Address (RT/RW)"), max_length=200, required=False)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    concerns = forms.CharField(label=_("Concerns heard"), widget=text(), required=False)
    hopes = forms.CharField(label=_("Hopes heard"), widget=text(), required=False)
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    field_order = ["client_key", "village", "visited_on", "household_head", "members_met"]

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                check_upload_size(photo)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.message)) from exc
        return photo


class DetectionForm(FieldForm):
    observed_at = forms.DateTimeField(
        label=_("Heard at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    information = forms.CharField(label=_("Information"), widget=text())
    source_kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    frequency = forms.ChoiceField(label=_("How often heard"), choices=Frequency.choices)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    category = forms.ModelChoiceField(
        label=_("Possible category"),
        queryset=Category.objects.filter(parent__isnull=False, is_active=True),
        required=False,
    )

    field_order = ["client_key", "village", "observed_at", "information"]


class CaseForm(FieldForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE)
    problem = forms.CharField(label=_("The recurring problem"), widget=text())
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.filter(parent__isnull=False, is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    party_one = forms.CharField(label=_("First party (disputes)"), required=False)
    party_two = forms.CharField(label=_("Second party (disputes)"), required=False)

    field_order = ["client_key", "village", "title", "kind", "opened_on", "problem"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["latitude"], self.fields["longitude"]


class StageForm(forms.Form):
    """The fields of the case's current stage (built from the service's STAGE_FIELDS)."""

    causes = forms.CharField(label=_("Causes"), widget=text(), required=False)
    people_involved = forms.CharField(label=_("People involved"), widget=text(), required=False)
    places_involved = forms.CharField(label=_("Places involved"), widget=text(), required=False)
    actions = forms.CharField(label=_("Actions"), widget=text(), required=False)
    responsible_partners = forms.CharField(label=_("Responsible partners"), required=False)
    response_started_on = forms.DateField(
        label=_("Response started on"), widget=DATE, required=False
    )
    mediated_on = forms.DateField(label=_("Mediation date"), widget=DATE, required=False)
    agreement = forms.CharField(label=_("Agreement"), widget=text(), required=False)
    agreement_document = forms.FileField(label=_("Agreement document"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    plan_carried_out = forms.NullBooleanField(
        label=_("Was the plan carried out?"),
        widget=forms.NullBooleanSelect,
        required=False,
    )
    assessment = forms.CharField(label=_("Assessment"), widget=text(), required=False)

    def __init__(self, *args: Any, stage: str, **kwargs: Any) -> None:
        from jaga.fieldwork.services import STAGE_FIELDS

        super().__init__(*args, **kwargs)
        keep = set(STAGE_FIELDS.get(stage, [])) - {"title", "problem", "party_one", "party_two"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def changes(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.changed_data}
        if "agreement_document" in data and not data["agreement_document"]:
            del data["agreement_document"]
        return data


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=CaseStage.choices)


class OperationForm(FieldForm):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.all())
    started_at = forms.DateTimeField(
        label=_("Start"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    ended_at = forms.DateTimeField(
        label=_("End"), widget=DATETIME, input_formats=DATETIME_FORMATS, required=False
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    team_size = forms.IntegerField(label=_("Team size"), min_value=1)
    vehicles_checked = forms.IntegerField(label=_("Vehicles checked"), min_value=0, initial=0)
    people_checked = forms.IntegerField(label=_("People checked"), min_value=0, initial=0)
    note = forms.CharField(label=_("Note"), widget=text(), required=False)

    field_order = ["client_key", "programme", "village", "started_at", "ended_at", "place"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for target in Target:
            self.fields[f"qty_{target.value}"] = forms.DecimalField(
                label=target.label, min_value=0, required=False, decimal_places=1
            )
            self.fields[f"fu_{target.value}"] = forms.ChoiceField(
                label=_("Follow-up"),
                choices=[("", "—"), *FollowUp.choices],
                required=False,
            )

    def target_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"qty_{t.value}"], self[f"fu_{t.value}"]) for t in Target]

    def findings(self) -> list[dict[str, Any]]:
        rows = []
        for target in Target:
            quantity = self.cleaned_data.get(f"qty_{target.value}")
            if quantity:
                rows.append(
                    {
                        "target": target.value,
                        "quantity": quantity,
                        "follow_up": self.cleaned_data.get(f"fu_{target.value}", ""),
                    }
                )
        return rows
