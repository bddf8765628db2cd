"""Outgoing SMS / WhatsApp messages go through a gateway chosen by settings.MESSAGE_GATEWAY."""

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


def get_gateway() -> MessageGateway:
    gateway: MessageGateway = import_string(settings.MESSAGE_GATEWAY)()
    return gateway
