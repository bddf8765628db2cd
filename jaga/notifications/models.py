"""Notifications: what officers are told (inbox, e-mail, WhatsApp/SMS) and what residents follow.

Officers' notifications belong to one account each and are read only by it; their text holds
codes, names of places and services and statuses, never a reporter's identity or a report's text.
A resident's subscription holds an e-mail address or a phone number: personal data, shown to
nobody, only used to send the village's public news after a confirmed opt-in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.core import events


class Kind(models.TextChoices):
    """The events an officer may be told of, each configurable per person."""

    NEW_REPORT = events.REPORT_CREATED, _("New report in my area")
    OVERDUE = events.REPORT_OVERDUE, _("Report overdue")
    INVITATION = events.INVITATION_SENT, _("Invitation to an activity")
    ALARM = events.ALARM_RAISED, _("Early-warning alarm")


class Channel(models.TextChoices):
    INBOX = "inbox", _("Inbox in Jaga")
    EMAIL = "email", _("E-mail")
    MESSAGE = "message", _("WhatsApp / SMS")


# Without a saved choice a person gets the inbox and e-mail for every kind.
DEFAULT_CHANNELS = frozenset({Channel.INBOX, Channel.EMAIL})


class Preference(models.Model):
    """Which channels a person wants for one kind of event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    inbox = models.BooleanField(_("inbox"), default=True)
    email = models.BooleanField(_("e-mail"), default=True)
    message = models.BooleanField(_("WhatsApp / SMS"), default=False)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.kind}"

    def channels(self) -> set[str]:
        return {
            c
            for c, on in (
                (Channel.INBOX, self.inbox),
                (Channel.EMAIL, self.email),
                (Channel.MESSAGE, self.message),
            )
            if on
        }


class SendStatus(models.TextChoices):
    NONE = "", _("not wanted")
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    NO_ADDRESS = "no_address", _("no address")


class Notification(models.Model):
    """One event told to one officer; shown in the inbox when the person wants the inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    territory_code = models.CharField(_("territory"), max_length=20)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    in_inbox = models.BooleanField(_("in the inbox"), default=True)
    email_status = models.CharField(
        _("e-mail"), max_length=12, choices=SendStatus.choices, blank=True, default=""
    )
    message_status = models.CharField(
        _("WhatsApp / SMS"), max_length=12, choices=SendStatus.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "in_inbox", "read_at"], name="notif_unread")]

    def __str__(self) -> str:
        return self.title


class SubscriptionChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Subscription(models.Model):
    """A resident following a village's public news, active once confirmed (double opt-in)."""

    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="news_subscriptions",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=SubscriptionChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    # The secret in the confirmation and unsubscribe links (new on every renewed request).
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirm_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("news subscription")
        verbose_name_plural = _("news subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "channel", "address"], name="news_subscription_unique"
            )
        ]

    def __str__(self) -> str:  # never the address: it is personal data
        return f"{self.village_id} · {self.channel} · {self.pk}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
