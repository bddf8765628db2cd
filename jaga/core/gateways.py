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
    """The default gateway: writes each message to the log and keeps it for tests."""

    sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        masked = to[:4] + "***" + to[-2:] if len(to) > 6 else "***"
        log.info("message to %s: %s", masked, text)
        LoggingGateway.sent.append((to, text))


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
