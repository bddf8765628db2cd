"""Endpoints other systems registered to hear of Jaga's events, and the log of each delivery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.core import events
from jaga.core.events import Event

# The events an endpoint may ask for: those whose payload is fit to leave the police.
EVENT_CHOICES = [
    (events.REPORT_CREATED, _("New report")),
    (events.REPORT_STATUS_CHANGED, _("Report status changed")),
    (events.REPORT_OVERDUE, _("Report overdue")),
    (events.ALARM_RAISED, _("Alarm raised")),
]


class Endpoint(models.Model):
    """A receiving system's address. Deliveries are signed with `secret` (docs/webhooks.md)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.CharField(_("address"), max_length=500, help_text=_("An https:// address."))
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        blank=True,
        help_text=_("Left empty, a secret is generated. Give it to the receiving system."),
    )
    events = models.JSONField(_("events"), default=list)
    territory_code = models.CharField(
        _("territory"),
        max_length=20,
        blank=True,
        help_text=_(
            "Code of a regency, district or village: only its events are sent. Empty: all."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: Event) -> bool:
        if not self.is_active or event.name not in self.events:
            return False
        scope = self.territory_code
        code = event.territory_code
        return not scope or code == scope or code.startswith(scope + ".")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class Delivery(models.Model):
    """One event for one endpoint: its body (kept, so a retry sends the same bytes' content) and
    how the tries went."""

    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.CharField(_("delivery id"), max_length=32, unique=True)
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("body"))
    created_at = models.DateTimeField(_("created"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_tried_at = models.DateTimeField(_("last try"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_try_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.delivery_id})"
