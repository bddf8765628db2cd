from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.core import choose
from jaga.core.choose import ChooseField, enhance
from jaga.servicedesk.models import STAFF_CHANNELS, Datatype, Service, Status
from jaga.servicedesk.photos import MAX_PHOTOS
from jaga.territory.models import Level, Territory


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(d, initial) for d in items]


def ordered_villages(villages: Any) -> Any:
    return villages.select_related("parent").order_by("parent__name", "name")


def village_choices(villages: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Villages grouped by district, for a <select> that works without JavaScript (`villages`:
    a queryset, or the rows of `ordered_villages` already read)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    rows = ordered_villages(villages) if hasattr(villages, "select_related") else villages
    for v in rows:
        groups.setdefault(v.district_code, []).append((v.code, v.display_name))
        names[v.district_code] = v.parent.name if v.parent else v.district_code
    return [(f"Kecamatan {names[code]}", items) for code, items in groups.items()]


def public_villages() -> Any:
    return Territory.objects.current().filter(level=Level.VILLAGE, regency_code__in=_served())


def ended_public_villages() -> Any:
    """Villages of the served regencies that a pemekaran ended: a resident may still call a
    place by its old name (the WhatsApp intake offers the villages that replaced it)."""
    return Territory.objects.filter(level=Level.VILLAGE, regency_code__in=_served()).exclude(
        pk__in=Territory.objects.current().values("pk")
    )


def _served() -> list[str]:
    from jaga.territory.models import PoliceUnit, PoliceUnitKind

    codes = list(
        PoliceUnit.objects.filter(kind=PoliceUnitKind.POLRES).values_list(
            "territories__code", flat=True
        )
    )
    return [c for c in codes if c] or list(
        Territory.objects.filter(level=Level.REGENCY).values_list("code", flat=True)[:1]
    )


class VillageForm(forms.Form):
    desa = forms.ChoiceField(label=_("Village (desa / kelurahan)"))

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["desa"]).choices = [
            ("", _("— choose —")),
            *village_choices(villages),
        ]
        enhance(self.fields["desa"])


class ReportForm(forms.Form):
    """The report form; the service's questions become fields named `q_<code>`."""

    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("Where, when, who or what you saw. Do not write other people's phone numbers."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    address = forms.CharField(
        label=_("Place (street, hamlet, landmark)"), required=False, max_length=255
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously (we will not ask who you are)"), required=False
    )
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=150)
    phone = forms.CharField(label=_("Phone / WhatsApp"), required=False, max_length=30)
    email = forms.EmailField(label=_("Email"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, service: Service, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.staff = staff
        self.fields["photos"].help_text = _(
            "Up to %(n)s photos (JPEG, PNG or WebP). Location data in photos is removed."
        ) % {"n": MAX_PHOTOS}
        if staff:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Channel"),
                choices=[(c.value, c.label) for c in STAFF_CHANNELS],
            )
            self.fields["anonymous"].label = _("The reporter wishes to stay anonymous")
            self.fields["reporter_name"].label = _("Reporter's name")
        for question in service.questions.all():
            name = f"q_{question.code}"
            kwargs_: dict[str, Any] = {"label": question.prompt, "required": question.required}
            if question.datatype == Datatype.SINGLE:
                field: forms.Field = forms.ChoiceField(
                    choices=[("", "—"), *question.choices()], **kwargs_
                )
            elif question.datatype == Datatype.MULTI:
                field = forms.MultipleChoiceField(
                    choices=question.choices(), widget=forms.CheckboxSelectMultiple, **kwargs_
                )
            elif question.datatype == Datatype.NUMBER:
                field = forms.DecimalField(**kwargs_)
            elif question.datatype == Datatype.TEXT:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **kwargs_)
            elif question.datatype == Datatype.DATETIME:
                field = forms.DateTimeField(
                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **kwargs_
                )
            else:
                field = forms.CharField(max_length=200, **kwargs_)
            self.fields[name] = field

    def question_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("q_")]

    def report_fields(self) -> dict[str, Any]:
        """What the reporter typed, as the keyword arguments of `services.submit_request`."""
        data = self.cleaned_data
        return {
            "description": data["description"],
            "occurred_at": data["occurred_at"],
            "address": data["address"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "anonymous": data["anonymous"],
            "reporter_name": data["reporter_name"],
            "phone": data["phone"],
            "email": data["email"],
            "answers": self.answers(),
            "photos": data["photos"],
            "idempotency_key": data["idempotency_key"],
        }

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("q_") and value not in (None, "", []):
                out[name[2:]] = (
                    value.isoformat()
                    if hasattr(value, "isoformat")
                    else (str(value) if not isinstance(value, list) else value)
                )
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contact = data.get("phone") or data.get("email")
        if not self.staff and not data.get("anonymous") and not contact:
            self.add_error(
                "phone", _("Give a phone number or an email address, or report anonymously.")
            )
        return data


class ReporterNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Add information to your report"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_(
            "The officers handling it will see this. Do not write other people's phone numbers."
        ),
    )


class TrackForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket code"), max_length=16)
    code = forms.CharField(
        label=_("Tracking code"),
        required=False,
        max_length=40,
        help_text=_(
            "The private code you received when you reported. Without it you see only the "
            "public status."
        ),
    )


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Ticket or text"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args: Any, villages: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service"]).choices = [("", _("All services"))] + [
            (s.code, s.name) for s in Service.objects.all()
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("All statuses")),
            ("open", _("Open (not finished)")),
            *Status.choices,
        ]
        # One read of at most SELECT_LIMIT + 1 villages tells a Polres (its select) from a Polda
        # or the country (a box that searches the villages by name).
        rows = list(ordered_villages(villages)[: choose.SELECT_LIMIT + 1])
        if user is not None and len(rows) > choose.SELECT_LIMIT:
            chooser = ChooseField("village", required=False, label=_("Village"))
            chooser.user = user
            self.fields["village"] = chooser
            return
        cast(forms.ChoiceField, self.fields["village"]).choices = [
            ("", _("All villages")),
            *village_choices(rows),
        ]
        enhance(self.fields["village"])

    def village_code(self) -> str | None:
        """The village the filter names, as a code (a typed name resolved in the user's scope),
        "" for all, None when the name matches no village or several (the form says which)."""
        if not isinstance(self.fields["village"], ChooseField):
            return str(self.data.get("village", "") or "")
        if not self.is_valid():
            return None if "village" in self.errors else str(self.cleaned_data.get("village") or "")
        return str(self.cleaned_data.get("village") or "")


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    public = forms.BooleanField(
        label=_("The reporter may see this note"), required=False, initial=True
    )
    assignee = forms.ChoiceField(label=_("Officer"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    KEEP = "keep"

    def __init__(
        self,
        *args: Any,
        allowed: list[str],
        officers: list[Any],
        can_reassign: bool = False,
        current: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Status.choices)
        if current == Status.RESOLVED:
            # Back to "in progress" from resolved is reopening the case: say so.
            labels[Status.IN_PROGRESS] = _("Reopen (back to in progress)")
        choices = [(s, labels[s]) for s in allowed if s != Status.DUPLICATE]
        if can_reassign:
            choices.insert(0, (self.KEEP, _("(unchanged: only hand to another officer)")))
        cast(forms.ChoiceField, self.fields["status"]).choices = choices
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", "—")] + [
            (str(u.pk), u.display_name) for u in officers
        ]


class UpdateForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    public = forms.BooleanField(label=_("The reporter may see this note"), required=False)


class MergeForm(forms.Form):
    original = forms.CharField(label=_("Ticket of the original report"), max_length=16)
    version = forms.IntegerField(widget=forms.HiddenInput)


class SuccessorForm(forms.Form):
    """Staff's choice of the village a report moves to when a pemekaran ended its village before
    the report's date: one of the villages that replaced it; the choice starts empty."""

    village = forms.ChoiceField(label=_("The village where it happened"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, successors: list[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["village"]).choices = [
            ("", _("— choose —")),
            *[(t.code, f"{t.display_name} ({t.code})") for t in successors],
        ]


class ModerationForm(forms.Form):
    """The moderator's decision: the public text (edited), approve or reject, each photo."""

    APPROVE = "approve"
    REJECT = "reject"

    public_text = forms.CharField(
        label=_("Public text"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What the public may read. Remove names, phone numbers, house numbers and anything "
            "else that could identify a person."
        ),
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (APPROVE, _("Publish this text")),
            (REJECT, _("Publish no text")),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, photos: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.photos = photos
        for photo in photos:
            self.fields[f"photo_{photo.pk}"] = forms.ChoiceField(
                label=_("Photo %(n)s") % {"n": photo.pk},
                choices=[("1", _("Show publicly")), ("0", _("Keep private"))],
                initial="1" if photo.public else "0",
                widget=forms.RadioSelect,
            )

    def photo_fields(self) -> list[tuple[Any, Any]]:
        return [(photo, self[f"photo_{photo.pk}"]) for photo in self.photos]

    def photo_decisions(self) -> dict[int, bool]:
        return {p.pk: self.cleaned_data[f"photo_{p.pk}"] == "1" for p in self.photos}


class BulkForm(forms.Form):
    """The action row of the queue: what to do with the ticked reports."""

    # Not "action": a field of that name would hide the form's own `action` from scripts.
    kind = forms.ChoiceField(
        label=_("With the selected reports"),
        choices=[("assign", _("Assign to an officer")), ("status", _("Change the status"))],
    )
    assignee = forms.ChoiceField(label=_("Officer"), required=False)
    status = forms.ChoiceField(label=_("New status"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    public = forms.BooleanField(
        label=_("The reporters may see this note"), required=False, initial=True
    )

    def __init__(self, *args: Any, officers: list[Any], **kwargs: Any) -> None:
        from jaga.servicedesk.services.bulk import BULK_STATUSES

        super().__init__(*args, **kwargs)
        self._officers = {str(u.pk): u for u in officers}
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", "—")] + [
            (str(u.pk), u.display_name) for u in officers
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", "—")] + [
            (s, Status(s).label) for s in BULK_STATUSES
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # An officer outside the list already has its error; "choose one" would be a second.
        if (
            data.get("kind") == "assign"
            and not data.get("assignee")
            and "assignee" not in self.errors
        ):
            self.add_error("assignee", _("Choose the officer to assign."))
        if data.get("kind") == "status" and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        return data

    def officer(self, pk: str) -> Any:
        return self._officers[pk]


class SaveFilterForm(forms.Form):
    name = forms.CharField(label=_("Name of this filter"), max_length=80)
    share = forms.BooleanField(label=_("Share with my team"), required=False)
