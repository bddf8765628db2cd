"""Choosing places, people and organisations by name instead of by code or number.

One kind per thing a form chooses (`village`, `district`, `area`, `person`, `organisation`),
each with the query of what the user may choose from (the same scope helpers the pages use), a
label that tells two namesakes apart ("Ngadirejo, Kec. Kepanjenkidul") and the value the form stores
(a Kemendagri code or a row number). Three things use the kinds:

- `ChooseField`, a form field that accepts what a person types without JavaScript (a code, a
  number, a name or a label) and resolves it within the user's scope: one match is taken, several
  are listed back ("Pakel is in more than one place: ..."), none says so;
- the JSON search endpoints of `jaga.core.choose_urls` (`/pilih/<kind>/?q=...`), which the
  widget asks as the user types;
- `jaga/core/static/jaga/choose.js`, which turns a `data-choose` field into a text box with a
  list of suggestions (and a long `<select data-choose>` into a box that filters its options).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jaga.core.types import Actor

LIMIT = 12


@dataclass(frozen=True)
class Kind:
    name: str
    url_name: str
    queryset: Callable[[Any], QuerySet[Any]]
    label: Callable[[Any], str]
    value: Callable[[Any], str]
    name_field: str  # the column a typed name is matched against
    value_field: str  # the column the stored value is matched against
    within_field: str  # the territory code to narrow by (`within=`)
    noun: Any  # "village", for the messages
    # What a stored value or an exact name may still name though `queryset` no longer offers
    # it: the territories a pemekaran ended (the form's service says what they still take).
    ended: Callable[[Any], QuerySet[Any]] | None = None


def _territory_roles(user: Actor) -> set[str]:
    from jaga.partners.access import territory_roles

    return territory_roles(user)


def _territories(user: Actor, levels: tuple[str, ...]) -> QuerySet[Any]:
    from jaga.accounts.access import scope_q
    from jaga.territory.models import Territory

    return (
        Territory.objects.current()
        .filter(level__in=levels)
        .filter(scope_q(user, "code", _territory_roles(user)))
        .select_related("parent__parent")
    )


def _ended_territories(user: Actor, levels: tuple[str, ...]) -> QuerySet[Any]:
    from jaga.accounts.access import scope_q
    from jaga.territory.models import Territory

    return (
        Territory.objects.filter(level__in=levels, valid_to__isnull=False)
        .exclude(pk__in=Territory.objects.current().values("pk"))
        .filter(scope_q(user, "code", _territory_roles(user)))
        .select_related("parent__parent")
    )


def territory_label(t: Any, *, regency: bool = False) -> str:
    """ "Ngadirejo, Kec. Kepanjenkidul", "Kec. Kepanjenkidul, Kota Blitar", "Kota Blitar".

    With `regency`, a village's label names its regency too ("Ngadirejo, Kec. Kepanjenkidul,
    Kota Blitar"): in a list wider than one regency, where village and district names repeat
    (a Ngadirejo in Kota Blitar, another in a regency nearby). Reads `t.parent.parent`."""
    from jaga.territory.models import Level

    parent = t.parent
    if t.level == Level.VILLAGE:
        if parent is None:
            return str(t.name)
        label = f"{t.name}, Kec. {parent.name}"
        if regency and parent.parent is not None:
            label += f", {parent.parent.name}"
        return label
    if t.level == Level.DISTRICT:
        return f"Kec. {t.name}, {parent.name}" if parent else f"Kec. {t.name}"
    return str(t.name)


def _levels(kind: str) -> tuple[str, ...]:
    from jaga.territory.models import Level

    return {
        "village": (Level.VILLAGE,),
        "district": (Level.DISTRICT,),
        "area": (Level.VILLAGE, Level.DISTRICT, Level.REGENCY),
    }[kind]


def _villages(user: Actor) -> QuerySet[Any]:
    from jaga.territory.models import Level

    return _territories(user, (Level.VILLAGE,))


def _districts(user: Actor) -> QuerySet[Any]:
    from jaga.territory.models import Level

    return _territories(user, (Level.DISTRICT,))


def _areas(user: Actor) -> QuerySet[Any]:
    from jaga.territory.models import Level

    return _territories(user, (Level.VILLAGE, Level.DISTRICT, Level.REGENCY))


def _people(user: Actor) -> QuerySet[Any]:
    from jaga.partners.access import people_for_user

    return people_for_user(user).select_related("village__parent").order_by("-is_leader", "id")


def _organisations(user: Actor) -> QuerySet[Any]:
    from jaga.partners.access import organisations_for_user

    return organisations_for_user(user).select_related("territory__parent").order_by("name", "id")


def person_label(p: Any) -> str:
    village = p.village
    district = village.parent.name if village.parent else ""
    return f"{p.full_name}, {village.name}" + (f" (Kec. {district})" if district else "")


def organisation_label(o: Any) -> str:
    return f"{o.name}, {territory_label(o.territory)}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "village",
            "choose:village",
            _villages,
            territory_label,
            lambda t: t.code,
            "name",
            "code",
            "code",
            _("village"),
            lambda user: _ended_territories(user, _levels("village")),
        ),
        Kind(
            "district",
            "choose:district",
            _districts,
            territory_label,
            lambda t: t.code,
            "name",
            "code",
            "code",
            _("district"),
            lambda user: _ended_territories(user, _levels("district")),
        ),
        Kind(
            "area",
            "choose:area",
            _areas,
            territory_label,
            lambda t: t.code,
            "name",
            "code",
            "code",
            _("area"),
            lambda user: _ended_territories(user, _levels("area")),
        ),
        Kind(
            "person",
            "choose:person",
            _people,
            person_label,
            lambda p: str(p.pk),
            "full_name",
            "pk",
            "village__code",
            _("person"),
        ),
        Kind(
            "organisation",
            "choose:organisation",
            _organisations,
            organisation_label,
            lambda o: str(o.pk),
            "name",
            "pk",
            "territory__code",
            _("organisation"),
        ),
    )
}

# A typed "Kec. Kepanjenkidul" or "Kelurahan Ngadirejo" names the level as well as the place.
_PREFIXES = {
    "kec. ": "district",
    "kecamatan ": "district",
    "desa ": "village",
    "kelurahan ": "village",
    "kel. ": "village",
}


def _norm(text: str) -> str:
    return " ".join(text.replace(",", ", ").split()).casefold()


def _within(qs: QuerySet[Any], kind: Kind, code: str | None) -> QuerySet[Any]:
    if not code:
        return qs
    return qs.filter(
        Q(**{kind.within_field: code}) | Q(**{f"{kind.within_field}__startswith": code + "."})
    )


def _name_filter(kind: Kind, text: str, lookup: str) -> Q:
    name = text.split(",")[0].strip()
    low = name.casefold()
    if kind.name_field == "name" and kind.within_field == "code":
        for prefix, level in _PREFIXES.items():
            if low.startswith(prefix) and len(name) > len(prefix):
                return Q(**{f"name__{lookup}": name[len(prefix) :].strip(), "level": level})
    return Q(**{f"{kind.name_field}__{lookup}": name})


def search(kind: Kind, user: Actor, q: str, within: str | None = None) -> list[dict[str, str]]:
    """Up to LIMIT choices whose name starts with (then contains) what was typed."""
    q = " ".join(q.split())[:100]
    if len(q) < 2:
        return []
    qs = _within(kind.queryset(user), kind, within)
    found = list(qs.filter(_name_filter(kind, q, "istartswith"))[:LIMIT])
    if len(found) < LIMIT:
        seen = {o.pk for o in found}
        more = qs.filter(_name_filter(kind, q, "icontains")).exclude(pk__in=seen)
        found += list(more[: LIMIT - len(found)])
    return [{"value": kind.value(o), "label": kind.label(o)} for o in found]


class Ambiguous(ValidationError):
    pass


def resolve(kind: Kind, user: Actor, text: str, within: str | None = None) -> Any:
    """The one object of `kind` the user may choose that `text` names, or a ValidationError.

    `text` is a stored value (a code or number, as the widget sends), the label the widget shows,
    or a name typed by hand. A name shared by several places (or people) is refused with the
    labels to choose from; a near miss is answered with suggestions.
    """
    text = " ".join(str(text).split())
    qs = _within(kind.queryset(user), kind, within)
    if kind.value_field == "pk":
        if text.isdigit():
            found = qs.filter(pk=int(text)).first()
            if found is not None:
                return found
    else:
        found = qs.filter(**{kind.value_field: text}).first()
        if found is not None:
            return found
    exact = list(qs.filter(_name_filter(kind, text, "iexact"))[:50])
    if "," in text or "(" in text:
        same = [o for o in exact if _norm(kind.label(o)) == _norm(text)]
        if len(same) == 1:
            return same[0]
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise Ambiguous(
            gettext("“%(name)s” is more than one %(kind)s in your area: %(options)s. Choose one.")
            % {
                "name": text.split(",")[0],
                "kind": kind.noun,
                "options": "; ".join(kind.label(o) for o in exact[:10]),
            },
            code="ambiguous",
        )
    gone = _ended(kind, user, text, within)
    if gone is not None:
        return gone
    near = list(qs.filter(_name_filter(kind, text, "icontains"))[:9])
    if len(near) == 1:
        return near[0]
    if near:
        raise Ambiguous(
            gettext("No %(kind)s is called “%(name)s” in your area. Did you mean: %(options)s?")
            % {
                "name": text,
                "kind": kind.noun,
                "options": "; ".join(kind.label(o) for o in near[:8]),
            },
            code="ambiguous",
        )
    raise ValidationError(
        gettext("No %(kind)s called “%(name)s” in your area.") % {"kind": kind.noun, "name": text},
        code="not_found",
    )


def _ended(kind: Kind, user: Actor, text: str, within: str | None) -> Any:
    """The one ended territory (pemekaran) that `text` names by its code or exact name: before
    the names that merely contain it ("Tamanan" is not "Tamanan Baru", split off it); None
    when there is none or more than one."""
    if kind.ended is None:
        return None
    qs = _within(kind.ended(user), kind, within)
    found = qs.filter(**{kind.value_field: text}).first()
    if found is not None:
        return found
    named = list(qs.filter(_name_filter(kind, text, "iexact"))[:2])
    return named[0] if len(named) == 1 else None


class ChooseInput(forms.TextInput):
    """A text box the widget enhances; without JavaScript a name typed here works too."""

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None) -> None:
        self.kind = kind
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-choose"] = self.kind
        context["widget"]["attrs"]["data-choose-url"] = reverse(KINDS[self.kind].url_name)
        return context


class ChooseField(forms.CharField):
    """A place, person or organisation chosen by name; `clean` gives its code (or number).

    The form hands the user in (`ChooseForm` does it); `within` narrows the choice to a territory
    code (an activity's area). Without a user the field takes only a stored value as it is, and
    the view checks the scope as before.
    """

    def __init__(self, kind: str, *, within: str | None = None, **kwargs: Any) -> None:
        self.kind = KINDS[kind]
        self.user: Actor = None
        self.within = within
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", ChooseInput(kind))
        super().__init__(**kwargs)

    def chosen(self, value: Any) -> Any:
        """The object a clean value stands for (for the views that want the row)."""
        if value in (None, ""):
            return None
        return resolve(self.kind, self.user, str(value), self.within)

    def prepare_value(self, value: Any) -> Any:
        # A stored code or number is shown as its label, which resolves back to it on submit.
        if self.user is None or value in (None, ""):
            return value
        text = str(value)
        looks_stored = text.isdigit() if self.kind.value_field == "pk" else text[:2].isdigit()
        if not looks_stored:
            return value
        try:
            return self.kind.label(resolve(self.kind, self.user, text, self.within))
        except ValidationError:
            return value

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in (None, "") or self.user is None:
            return text
        return self.kind.value(resolve(self.kind, self.user, text, self.within))


class ChooseForm(forms.Form):
    """A form with `ChooseField`s: pass `user=` so that names resolve within the user's scope."""

    def __init__(self, *args: Any, user: Actor = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, ChooseField):
                field.user = user


class ChooseObjectField(ChooseField):
    """A `ChooseField` whose `clean` gives the object itself (a `Territory`), where a form used a
    model choice field: for lists too long to send as a `<select>` (`SELECT_LIMIT`)."""

    def __init__(self, kind: str, *, user: Actor, **kwargs: Any) -> None:
        super().__init__(kind, **kwargs)
        self.user = user

    def clean(self, value: Any) -> Any:
        code = super().clean(value)
        return self.chosen(code) if code not in (None, "") else None


# Above this many villages a form offers a box that searches as one types instead of a <select>
# of them all: a Polda has thousands, the country 83,762 (a select of them all took 26 s to build
# for the national desk, bench/pages.py). A Polres, with a few hundred, keeps its select.
SELECT_LIMIT = 1500


def too_many(queryset: QuerySet[Any]) -> bool:
    return queryset[: SELECT_LIMIT + 1].count() > SELECT_LIMIT


def enhance(field: forms.Field, placeholder: str | None = None) -> forms.Field:
    """Mark a long `<select>` so that choose.js turns it into a box that filters by name."""
    field.widget.attrs["data-choose"] = "select"
    if placeholder:
        field.widget.attrs["data-choose-placeholder"] = placeholder
    return field


# --------------------------------------------------------------------------- search endpoints


def _search_view(kind_name: str) -> Callable[..., Any]:
    from django.contrib.auth.decorators import login_required
    from django.http import HttpRequest, JsonResponse

    from jaga.accounts.access import PARTNERSHIP_ROLES, allow

    kind = KINDS[kind_name]

    def view(request: HttpRequest) -> JsonResponse:
        within = request.GET.get("within") or None
        results = search(kind, request.user, request.GET.get("q", ""), within)
        return JsonResponse({"results": results})

    view.__name__ = f"search_{kind_name}"
    view.__doc__ = (
        f"Choices of kind {kind_name} whose name matches ?q= (JSON), in the user's scope."
    )
    return login_required(allow(*PARTNERSHIP_ROLES)(view))


search_village = _search_view("village")
search_district = _search_view("district")
search_area = _search_view("area")
search_person = _search_view("person")
search_organisation = _search_view("organisation")
