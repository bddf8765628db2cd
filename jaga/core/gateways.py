"""Outgoing SMS / WhatsApp messages go through a gateway chosen by settings.MESSAGE_GATEWAY
(and WHATSAPP_GATEWAY / SMS_GATEWAY for reporters who wrote on those channels)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("jaga.gateways")


class MessageGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class LoggingGateway:
    """The default gateway: logs that a message went and keeps the last ones for tests.

    A message can hold a reporter's private tracking code or a one-time secret, so its text
    reaches the log only with DEBUG (the demo, development); in production the log says to whom
    (masked) and how long. The kept messages are the last `KEEP`, not every message since the
    process started."""

    KEEP = 1000
    sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        masked = to[:4] + "***" + to[-2:] if len(to) > 6 else "***"
        if settings.DEBUG:
            log.info("message to %s: %s", masked, text)
        else:
            log.info(
                "message to %s (%d characters; the text is logged only with DEBUG)",
                masked,
                len(text),
            )
        LoggingGateway.sent.append((to, text))
        if len(LoggingGateway.sent) > self.KEEP:
            del LoggingGateway.sent[: -self.KEEP]


WHATSAPP_CLOUD_GATEWAY = "jaga.servicedesk.chat.graph.WhatsAppCloudGateway"


def gateway_path(channel: str = "") -> str:
    """The gateway class for messages to someone who wrote through `channel` ("whatsapp", "sms";
    empty for everyone else, e.g. officers): WHATSAPP_GATEWAY / SMS_GATEWAY, else MESSAGE_GATEWAY.
    A configured WhatsApp Cloud API answers WhatsApp reporters unless WHATSAPP_GATEWAY says else."""
    if channel == "whatsapp":
        if settings.WHATSAPP_GATEWAY:
            return str(settings.WHATSAPP_GATEWAY)
        if settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID:
            return WHATSAPP_CLOUD_GATEWAY
    if channel == "sms" and settings.SMS_GATEWAY:
        return str(settings.SMS_GATEWAY)
    return str(settings.MESSAGE_GATEWAY)


def get_gateway(channel: str = "") -> MessageGateway:
    gateway: MessageGateway = import_string(gateway_path(channel))()
    return gateway
