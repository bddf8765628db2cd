"""Meta's Graph API for the WhatsApp Business Cloud API, over urllib.

Messages go to `POST <WHATSAPP_GRAPH_URL>/<version>/<WHATSAPP_PHONE_NUMBER_ID>/messages` with the
bearer `WHATSAPP_TOKEN`, in the payload shapes Meta documents (text, interactive list, interactive
reply buttons, template). Media a sender shared is fetched in two steps: `GET /<version>/<media id>`
answers a short-lived URL, which is then fetched with the same bearer.

Every call goes through `OPENER` (a `urllib.request.OpenerDirector`): tests swap it for one that
records the requests; the product talks to the real service. A failed call is retried (network
errors, 429 and 5xx: three tries in all, with a short pause); other refusals raise `GraphError` at
once, and callers log it (a status change never fails because a message could not go out).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

log = logging.getLogger("jaga.whatsapp")

OPENER: Any = urllib.request.build_opener()
SLEEP: Callable[[float], None] = time.sleep
TRIES = 3
TIMEOUT = 10
# WhatsApp's customer-service window: free-form messages only within 24 hours of the user's last
# message; after that only an approved template may be sent.
SERVICE_WINDOW = datetime.timedelta(hours=24)
TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # interactive message bodies


class GraphError(Exception):
    """A Graph API call that did not succeed (after retrying what may be retried)."""


def configured() -> bool:
    return bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)


def graph_url(path: str) -> str:
    base = str(settings.WHATSAPP_GRAPH_URL).rstrip("/")
    return f"{base}/{settings.WHATSAPP_GRAPH_VERSION}/{path.lstrip('/')}"


def _request(url: str, *, data: dict[str, Any] | None = None, limit: int = 1_000_000) -> bytes:
    headers = {"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"}
    body = None
    if data is not None:
        body = json.dumps(data, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:
        raise GraphError(f"not a web address: {url[:60]}")
    problem = ""
    for attempt in range(TRIES):
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, headers=headers, method="POST" if body is not None else "GET"
        )
        try:
            with OPENER.open(request, timeout=TIMEOUT) as response:
                content: bytes = response.read(limit + 1)
            if len(content) > limit:
                raise GraphError(f"answer larger than {limit} bytes")
            return content
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", errors="replace")
            problem = f"HTTP {exc.code}: {detail}"
            if exc.code != 429 and exc.code < 500:
                raise GraphError(problem) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            problem = str(exc)
        if attempt + 1 < TRIES:
            SLEEP(0.5 * 2**attempt)
    raise GraphError(f"{TRIES} tries failed: {problem}")


def to_wa_id(phone: str) -> str:
    """The recipient as the Cloud API wants it: the international number in digits."""
    return "".join(ch for ch in phone if ch.isdigit())


def send_payload(to: str, payload: dict[str, Any]) -> str:
    """Send one message (`payload` is the part after `to`: type and content); the message id."""
    if not configured():
        raise GraphError("WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID are not set")
    message = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_wa_id(to),
        **payload,
    }
    answer = _request(graph_url(f"{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"), data=message)
    try:
        return str(json.loads(answer)["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def cut(text: str, limit: int) -> str:
    text = " ".join(text.split()) if limit < 100 else text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_payload(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": cut(text, TEXT_LIMIT)}}


def list_payload(
    body: str, button: str, sections: list[tuple[str, list[tuple[str, str, str]]]]
) -> dict[str, Any]:
    """An interactive list: at most 10 rows in all, `(id, title, description)` each."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": cut(body, BODY_LIMIT)},
            "action": {
                "button": cut(button, 20),
                "sections": [
                    {
                        "title": cut(title, 24),
                        "rows": [
                            {"id": row_id, "title": cut(row_title, 24)}
                            | ({"description": cut(about, 72)} if about else {})
                            for row_id, row_title, about in rows
                        ],
                    }
                    for title, rows in sections
                ],
            },
        },
    }


def buttons_payload(body: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Interactive reply buttons: at most three, `(id, title)` each."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": cut(body, BODY_LIMIT)},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button_id, "title": cut(title, 20)}}
                    for button_id, title in buttons
                ]
            },
        },
    }


def template_payload(name: str, language: str, text: str) -> dict[str, Any]:
    """An approved template with one body parameter: the message text. Template parameters may
    not hold line breaks or runs of spaces, so the text is put on one line."""
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": cut(" ".join(text.split()), 1000)}],
                }
            ],
        },
    }


def download_media(media_id: str, *, limit: int) -> bytes:
    """The bytes of a picture a sender shared (at most `limit` bytes; larger raises)."""
    if not configured():
        raise GraphError("WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID are not set")
    info = json.loads(_request(graph_url(urllib.parse.quote(media_id, safe=""))))
    url = str(info.get("url") or "")
    if urllib.parse.urlsplit(url).scheme != "https":
        # The bearer token goes along: only to an https address the Graph API gave.
        raise GraphError("the media answer holds no https URL")
    size = info.get("file_size")
    if isinstance(size, int) and size > limit:
        raise GraphError(f"media of {size} bytes is over the limit")
    return _request(url, limit=limit)


def in_service_window(phone: str, now: datetime.datetime | None = None) -> bool:
    """Did this number write to us on WhatsApp within the last 24 hours?"""
    from jaga.servicedesk.models import ChatChannel, Conversation

    since = (now or timezone.now()) - SERVICE_WINDOW
    return Conversation.objects.filter(
        channel=ChatChannel.WHATSAPP, phone=normalise_phone(phone), last_inbound_at__gte=since
    ).exists()


def normalise_phone(phone: str) -> str:
    """+ and the digits: how conversations and reports keep a WhatsApp sender's number."""
    digits = to_wa_id(phone)
    if digits.startswith("0"):  # a local Indonesian number typed by hand
        digits = "62" + digits[1:]
    return "+" + digits if digits else ""


class WhatsAppCloudGateway:
    """`send(to, text)` through the Cloud API (the gateway seam of `jaga.core.gateways`).

    Within the 24-hour service window after the person's last WhatsApp message the text goes as
    a normal message. Outside it WhatsApp accepts only an approved template: with
    `WHATSAPP_STATUS_TEMPLATE` set, the text is sent as that template's one parameter; without it
    the message is not sent and `GraphError` says why (the caller logs it).
    """

    def send(self, to: str, text: str) -> None:
        if in_service_window(to):
            send_payload(to, text_payload(text))
            return
        template = str(settings.WHATSAPP_STATUS_TEMPLATE)
        if not template:
            log.warning("WhatsApp message not sent: outside the 24-hour window, no template set")
            raise GraphError(
                "outside the 24-hour service window and WHATSAPP_STATUS_TEMPLATE unset"
            )
        send_payload(to, template_payload(template, str(settings.WHATSAPP_TEMPLATE_LANGUAGE), text))
