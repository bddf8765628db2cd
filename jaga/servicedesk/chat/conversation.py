"""The intake conversation, the same on WhatsApp and SMS: service → place → description →
questions the service requires → photo (WhatsApp) → confirmation → the report, filed through the
desk's own `submit_request` with the channel `whatsapp` or `sms`.

`receive()` handles one incoming message exactly once (by its message id), under a lock on the
sender's `Conversation`, and answers the `Reply`s to send back; the webhook renders them for its
channel (an interactive list or buttons on WhatsApp, numbered choices in an SMS). "batal" cancels
at any step; anything the step cannot use is answered with the question again and a hint.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jaga.core import ratelimit
from jaga.core.errors import DomainError
from jaga.core.images import CleanPhoto
from jaga.servicedesk.forms import ended_public_villages, public_villages
from jaga.servicedesk.models import (
    ChatChannel,
    Conversation,
    Datatype,
    InboundMessage,
    Service,
    ServiceGroup,
    ServiceQuestion,
)
from jaga.servicedesk.services.common import MAX_DESCRIPTION
from jaga.servicedesk.services.intake import submit_request
from jaga.servicedesk.services.tracking import tracking_link
from jaga.territory.models import Territory
from jaga.territory.pemekaran import replacing

# Steps of a conversation ("" = none under way).
SERVICE, PLACE, VILLAGE, DESCRIPTION, QUESTION, PHOTO, CONFIRM = (
    "service",
    "place",
    "village",
    "description",
    "question",
    "photo",
    "confirm",
)
PAGE = 9  # services per WhatsApp list page (a list holds 10 rows: 9 and "more")
MAX_VILLAGES = 10
MIN_DESCRIPTION = 10
CANCEL_WORDS = {"batal", "cancel", "stop", "berhenti", "unsubscribe"}
# With no report under way, these stop the village news the sender follows by WhatsApp.
STOP_WORDS = {"stop", "berhenti", "unsubscribe"}
YES_WORDS = {"ya", "y", "iya", "kirim", "yes", "ok", "oke"}
SKIP_WORDS = {"lewati", "tidak", "tidak ada", "skip", "no", "tdk", "gak", "nggak", "-"}
# Messages from one sender per PUBLIC_RATE_WINDOW before further ones are ignored.
MESSAGES_PER_WINDOW_FACTOR = 5
# How long handled message ids are kept: Meta retries a delivery for up to seven days.
MESSAGE_ID_DAYS = 7


@dataclass
class Incoming:
    """One message as the conversation sees it, whichever channel brought it."""

    message_id: str
    kind: str = "text"  # text, choice, location, image, other
    text: str = ""
    choice: str = ""  # the id of a list row or reply button
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    media_id: str = ""
    caption: str = ""


@dataclass
class Option:
    id: str
    title: str
    description: str = ""
    section: str = ""


@dataclass
class Reply:
    """A message to send back. `options` become a list (or reply buttons when `buttons`) on
    WhatsApp and numbered lines in an SMS; `numbered` forces numbered lines everywhere."""

    text: str
    options: list[Option] = field(default_factory=list)
    button: str = ""
    buttons: bool = False
    numbered: bool = False


@dataclass
class Context:
    channel: str
    phone: str
    request: Any  # the webhook's HttpRequest (for the rate limiter)
    photo: CleanPhoto | None = None
    photo_error: str = ""


def sender_key(channel: str, phone: str) -> str:
    """A rate-limit key for a sender that does not put the number into the cache."""
    return "chat:" + hashlib.sha256(f"{channel}:{phone}".encode()).hexdigest()[:24]


def already_handled(channel: str, message_id: str) -> bool:
    return InboundMessage.objects.filter(channel=channel, message_id=message_id).exists()


def wants_photo(channel: str, phone: str) -> bool:
    """Whether the sender's conversation would take a picture now (read without a lock: the
    webhook downloads the picture before taking the lock, and the step is checked again)."""
    conv = Conversation.objects.filter(channel=channel, phone=phone).first()
    return conv is not None and not _expired(conv) and conv.step in {DESCRIPTION, PHOTO}


def _expired(conv: Conversation, now: datetime.datetime | None = None) -> bool:
    timeout = datetime.timedelta(seconds=int(settings.CHAT_CONVERSATION_TIMEOUT))
    return (now or timezone.now()) - conv.last_inbound_at > timeout


def receive(incoming: Incoming, ctx: Context) -> list[Reply]:
    """Handle one message once; the replies to send (none for a message handled before)."""
    now = timezone.now()
    with translation.override("id"), transaction.atomic():
        try:
            with transaction.atomic():
                InboundMessage.objects.create(
                    channel=ctx.channel, message_id=incoming.message_id[:200], received_at=now
                )
        except IntegrityError:
            return []
        try:
            ratelimit.hit(
                ctx.request,
                "chat",
                key=sender_key(ctx.channel, ctx.phone),
                limit=int(settings.PUBLIC_RATE_LIMIT) * MESSAGES_PER_WINDOW_FACTOR,
            )
        except ratelimit.RateLimited:
            return []
        Conversation.objects.get_or_create(
            channel=ctx.channel,
            phone=ctx.phone,
            defaults={"started_at": now, "last_inbound_at": now},
        )
        conv = Conversation.objects.select_for_update().get(channel=ctx.channel, phone=ctx.phone)
        if conv.step and _expired(conv, now):
            _reset(conv)
        conv.last_inbound_at = now
        replies = _handle(conv, incoming, ctx)
        conv.save()
    return merge(replies)


def merge(replies: list[Reply], limit: int = 1000) -> list[Reply]:
    """Plain texts folded into the message after them ("Place: Tamanan." and the next question
    arrive as one message), as long as the result stays within an interactive body's limit."""
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if last is not None and not last.options and len(last.text) + len(reply.text) < limit:
            reply.text = last.text + "\n\n" + reply.text
            merged[-1] = reply
        else:
            merged.append(reply)
    return merged


