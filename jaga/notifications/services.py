"""Who hears of an event, through which channels, and the residents' village news.

Officers: `officer_recipients(event)` picks the people whose posting covers the event's place
(and, for an invitation, the partner coordinators of the invited organisation), each checked
again with `in_scope`; `notify_officers(event)` writes one `Notification` per person and channel
choice and queues the e-mail and WhatsApp/SMS sends (`tasks.send_notification`).

Residents: `request_subscription` (double opt-in), `confirm`, `unsubscribe` and
`news_for_residents(event)` for public reports and the monthly portal figures.

Texts hold ticket numbers, service, village and category names, statuses and times: never the
reporter, the report's text or its point, nor the name of a sensitive service or of its incident
categories (`servicedesk.notify.outside_name`: the e-mail and the WhatsApp/SMS leave Jaga).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jaga.accounts.access import PARTNERSHIP_ROLES, STAFF_ROLES, in_scope
from jaga.accounts.models import Posting, Role, User
from jaga.core import events
from jaga.core.audit import log_action
from jaga.core.codes import random_secret
from jaga.core.errors import DomainError
from jaga.core.gateways import get_gateway
from jaga.core.links import absolute_reverse, absolute_url
from jaga.core.numbers import say_number
from jaga.core.prepared import Prepared
from jaga.notifications.models import (
    DEFAULT_CHANNELS,
    Channel,
    Kind,
    Notification,
    Preference,
    SendStatus,
    Subscription,
    SubscriptionChannel,
)
from jaga.territory.models import Level, Territory
from jaga.territory.pemekaran import refuse_ended

log = logging.getLogger("jaga.notifications")

CONFIRM_DAYS = 7  # a confirmation link works this long
RESEND_MINUTES = 10  # a pending subscription's confirmation is sent again at most this often


def event_from_dict(data: dict[str, Any]) -> events.Event:
    at = parse_datetime(str(data.get("at") or "")) or timezone.now()
    return events.Event(
        str(data["event"]),
        str(data.get("territory_code") or ""),
        str(data.get("object_type") or ""),
        str(data.get("object_id") or ""),
        dict(data.get("data") or {}),
        at,
    )


# --------------------------------------------------------------------------- officers


# Read by the task of every new report (`notify_officers`): compiled once per worker and day.
_POSTED = Prepared(
    Posting,
    lambda role, code, on: (
        Posting.objects.active(on)
        .filter(role=role, territory__code=code, user__is_active=True)
        .select_related("user")
    ),
    str,
    str,
)


def _posted(role: str, code: str) -> list[Any]:
    """Active users holding `role` over exactly the territory `code`."""
    return [p.user for p in _POSTED.all(str(role), code, key=timezone.localdate())]


def _district_of(code: str) -> str:
    return ".".join(code.split(".")[:3])


def officer_recipients(event: events.Event) -> list[Any]:
    """The people an event is for, each within scope of the event's village."""
    code = event.territory_code
    data = event.data
    found: list[Any] = []
    roles: frozenset[str] = STAFF_ROLES
    places = [code]  # a recipient's postings must cover one of these
    if event.name == events.REPORT_CREATED:
        found = _posted(Role.BHABIN, code)
    elif event.name == events.REPORT_OVERDUE:
        found = _posted(Role.POLSEK, str(data.get("district_code") or _district_of(code)))
        assignee_id = data.get("assignee_id")
        if assignee_id:
            found += list(get_user_model().objects.filter(pk=assignee_id, is_active=True))
    elif event.name == events.ALARM_RAISED:
        found = _posted(Role.BHABIN, code) + _posted(Role.POLSEK, _district_of(code))
    elif event.name == events.INVITATION_SENT:
        org = data.get("organisation_id")
        roles = PARTNERSHIP_ROLES
        if org:
            # The organisation's coordinators and those of the organisations it is part of (a
            # perguruan inside the FKPSB: the forum's coordinator follows its members' invitations;
            # they coordinate it, see `partners.access.coordinated_org_ids`).
            orgs = _with_parents(int(org))
            found = [
                p.user
                for p in Posting.objects.active()
                .filter(role=Role.PARTNER, organisation_id__in=orgs, user__is_active=True)
                .select_related("user")
                .order_by("pk")
            ]
            # The organisation may work in another village of the activity's area (a forum of
            # village B invited to a district meeting held in village A): where it works counts.
            places += Territory.objects.filter(partner_organisations__pk__in=orgs).values_list(
                "code", flat=True
            )
    unique: dict[int, Any] = {}
    for user in found:
        if user.pk not in unique and any(in_scope(user, c, roles) for c in places):
            unique[user.pk] = user
    return list(unique.values())


