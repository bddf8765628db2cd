"""Replaying WhatsApp Cloud API webhook deliveries in Meta's documented shape, and a Graph API
stand-in that records every outgoing request (the product's `graph.OPENER` is swapped in tests).

Used by tests/servicedesk/test_whatsapp.py and the browser scenario.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from PIL import Image

VERIFY_TOKEN = "verify-token-for-tests"
APP_SECRET = "app-secret-for-tests"
ACCESS_TOKEN = "graph-token-for-tests"
PHONE_NUMBER_ID = "109876543210"
SENDER = "6281234500077"
MEDIA_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=777"
URL = "/layanan/whatsapp/"


def configure(settings: Any) -> None:
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_TOKEN = ACCESS_TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com"
    settings.WHATSAPP_GRAPH_VERSION = "v23.0"
    settings.WHATSAPP_GATEWAY = ""


def photo_bytes() -> bytes:
    """A JPEG carrying EXIF (camera make) that the re-encode must drop."""
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class _Answer(io.BytesIO):
    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


@dataclass
class FakeGraph:
    """Stands in for graph.facebook.com: answers message sends with a message id, the media
    endpoint with MEDIA_URL and MEDIA_URL with `media` bytes. `fail` makes the next calls
    answer that HTTP status."""

    media: bytes = field(default_factory=photo_bytes)
    sent: list[Sent] = field(default_factory=list)
    fail: list[int] = field(default_factory=list)

    def open(self, request: urllib.request.Request, timeout: float = 0) -> _Answer:
        data = request.data
        body = json.loads(data) if isinstance(data, bytes) else None
        headers = {k.lower(): v for k, v in request.header_items()}
        self.sent.append(Sent(request.get_method(), request.full_url, headers, body))
        if self.fail:
            code = self.fail.pop(0)
            raise urllib.error.HTTPError(
                request.full_url,
                code,
                "error",
                {},
                io.BytesIO(b'{"error": {}}'),  # type: ignore[arg-type]
            )
        if request.full_url == MEDIA_URL:
            return _Answer(self.media)
        if request.full_url.endswith("/messages"):
            return _Answer(
                json.dumps({"messages": [{"id": f"wamid.out{len(self.sent)}"}]}).encode()
            )
        return _Answer(
            json.dumps(
                {"url": MEDIA_URL, "mime_type": "image/jpeg", "file_size": len(self.media)}
            ).encode()
        )

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The message payloads sent, in order."""
        return [s.body for s in self.sent if s.body is not None and s.url.endswith("/messages")]

    def texts(self) -> list[str]:
        """Every message's visible text (text body, interactive body, template parameter)."""
        found = []
        for message in self.messages:
            if message["type"] == "text":
                found.append(message["text"]["body"])
            elif message["type"] == "interactive":
                found.append(message["interactive"]["body"]["text"])
            elif message["type"] == "template":
                found.append(message["template"]["components"][0]["parameters"][0]["text"])
        return found


# ----------------------------------------------------------------------------- deliveries


def envelope(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    sender: str = SENDER,
) -> dict[str, Any]:
    """A webhook delivery as Meta documents it (object, entry, changes, value)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100001111", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": sender}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def _message(mid: str, kind: str, content: dict[str, Any], sender: str) -> dict[str, Any]:
    return {"from": sender, "id": mid, "timestamp": "1764532800", "type": kind, kind: content}


def text(mid: str, body: str, sender: str = SENDER) -> dict[str, Any]:
    return _message(mid, "text", {"body": body}, sender)


def list_reply(mid: str, row_id: str, title: str = "", sender: str = SENDER) -> dict[str, Any]:
    reply = {"type": "list_reply", "list_reply": {"id": row_id, "title": title or row_id}}
    return _message(mid, "interactive", reply, sender)


def button_reply(mid: str, button_id: str, title: str = "", sender: str = SENDER) -> dict[str, Any]:
    reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title or button_id}}
    return _message(mid, "interactive", reply, sender)


def location(mid: str, lat: float, lon: float, sender: str = SENDER) -> dict[str, Any]:
    where = {"latitude": lat, "longitude": lon, "name": "Warung Bu Sri", "address": "Jl. Soekarno"}
    return _message(mid, "location", where, sender)


def image(
    mid: str, media_id: str = "1357", caption: str = "", sender: str = SENDER
) -> dict[str, Any]:
    content = {"id": media_id, "mime_type": "image/jpeg", "sha256": "abc"}
    if caption:
        content["caption"] = caption
    return _message(mid, "image", content, sender)


def status(mid: str, state: str = "delivered") -> dict[str, Any]:
    return {"id": mid, "status": state, "timestamp": "1764532801", "recipient_id": SENDER}


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client: Client, payload: dict[str, Any], signature: str | None = None) -> Any:
    body = json.dumps(payload).encode()
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body) if signature is None else signature,
    )