def _reset(conv: Conversation) -> None:
    conv.step = ""
    conv.data = {}
    conv.photo = None


def _word(incoming: Incoming) -> str:
    return " ".join(incoming.text.lower().split()).strip(" .!")


def _choice(conv: Conversation, incoming: Incoming) -> str:
    """The option chosen: a list / button reply, or the number of a numbered option typed."""
    if incoming.kind == "choice":
        return incoming.choice
    word = _word(incoming)
    options = conv.data.get("options") or []
    if word.isdigit() and 1 <= int(word) <= len(options):
        return str(options[int(word) - 1])
    return ""


def _handle(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    if incoming.kind in {"text", "choice"} and (
        _word(incoming) in CANCEL_WORDS or incoming.choice == "cancel"
    ):
        started = bool(conv.step)
        _reset(conv)
        if not started and ctx.channel == ChatChannel.WHATSAPP and _word(incoming) in STOP_WORDS:
            stopped = _stop_news(ctx.phone)
            if stopped:
                return [stopped]
        if not started:
            return [Reply(_("Nothing to cancel. Send any message to start a report."))]
        return [Reply(_("Your report was cancelled. Send any message to start again."))]
    if not conv.step:
        conv.data = {}
        conv.photo = None
        conv.started_at = timezone.now()
        return _ask_service(conv, ctx, greeting=True)
    handler = {
        SERVICE: _on_service,
        PLACE: _on_place,
        VILLAGE: _on_village,
        DESCRIPTION: _on_description,
        QUESTION: _on_question,
        PHOTO: _on_photo,
        CONFIRM: _on_confirm,
    }.get(conv.step)
    if handler is None:
        _reset(conv)
        return _ask_service(conv, ctx, greeting=True)
    return handler(conv, incoming, ctx)


def _stop_news(phone: str) -> Reply | None:
    """ "BERHENTI" (or "stop") with no report under way: the village news this number follows by
    WhatsApp stops, in one reply; None when it follows nothing (the word is then a cancel)."""
    from jaga.core.links import absolute_reverse
    from jaga.notifications.services import unsubscribe_phone

    stopped = unsubscribe_phone(phone)
    if not stopped:
        return None
    return Reply(
        _(
            "You will no longer receive the news of %(villages)s. To follow a village again: "
            "%(link)s"
        )
        % {
            "villages": "; ".join(_place_name(sub.village) for sub in stopped),
            "link": absolute_reverse("notifications:subscribe"),
        }
    )


# ----------------------------------------------------------------------------- the service


def catalogue() -> list[Service]:
    """The services the public may report, as on the web form: every active one (sensitive ones
    too: they are filed, and no public output ever shows them)."""
    order = {value: i for i, (value, _label) in enumerate(ServiceGroup.choices)}
    services = list(Service.objects.filter(is_active=True))
    return sorted(services, key=lambda s: (order.get(s.group, 99), s.sort_order, s.code))


def _ask_service(
    conv: Conversation, ctx: Context, *, greeting: bool = False, page: int = 0
) -> list[Reply]:
    conv.step = SERVICE
    services = catalogue()
    if ctx.channel == ChatChannel.WHATSAPP and len(services) > PAGE + 1:
        shown = services[page * PAGE : (page + 1) * PAGE]
        more = (page + 1) * PAGE < len(services)
    else:
        shown, more = services, False
    options = [
        Option(
            f"svc:{s.code}",
            s.name,
            description=(s.description or "")[:72],
            section=str(ServiceGroup(s.group).label) if s.group in ServiceGroup.values else "",
        )
        for s in shown
    ]
    if more:
        options.append(
            Option(f"more:{page + 1}", _("More kinds…"), _("The rest of the list"), _("Other"))
        )
    conv.data["options"] = [o.id for o in options]
    lines = []
    if greeting:
        lines.append(
            _(
                "Hello, this is Jaga, the police report service. In an emergency call 110. "
                "You can type BATAL at any time to cancel."
            )
        )
    lines.append(_("What do you want to report? Choose the kind of report."))
    return [Reply("\n\n".join(lines), options, button=_("Choose"))]


def _on_service(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    chosen = _choice(conv, incoming)
    if chosen.startswith("more:"):
        return _ask_service(conv, ctx, page=int(chosen.split(":", 1)[1] or 0))
    service = None
    if chosen.startswith("svc:"):
        service = Service.objects.filter(code=chosen[4:], is_active=True).first()
    elif incoming.kind == "text" and len(_word(incoming)) >= 3:
        word = _word(incoming)
        found = [s for s in catalogue() if word in s.name.lower() or word == s.code]
        service = found[0] if len(found) == 1 else None
    if service is None:
        replies = [Reply(_("Please choose the kind of report from the list."))]
        return replies + _ask_service(conv, ctx)
    conv.data["service"] = service.code
    return _ask_place(conv, ctx)


# ----------------------------------------------------------------------------- the place


def _ask_place(conv: Conversation, ctx: Context) -> list[Reply]:
    conv.step = PLACE
    conv.data["options"] = []
    if ctx.channel == ChatChannel.WHATSAPP:
        text = _(
            "Where did it happen? Share the location (tap the clip, then Location), or type the "
            "name of the village (desa / kelurahan)."
        )
    else:
        text = _("Where did it happen? Type the name of the village (desa / kelurahan).")
    return [Reply(text)]


def village_at_point(latitude: float, longitude: float) -> Territory | None:
    """The village of our area whose recorded centre lies nearest to the point (within about
    5 km), as the Open311 intake places a point; None where no centre is near."""
    box = 0.05
    candidates = public_villages().filter(
        latitude__range=(latitude - box, latitude + box),
        longitude__range=(longitude - box, longitude + box),
    )
    return min(
        candidates,
        key=lambda t: (t.latitude - latitude) ** 2 + (t.longitude - longitude) ** 2,
        default=None,
    )


def _typed_name(text: str) -> str:
    """The village name in a typed place ("kelurahan Ngadirejo, Kepanjenkidul": ngadirejo)."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    name = parts[0].lower() if parts else ""
    for prefix in ("desa ", "kelurahan ", "kel. ", "kel ", "ds. ", "ds "):
        name = name.removeprefix(prefix)
    return name


def find_villages(text: str, villages: Any = None) -> list[Territory]:
    """Villages of our area by name ("Ngadirejo", "kelurahan Ngadirejo", "Ngadirejo, Kepanjenkidul"): exact
    names first, else names containing the words; at most MAX_VILLAGES + 1. `villages`: where
    to look (the villages of our area today by default)."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        return []
    name = _typed_name(text)
    if villages is None:
        villages = public_villages()
    villages = villages.select_related("parent").order_by("name", "code")
    if len(parts) > 1:
        district = parts[1].lower().removeprefix("kecamatan ").removeprefix("kec. ").strip()
        villages = villages.filter(parent__name__icontains=district)
    exact = list(villages.filter(name__iexact=name)[: MAX_VILLAGES + 1])
    if exact or len(name) < 3:
        return exact
    return list(villages.filter(name__icontains=name)[: MAX_VILLAGES + 1])


def _place_name(village: Territory) -> str:
    district = village.parent.name if village.parent else ""
    return _("%(village)s, Kecamatan %(district)s") % {
        "village": village.display_name,
        "district": district,
    }


def _set_village(conv: Conversation, village: Territory, ctx: Context) -> list[Reply]:
    conv.data["village"] = village.code
    return [Reply(_("Place: %(place)s.") % {"place": _place_name(village)})] + _ask_description(
        conv, ctx
    )


def _on_place(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    if incoming.kind == "location" and incoming.latitude is not None:
        village = (
            village_at_point(incoming.latitude, incoming.longitude)
            if incoming.longitude is not None
            else None
        )
        if village is None:
            return [
                Reply(
                    _(
                        "We found no village of our area near this location. Type the name of "
                        "the village (desa / kelurahan) instead."
                    )
                )
            ]
        conv.data["latitude"] = incoming.latitude
        conv.data["longitude"] = incoming.longitude
        conv.data["address"] = incoming.address[:255]
        return _set_village(conv, village, ctx)
    if incoming.kind != "text" or len(_word(incoming)) < 3:
        return [Reply(_("Please give the place first."))] + _ask_place(conv, ctx)
    return _search_villages(conv, incoming.text, ctx)


def _renamed(text: str) -> tuple[list[Territory], list[Territory]]:
    """The villages a pemekaran ended that go by this name (exactly), and the villages of our
    area that replaced them today."""
    typed = _typed_name(text)
    ended = [v for v in find_villages(text, ended_public_villages()) if v.name.lower() == typed]
    after = {t.pk: t for v in ended for t in replacing(v)}
    ours = public_villages().filter(pk__in=list(after)).select_related("parent")
    return ended, sorted(ours, key=lambda t: (t.name, t.code))


def _choose_village(conv: Conversation, villages: list[Territory]) -> list[Option]:
    """The villages to choose from (each with its kecamatan), remembered as the step's options."""
    conv.step = VILLAGE
    options = [
        # The title is the name (a list row's title is short); the description names the kind
        # (desa, kelurahan) and the kecamatan.
        Option(f"vil:{v.code}", v.name, _place_name(v))
        for v in villages
    ]
    conv.data["options"] = [o.id for o in options]
    return options


def _old_name(conv: Conversation, text: str, ctx: Context) -> list[Reply] | None:
    """A village called by the name of one a pemekaran ended: the one that replaced it (told
    so), or a choice among those that did; None when the name is no ended village's either."""
    ended, after = _renamed(text)
    if not after:
        return None
    values = {
        "old": ", ".join(v.display_name for v in ended),
        "new": "; ".join(_place_name(t) for t in after),
    }
    if len(after) == 1:
        told = _("%(old)s is now part of %(new)s (pemekaran).") % values
        return [Reply(told)] + _set_village(conv, after[0], ctx)
    options = _choose_village(conv, after[:MAX_VILLAGES])
    asked = _("%(old)s was divided (pemekaran) into %(new)s. Which one is it?") % values
    return [Reply(asked, options, _("Choose village"))]


def _search_villages(conv: Conversation, text: str, ctx: Context) -> list[Reply]:
    found = find_villages(text)
    # A village's old name (a pemekaran ended it) before names that merely contain it: "Tamanan"
    # is not "Tamanan Baru", one of the villages it was divided into.
    typed = _typed_name(text)
    if not any(v.name.lower() == typed for v in found):
        renamed = _old_name(conv, text, ctx)
        if renamed is not None:
            return renamed
    if not found:
        return [
            Reply(
                _(
                    "We found no village named “%(name)s” in our area. Check the spelling and "
                    "type the village name again."
                )
                % {"name": text.strip()[:60]}
            )
        ]
    if len(found) == 1:
        return _set_village(conv, found[0], ctx)
    if len(found) > MAX_VILLAGES:
        return [
            Reply(
                _(
                    "Many villages match “%(name)s”. Type more of the name, or the village and "
                    "its kecamatan, e.g. “Ngadirejo, Kepanjenkidul”."
                )
                % {"name": text.strip()[:60]}
            )
        ]
    options = _choose_village(conv, found)
    return [
        Reply(_("Several villages have this name. Which one is it?"), options, _("Choose village"))
    ]


def _on_village(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    chosen = _choice(conv, incoming)
    if chosen.startswith("vil:"):
        village = public_villages().filter(code=chosen[4:]).select_related("parent").first()
        if village is not None:
            return _set_village(conv, village, ctx)
    if incoming.kind == "location" or (incoming.kind == "text" and not _word(incoming).isdigit()):
        conv.step = PLACE
        return _on_place(conv, incoming, ctx)
    return [Reply(_("Please choose the village from the list, or type another name."))]


# ----------------------------------------------------------------------------- the description


def _ask_description(conv: Conversation, ctx: Context) -> list[Reply]:
    conv.step = DESCRIPTION
    conv.data["options"] = []
    return [
        Reply(
            _(
                "What happened? Describe it in one message: when, where exactly, who or what you "
                "saw. Do not write other people's phone numbers."
            )
        )
    ]


def _on_description(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    text = incoming.text if incoming.kind == "text" else ""
    if incoming.kind == "image" and incoming.caption:
        text = incoming.caption  # a photo with its description as the caption
    text = text.strip()
    if incoming.kind == "image" and not text:
        # The photo first, the words after: keep the photo and ask for the description.
        taken = _take_photo(conv, ctx)
        conv.data["photo_done"] = bool(conv.photo)
        return taken + _ask_description(conv, ctx)
    if len(text) < MIN_DESCRIPTION:
        return [
            Reply(
                _(
                    "Please describe what happened in a few words (at least %(n)s letters), in "
                    "one text message."
                )
                % {"n": MIN_DESCRIPTION}
            )
        ]
    if len(text) > MAX_DESCRIPTION:
        return [
            Reply(
                _("The description is limited to %(n)s characters. Please shorten it.")
                % {"n": MAX_DESCRIPTION}
            )
        ]
    conv.data["description"] = text
    conv.data["answers"] = {}
    replies: list[Reply] = []
    if incoming.kind == "image":
        replies += _take_photo(conv, ctx)
        conv.data["photo_done"] = bool(conv.photo)
    return replies + _next_question(conv, ctx)


# ----------------------------------------------------------------------------- questions


def _questions(conv: Conversation) -> list[ServiceQuestion]:
    return list(
        ServiceQuestion.objects.filter(service__code=conv.data.get("service"), required=True)
    )


def _next_question(conv: Conversation, ctx: Context) -> list[Reply]:
    answered = conv.data.get("answers") or {}
    for question in _questions(conv):
        if question.code not in answered:
            return _ask_question(conv, question)
    if ctx.channel == ChatChannel.WHATSAPP and not conv.data.get("photo_done"):
        return _ask_photo(conv)
    return _ask_confirm(conv, ctx)


def _ask_question(conv: Conversation, question: ServiceQuestion) -> list[Reply]:
    conv.step = QUESTION
    conv.data["question"] = question.code
    if question.datatype in {Datatype.SINGLE, Datatype.MULTI}:
        options = [Option(f"ans:{key}", name) for key, name in question.choices()]
        conv.data["options"] = [o.id for o in options]
        if question.datatype == Datatype.MULTI:
            text = _(
                "%(question)s Reply with the numbers of every answer that fits, e.g. 1, 3."
            ) % {"question": question.prompt}
            return [Reply(text, options, numbered=True)]
        return [Reply(question.prompt, options, _("Choose"), buttons=len(options) <= 3)]
    conv.data["options"] = []
    if question.datatype == Datatype.NUMBER:
        return [Reply(_("%(question)s Reply with a number.") % {"question": question.prompt})]
    if question.datatype == Datatype.DATETIME:
        return [
            Reply(
                _("%(question)s Reply with the date and time, e.g. 31-12-2026 20:00.")
                % {"question": question.prompt}
            )
        ]
    return [Reply(question.prompt)]


DATE_FORMATS = ("%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y", "%d/%m/%Y")


def _answer(conv: Conversation, question: ServiceQuestion, incoming: Incoming) -> Any:
    """The answer in the form `clean_answers` takes, or None when it does not fit."""
    if question.datatype == Datatype.SINGLE:
        chosen = _choice(conv, incoming)
        keys = {key for key, _name in question.choices()}
        return chosen[4:] if chosen.startswith("ans:") and chosen[4:] in keys else None
    text = incoming.text.strip() if incoming.kind == "text" else ""
    if not text:
        return None
    if question.datatype == Datatype.MULTI:
        options = conv.data.get("options") or []
        picked = []
        for part in text.replace(" ", ",").split(","):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= len(options):
                return None
            picked.append(str(options[int(part) - 1])[4:])
        return sorted(set(picked)) or None
    if question.datatype == Datatype.NUMBER:
        try:
            number = float(text.replace(".", "").replace(",", "."))
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if question.datatype == Datatype.DATETIME:
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
            except ValueError:
                continue
            return timezone.make_aware(moment).isoformat()
        return None
    return text[:MAX_DESCRIPTION]


def _on_question(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    question = next((q for q in _questions(conv) if q.code == conv.data.get("question")), None)
    if question is None:
        return _next_question(conv, ctx)
    value = _answer(conv, question, incoming)
    if value is None:
        return [Reply(_("That is not one of the answers. Please answer again."))] + _ask_question(
            conv, question
        )
    conv.data.setdefault("answers", {})[question.code] = value
    return _next_question(conv, ctx)


# ----------------------------------------------------------------------------- the photo


def _ask_photo(conv: Conversation) -> list[Reply]:
    conv.step = PHOTO
    conv.data["options"] = ["skip"]
    return [
        Reply(
            _("Do you have a photo? Send it now (location data is removed), or choose Skip."),
            [Option("skip", _("Skip"))],
            buttons=True,
        )
    ]


def _take_photo(conv: Conversation, ctx: Context) -> list[Reply]:
    if ctx.photo is None:
        return [
            Reply(
                ctx.photo_error
                or _("The photo could not be received. Send it again, or choose Skip.")
            )
        ]
    conv.photo = ctx.photo.content.read()
    conv.data["photo_type"] = ctx.photo.content_type
    return [Reply(_("Photo received."))]


def _on_photo(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    if incoming.kind == "image":
        replies = _take_photo(conv, ctx)
        if not conv.photo:
            return replies + _ask_photo(conv)
        conv.data["photo_done"] = True
        return replies + _ask_confirm(conv, ctx)
    if _choice(conv, incoming) == "skip" or _word(incoming) in SKIP_WORDS:
        conv.data["photo_done"] = True
        return _ask_confirm(conv, ctx)
    return _ask_photo(conv)


# ----------------------------------------------------------------------------- confirmation


def _summary(conv: Conversation) -> str:
    service = Service.objects.filter(code=conv.data.get("service")).first()
    village = (
        Territory.objects.filter(code=conv.data.get("village")).select_related("parent").first()
    )
    lines = [
        _("Please check your report:"),
        _("Kind: %(service)s") % {"service": service.name if service else "—"},
        _("Place: %(place)s") % {"place": _place_name(village) if village else "—"},
        _("What happened: %(text)s") % {"text": _short(str(conv.data.get("description", "")), 500)},
    ]
    if conv.data.get("answers") and service is not None:
        for question in service.questions.all():
            if question.code in conv.data["answers"]:
                value = conv.data["answers"][question.code]
                names = dict(question.choices())
                values = value if isinstance(value, list) else [value]
                shown = ", ".join(str(names.get(v, v)) for v in values)
                lines.append(f"{question.prompt} {_short(shown, 120)}")
    if conv.photo:
        lines.append(_("Photo: attached"))
    return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ask_confirm(conv: Conversation, ctx: Context) -> list[Reply]:
    conv.step = CONFIRM
    options = [Option("send", _("Send")), Option("cancel", _("Cancel"))]
    conv.data["options"] = [o.id for o in options]
    if ctx.channel == ChatChannel.WHATSAPP:
        question = _("Send this report to the police?")
    else:
        question = _("Send this report to the police? Reply YA to send or BATAL to cancel.")
        options = []
    return [Reply(_summary(conv) + "\n\n" + question, options, buttons=True)]


def _on_confirm(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    if _choice(conv, incoming) != "send" and _word(incoming) not in YES_WORDS:
        return [Reply(_("Please confirm or cancel."))] + _ask_confirm(conv, ctx)
    return _file(conv, incoming, ctx)


def _file(conv: Conversation, incoming: Incoming, ctx: Context) -> list[Reply]:
    service = Service.objects.filter(code=conv.data.get("service"), is_active=True).first()
    village = public_villages().filter(code=conv.data.get("village")).first()
    photos = []
    if conv.photo:
        kind = str(conv.data.get("photo_type", "image/jpeg")).split("/")[-1]
        photos.append(ContentFile(bytes(conv.photo), name=f"whatsapp.{kind}"))
    try:
        if service is None:
            raise DomainError("unknown_service", _("This service is not available."))
        ratelimit.hit(ctx.request, "public", key=sender_key(ctx.channel, ctx.phone))
        report, created = submit_request(
            service=service,
            village=village,
            description=str(conv.data.get("description", "")),
            channel=ctx.channel,
            latitude=conv.data.get("latitude"),
            longitude=conv.data.get("longitude"),
            address=str(conv.data.get("address", "")),
            answers=conv.data.get("answers") or {},
            photos=photos,
            phone=ctx.phone,
            idempotency_key=incoming.message_id,
            idempotency_scope=ctx.channel,
            send_tracking_code=False,
        )
    except DomainError as exc:
        _reset(conv)
        return [
            Reply(
                _("The report could not be filed: %(reason)s Send any message to start again.")
                % {"reason": exc.message}
            )
        ]
    _reset(conv)
    conv.last_report = report
    code = getattr(report, "tracking_code", "")
    if not created or not code:
        return [
            Reply(
                _("Your report was already received: ticket %(ticket)s.")
                % {"ticket": report.ticket}
            )
        ]
    text = _(
        "Thank you, your report was received.\n"
        "Ticket: %(ticket)s\n"
        "Private tracking code: %(code)s\n"
        "Follow your report at %(link)s\n"
        "Keep the tracking code to yourself: it opens the officers' replies. We will send news of "
        "your report to this number. Send any message to make another report."
    ) % {"ticket": report.ticket, "code": code, "link": tracking_link(report, code)}
    return [Reply(text)]


# ----------------------------------------------------------------------------- housekeeping


def purge(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Delete conversations idle past their timeout and WhatsApp's 24-hour window (the number and
    any photo go with them) and message ids older than Meta's retry period. (conversations, ids)"""
    now = now or timezone.now()
    idle = max(
        datetime.timedelta(seconds=int(settings.CHAT_CONVERSATION_TIMEOUT)),
        datetime.timedelta(hours=24),
    )
    conversations, _detail = Conversation.objects.filter(last_inbound_at__lt=now - idle).delete()
    ids, _detail = InboundMessage.objects.filter(
        received_at__lt=now - datetime.timedelta(days=MESSAGE_ID_DAYS)
    ).delete()
    return conversations, ids