def _with_parents(org: int) -> list[int]:
    """An organisation and the ones it is part of, up the chain (a cycle ends the walk)."""
    from jaga.partners.models import Organisation

    chain = [org]
    parent = Organisation.objects.filter(pk=org).values_list("parent_id", flat=True).first()
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = Organisation.objects.filter(pk=parent).values_list("parent_id", flat=True).first()
    return chain


def channels_for(user: User, kind: str) -> set[str]:
    pref = Preference.objects.filter(user=user, kind=kind).first()
    return pref.channels() if pref is not None else set(DEFAULT_CHANNELS)


def _village_name(code: str) -> str:
    t = Territory.objects.filter(code=code).only("name", "kind", "level").first()
    return t.display_name if t is not None else code


def _when(value: Any) -> str:
    moment = parse_datetime(str(value or "")) if not isinstance(value, datetime.datetime) else value
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "j M Y H:i")


def _figure(value: Any) -> str:
    """An event's figure as the reader's language writes it ("2,3" in Indonesian)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return say_number(value, 1)
    return str(value)


def _named_outside(event: events.Event) -> str:
    """The event's service (a report) or incident category (an alarm) as a text that leaves Jaga
    may name it (`servicedesk.notify.outside_name`), read again now: the event's `sensitive`
    flag may be older than the service's. An event without the flag, or whose service or
    category is gone, counts as sensitive."""
    from jaga.servicedesk.notify import outside_name

    data = event.data
    if event.name == events.ALARM_RAISED:
        from jaga.incidents.models import Category

        if not data.get("category"):
            return _("All categories")  # a village's total names no category
        category = Category.objects.filter(code=data["category"]).first()
        if data.get("sensitive", True) or category is None:
            return _("A protected category")
        return outside_name(category)
    from jaga.servicedesk.models import Service

    service = Service.objects.filter(code=data.get("service", "")).first()
    if data.get("sensitive", True) or service is None:
        return _("A report of a protected service")
    return outside_name(service)


def compose(event: events.Event) -> tuple[str, str, str]:
    """(title, text, path) of an officer's notification, in the active language; the path is
    made absolute from SITE_URL when sent outside Jaga."""
    data = event.data
    village = _village_name(event.territory_code)
    if event.name in (events.REPORT_CREATED, events.REPORT_OVERDUE):
        values = {
            "ticket": event.object_id,
            "village": village,
            "service": _named_outside(event),
            "due": _when(data.get("due_at")),
        }
        link = reverse("servicedesk:detail", args=[event.object_id])
        if event.name == events.REPORT_CREATED:
            title = _("New report %(ticket)s in %(village)s") % values
            text = _("%(service)s. Time limit: %(due)s.") % values
        else:
            title = _("Report %(ticket)s in %(village)s is overdue") % values
            text = _("%(service)s passed its time limit on %(due)s.") % values
        return title, text, link
    if event.name == events.INVITATION_SENT:
        from jaga.programs.models import Activity

        activity = Activity.objects.filter(pk=int(data.get("activity_id") or 0)).first()
        values = {
            "title": activity.title if activity else "",
            "when": _when(activity.starts_at) if activity else "",
            "place": (activity.place or village) if activity else village,
            "village": village,
        }
        title = _("Invitation: %(title)s") % values
        text = _("%(when)s at %(place)s (%(village)s).") % values
        link = reverse("programs:activity", args=[activity.pk]) if activity else ""
        return title, text, link
    if event.name == events.ALARM_RAISED:
        values = {
            "village": village,
            "category": _named_outside(event),
            "month": data.get("month", ""),
            "observed": data.get("observed", ""),
            "expected": _figure(data.get("expected", "")),
        }
        title = _("Early warning: %(category)s in %(village)s") % values
        text = (
            _(
                "More incidents than usual since %(month)s: %(observed)s recorded where about "
                "%(expected)s were expected."
            )
            % values
        )
        # The village's alarms, where the signed-in officer reads the category.
        link = reverse("analytics:alarms") + "?" + urlencode({"territory": event.territory_code})
        return title, text, link
    raise ValueError(f"no officer notification for {event.name}")


def notify_officers(event: events.Event) -> list[Notification]:
    """One notification per recipient who wants any channel for this kind; the e-mail and
    WhatsApp/SMS sends are queued as tasks."""
    from jaga.notifications.tasks import send_notification

    if event.name not in Kind.values:
        return []
    made = []
    for user in officer_recipients(event):
        channels = channels_for(user, event.name)
        if event.name == events.REPORT_CREATED and user.pk == event.data.get("assignee_id"):
            # The desk already sent its "assigned to you" message: the inbox is enough.
            channels &= {Channel.INBOX}
        if not channels:
            continue
        with translation.override(user.language or "id"):
            title, text, link = compose(event)
        note = Notification.objects.create(
            user=user,
            kind=event.name,
            territory_code=event.territory_code,
            object_id=event.object_id[:64],
            title=title[:200],
            text=text,
            link=link[:300],
            in_inbox=Channel.INBOX in channels,
            email_status=SendStatus.QUEUED if Channel.EMAIL in channels else SendStatus.NONE,
            message_status=SendStatus.QUEUED if Channel.MESSAGE in channels else SendStatus.NONE,
        )
        made.append(note)
        if Channel.EMAIL in channels or Channel.MESSAGE in channels:
            send_notification.enqueue(note.pk)
    return made


def send_notification(pk: int) -> Notification:
    """Send a notification's queued e-mail and WhatsApp/SMS (a failure is recorded, not raised)."""
    note = Notification.objects.select_related("user").get(pk=pk)
    user = note.user
    link = absolute_url(note.link) if note.link else ""
    body = f"{note.title}\n\n{note.text}\n\n{link}".strip()
    if note.email_status == SendStatus.QUEUED:
        if not user.email:
            note.email_status = SendStatus.NO_ADDRESS
        else:
            try:
                send_mail(f"Jaga: {note.title}", body, settings.DEFAULT_FROM_EMAIL, [user.email])
                note.email_status = SendStatus.SENT
            except Exception:  # noqa: BLE001 - a mail outage is recorded on the notification
                log.exception("notification e-mail failed")
                note.email_status = SendStatus.FAILED
    if note.message_status == SendStatus.QUEUED:
        if not user.phone:
            note.message_status = SendStatus.NO_ADDRESS
        else:
            try:
                get_gateway().send(user.phone, f"{note.title}. {note.text} {link}".strip())
                note.message_status = SendStatus.SENT
            except Exception:  # noqa: BLE001
                log.exception("notification message failed")
                note.message_status = SendStatus.FAILED
    note.save(update_fields=["email_status", "message_status"])
    return note


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, in_inbox=True, read_at__isnull=True).count()


def mark_read(user: User, pk: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; another's is never touched."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=timezone.now())


def save_preferences(user: User, wanted: dict[str, set[str]]) -> None:
    """Store the channels a person wants per kind (kinds not named keep their setting)."""
    with transaction.atomic():
        before = {p.kind: sorted(p.channels()) for p in Preference.objects.filter(user=user)}
        for kind, channels in wanted.items():
            if kind not in Kind.values:
                raise DomainError("unknown_kind", _("Unknown kind of notification."))
            Preference.objects.update_or_create(
                user=user,
                kind=kind,
                defaults={
                    "inbox": Channel.INBOX in channels,
                    "email": Channel.EMAIL in channels,
                    "message": Channel.MESSAGE in channels,
                },
            )
        log_action(
            "notifications.preferences",
            user,
            actor=user,
            before=before,
            after={k: sorted(v) for k, v in wanted.items()},
        )


# --------------------------------------------------------------------------- residents


def normalise_address(channel: str, address: str) -> str:
    """The address as stored: a lower-case e-mail, or +62… for WhatsApp. DomainError if unusable."""
    address = (address or "").strip()
    if channel == SubscriptionChannel.EMAIL:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise DomainError("bad_address", _("Enter a valid e-mail address.")) from exc
        return address.lower()
    if channel == SubscriptionChannel.WHATSAPP:
        from jaga.servicedesk.chat.graph import normalise_phone

        phone = normalise_phone(address)
        if not (phone.startswith("+62") and 10 <= len(phone) <= 16):
            raise DomainError("bad_address", _("Enter a valid Indonesian mobile number."))
        return phone
    raise DomainError("bad_channel", _("Choose e-mail or WhatsApp."))


def request_subscription(village: Territory, channel: str, address: str) -> None:
    """Ask to follow a village's news. Whatever the address's state, the caller learns nothing:
    a new or lapsed subscription gets a confirmation link (at most every RESEND_MINUTES), an
    active one gets nothing."""
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Choose a village."))
    # A village a pemekaran ended has no news any more: the refusal names its successors.
    refuse_ended(village, None)
    address = normalise_address(channel, address)
    now = timezone.now()
    with transaction.atomic():
        sub, created = Subscription.objects.select_for_update().get_or_create(
            village=village,
            channel=channel,
            address=address,
            defaults={"token": random_secret()},
        )
        if sub.active:
            return
        if sub.confirm_sent_at and now - sub.confirm_sent_at < datetime.timedelta(
            minutes=RESEND_MINUTES
        ):
            return
        if not created and sub.unsubscribed_at is not None:
            sub.token = random_secret()  # old links stop working
        sub.confirm_sent_at = now
        sub.save(update_fields=["token", "confirm_sent_at"])
        log_action(
            "notifications.subscription_requested",
            sub,
            after={"village": village.code, "channel": channel, "address": "***"},
            territory_code=village.code,
        )
        pk = sub.pk
        transaction.on_commit(lambda: _queue_confirmation(pk))


def _queue_confirmation(pk: int) -> None:
    from jaga.notifications.tasks import send_confirmation

    send_confirmation.enqueue(pk)


def _send(sub: Subscription, subject: str, text: str) -> bool:
    """One message to a resident, with the one-click unsubscribe link (and, for e-mail, the
    RFC 8058 List-Unsubscribe headers). Failures are logged."""
    leave = absolute_reverse("notifications:unsubscribe", sub.token)
    try:
        if sub.channel == SubscriptionChannel.EMAIL:
            message = EmailMessage(
                subject,
                text + "\n\n" + _("Stop these messages: %(link)s") % {"link": leave},
                settings.DEFAULT_FROM_EMAIL,
                [sub.address],
                headers={
                    "List-Unsubscribe": f"<{leave}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            message.send()
        else:
            get_gateway("whatsapp").send(
                sub.address,
                text
                + "\n\n"
                + _("To stop these messages, reply BERHENTI or open %(link)s") % {"link": leave},
            )
    except Exception:  # noqa: BLE001 - one failing address never stops the others
        log.exception("resident message failed")
        return False
    return True


def send_confirmation(pk: int) -> bool:
    sub = Subscription.objects.select_related("village").get(pk=pk)
    if sub.active:
        return False
    link = absolute_reverse("notifications:confirm", sub.token)
    with translation.override("id"):
        subject = _("Jaga: confirm news of %(village)s") % {"village": sub.village.display_name}
        text = _(
            "Someone asked to send the public news of %(village)s (new public reports, the "
            "monthly figures) to this address. To confirm, open %(link)s. If it was not you, "
            "ignore this message: nothing will be sent."
        ) % {"village": sub.village.display_name, "link": link}
        return _send(sub, subject, text)


def _by_token(token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return Subscription.objects.select_related("village").filter(token=token).first()


def confirm(token: str) -> Subscription | None:
    """Confirm a subscription from its link; None when the link is unknown or expired."""
    with transaction.atomic():
        sub = _by_token(token)
        if sub is None or sub.confirm_sent_at is None:
            return None
        if sub.active:
            return sub
        if timezone.now() - sub.confirm_sent_at > datetime.timedelta(days=CONFIRM_DAYS):
            return None
        sub.confirmed_at = timezone.now()
        sub.unsubscribed_at = None
        sub.save(update_fields=["confirmed_at", "unsubscribed_at"])
        log_action(
            "notifications.subscribed",
            sub,
            after={"village": sub.village.code, "channel": sub.channel, "address": "***"},
            territory_code=sub.village.code,
        )
    return sub


def unsubscribe(token: str) -> Subscription | None:
    """Stop a subscription from its link (one click); None when the link is unknown."""
    with transaction.atomic():
        sub = _by_token(token)
        if sub is None:
            return None
        if sub.unsubscribed_at is None:
            _stop(sub)
    return sub


def _stop(sub: Subscription) -> None:
    """Stop one subscription (in the caller's transaction), with its audit row."""
    sub.unsubscribed_at = timezone.now()
    sub.save(update_fields=["unsubscribed_at"])
    log_action(
        "notifications.unsubscribed",
        sub,
        after={"village": sub.village.code, "channel": sub.channel, "address": "***"},
        territory_code=sub.village.code,
    )


def unsubscribe_phone(phone: str) -> list[Subscription]:
    """Stop every WhatsApp subscription of `phone` (the sender of a "BERHENTI" reply: WhatsApp
    vouches for the number, so the reply is the one tap the link's page would be). The stopped
    subscriptions, village first; none when the number follows nothing."""
    from jaga.servicedesk.chat.graph import normalise_phone

    address = normalise_phone(phone)
    with transaction.atomic():
        found = list(
            Subscription.objects.select_for_update(of=("self",))
            .select_related("village__parent")
            .filter(
                channel=SubscriptionChannel.WHATSAPP,
                address=address,
                confirmed_at__isnull=False,
                unsubscribed_at__isnull=True,
            )
            .order_by("village__name", "pk")
        )
        for sub in found:
            _stop(sub)
    return found


def _active(village_codes: Iterable[str] | None = None, prefix: str = "") -> Any:
    rows = Subscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).select_related("village")
    if village_codes is not None:
        rows = rows.filter(village__code__in=list(village_codes))
    if prefix:
        rows = rows.filter(village__code__startswith=prefix + ".")
    return rows


def _still_public(event: events.Event) -> Any:
    """The service of a published report as the report is now (None when it may not go out):
    the worker may reach the news after a moderator withdrew the public version or the report
    moved to a sensitive service."""
    from jaga.servicedesk.models import Moderation, ServiceRequest

    if event.data.get("sensitive", True):
        return None
    report = (
        ServiceRequest.objects.filter(ticket=event.object_id, village__code=event.territory_code)
        .select_related("service")
        .first()
    )
    if report is None or report.service.sensitive or report.moderation != Moderation.APPROVED:
        return None
    return report.service


def _published_month(event: events.Event) -> tuple[str, str]:
    """The published month by its name ("Oktober 2026") and the link to the regency's portal
    page of that month (not the latest, which may be a later one by the time it is opened)."""
    link = absolute_reverse("portal:territory", event.territory_code)
    text = event.data.get("month", "")
    try:
        month = datetime.date.fromisoformat(f"{text}-01")
    except ValueError:
        return text, link
    return formats.date_format(month, "F Y"), f"{link}?{urlencode({'bulan': text})}"


def news_for_residents(event: events.Event) -> int:
    """Send a public event to the confirmed subscribers of its villages; returns how many were
    sent. A report of a sensitive service never goes out; no text of the report is ever sent."""
    sent = 0
    with translation.override("id"):
        if event.name == events.REPORT_PUBLISHED:
            service = _still_public(event)
            if service is None:
                return 0
            for sub in _active([event.territory_code]).iterator():
                values = {
                    "village": sub.village.display_name,
                    "service": service.name,
                    "link": absolute_reverse("servicedesk:track", event.object_id),
                }
                subject = _("Jaga: a new public report in %(village)s") % values
                text = _("A new public report in %(village)s: %(service)s. Read it at %(link)s") % (
                    values
                )
                sent += _send(sub, subject, text)
        elif event.name == events.PORTAL_PUBLISHED:
            regency = Territory.objects.filter(code=event.territory_code).first()
            month, link = _published_month(event)
            for sub in _active(prefix=event.territory_code).iterator():
                values = {
                    "village": sub.village.display_name,
                    "regency": regency.display_name if regency else event.territory_code,
                    "month": month,
                    "link": link,
                }
                subject = _("Jaga: the public figures of %(month)s") % values
                text = (
                    _(
                        "The public safety figures of %(regency)s for %(month)s are published, "
                        "%(village)s included: %(link)s"
                    )
                    % values
                )
                sent += _send(sub, subject, text)
    return sent
