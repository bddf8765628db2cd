"""The doors of the conversation: Meta's WhatsApp webhook and an inbound SMS webhook.

`/layanan/whatsapp/`: GET answers Meta's verification handshake; POST takes deliveries signed
with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with `WHATSAPP_APP_SECRET`).
`/layanan/sms/`: POST `{"id", "from", "text"}` signed with `X-Jaga-Signature` (HMAC-SHA256 of the
raw body with `SMS_INBOUND_SECRET`). Both answer 404 while their secrets are unset, refuse a
body over `MAX_BODY` (413) and a missing or wrong signature (403, counted against the address
like a wrong API token), and store nothing they refused. docs/whatsapp.md describes both.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    JsonResponse,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jaga.accounts.access import allow_public
from jaga.core import ratelimit
from jaga.core.errors import DomainError
from jaga.core.gateways import get_gateway
from jaga.core.images import CleanPhoto, clean_image
from jaga.servicedesk.chat import graph
from jaga.servicedesk.chat.conversation import (
    Context,
    Incoming,
    Reply,
    already_handled,
    receive,
    wants_photo,
)
from jaga.servicedesk.models import ChatChannel
from jaga.servicedesk.services.common import MAX_DESCRIPTION

log = logging.getLogger("jaga.whatsapp")

# Deliveries are small JSON documents (Meta batches at most a few messages); anything larger is
# refused before it is read.
MAX_BODY = 256 * 1024


def signature_ok(body: bytes, header: str, secret: str) -> bool:
    """`sha256=<hex HMAC-SHA256 of body>`, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").strip().encode())


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is (or claims to be) over MAX_BODY."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > MAX_BODY:
        return None
    body = request.body
    return body if len(body) <= MAX_BODY else None


def _too_many(exc: ratelimit.RateLimited) -> HttpResponse:
    response = HttpResponse(str(exc.message), status=429, content_type="text/plain")
    response["Retry-After"] = str(getattr(exc, "retry_after", 60) or 60)
    return response


def _refused(request: HttpRequest) -> HttpResponse:
    ratelimit.count_credential_failure(request)
    return HttpResponse(status=403)


# ----------------------------------------------------------------------------- WhatsApp


@csrf_exempt
@allow_public
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if not (settings.WHATSAPP_VERIFY_TOKEN and settings.WHATSAPP_APP_SECRET):
        return HttpResponseNotFound()
    if request.method not in {"GET", "POST"}:
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        ratelimit.check_credential_failures(request)
    except ratelimit.RateLimited as exc:
        return _too_many(exc)
    if request.method == "GET":
        return _handshake(request)
    body = _read_body(request)
    if body is None:
        return HttpResponse(status=413)
    if not signature_ok(
        body, request.headers.get("X-Hub-Signature-256", ""), settings.WHATSAPP_APP_SECRET
    ):
        return _refused(request)
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    for message in _messages(payload):
        try:
            _on_whatsapp_message(request, message)
        except Exception:  # noqa: BLE001 - one bad message must not lose the others in the batch
            log.exception("WhatsApp message %s could not be handled", message.get("id", "?"))
    return HttpResponse("OK", content_type="text/plain")


def _handshake(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        request.GET.get("hub.mode") == "subscribe"
        and hmac.compare_digest(token.encode(), str(settings.WHATSAPP_VERIFY_TOKEN).encode())
        and challenge
        and len(challenge) <= 200
    ):
        return HttpResponse(challenge, content_type="text/plain")
    return _refused(request)


def _messages(payload: Any) -> Iterator[dict[str, Any]]:
    """The messages of a delivery addressed to our number; status callbacks (sent, delivered,
    read) and other fields are skipped."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return
    ours = str(settings.WHATSAPP_PHONE_NUMBER_ID)
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            number = str((value.get("metadata") or {}).get("phone_number_id", ""))
            if ours and number != ours:
                continue
            for message in value.get("messages") or []:
                if isinstance(message, dict):
                    yield message


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_whatsapp(message: dict[str, Any]) -> Incoming:
    """A Cloud API message object as the conversation sees it."""
    mid = str(message.get("id", ""))
    kind = message.get("type")
    if kind == "text":
        return Incoming(mid, "text", text=str((message.get("text") or {}).get("body", "")))
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get(str(interactive.get("type", ""))) or {}
        return Incoming(
            mid, "choice", choice=str(reply.get("id", "")), text=str(reply.get("title", ""))
        )
    if kind == "button":  # a quick-reply button of a template
        return Incoming(mid, "text", text=str((message.get("button") or {}).get("text", "")))
    if kind == "location":
        where = message.get("location") or {}
        address = ", ".join(str(where[k]) for k in ("name", "address") if where.get(k))
        return Incoming(
            mid,
            "location",
            latitude=_float(where.get("latitude")),
            longitude=_float(where.get("longitude")),
            address=address,
        )
    if kind == "image":
        image = message.get("image") or {}
        return Incoming(
            mid, "image", media_id=str(image.get("id", "")), caption=str(image.get("caption", ""))
        )
    return Incoming(mid, "other")


def _fetch_photo(media_id: str) -> tuple[CleanPhoto | None, str]:
    """Download a shared picture and check and re-encode it as the web form does."""
    try:
        data = graph.download_media(media_id, limit=int(settings.MAX_UPLOAD_BYTES))
    except graph.GraphError as exc:
        log.warning("WhatsApp media %s could not be downloaded: %s", media_id, exc)
        return None, ""
    try:
        with translation.override("id"):
            return clean_image(io.BytesIO(data), name=_("photo")), ""
    except DomainError as exc:
        with translation.override("id"):
            return None, str(exc.message) + " " + _("Send another photo, or choose Skip.")


def _on_whatsapp_message(request: HttpRequest, message: dict[str, Any]) -> None:
    phone = graph.normalise_phone(str(message.get("from", "")))
    incoming = parse_whatsapp(message)
    if not phone or not incoming.message_id:
        return
    if already_handled(ChatChannel.WHATSAPP, incoming.message_id):
        return  # Meta retried a delivery we answered: nothing to download, store or send
    ctx = Context(channel=ChatChannel.WHATSAPP, phone=phone, request=request)
    if incoming.kind == "image" and incoming.media_id and wants_photo(ChatChannel.WHATSAPP, phone):
        ctx.photo, ctx.photo_error = _fetch_photo(incoming.media_id)
    replies = receive(incoming, ctx)
    with translation.override("id"):
        payloads = [render_whatsapp(reply) for reply in replies]
    for payload in payloads:
        try:
            graph.send_payload(phone, payload)
        except graph.GraphError as exc:
            log.warning("WhatsApp reply not sent: %s", exc)


def render_whatsapp(reply: Reply) -> dict[str, Any]:
    """A reply in the Cloud API's shape: reply buttons (up to three short options), an
    interactive list (up to ten), numbered text otherwise."""
    options = reply.options
    if not options:
        return graph.text_payload(reply.text)
    if reply.numbered or len(options) > 10:
        return graph.text_payload(_numbered(reply))
    if reply.buttons and len(options) <= 3 and all(len(o.title) <= 20 for o in options):
        return graph.buttons_payload(reply.text, [(o.id, o.title) for o in options])
    sections: list[tuple[str, list[tuple[str, str, str]]]] = []
    for option in options:
        title = option.section or reply.button or _("Choose")
        if not sections or sections[-1][0] != title:
            sections.append((title, []))
        sections[-1][1].append((option.id, option.title, option.description))
    return graph.list_payload(reply.text, reply.button or _("Choose"), sections)


def _numbered(reply: Reply) -> str:
    lines = [reply.text, ""]
    lines += [f"{i}. {option.title}" for i, option in enumerate(reply.options, start=1)]
    if not reply.numbered:
        lines += ["", _("Reply with the number of your choice.")]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- SMS


def render_sms(reply: Reply) -> str:
    return _numbered(reply) if reply.options else reply.text


@csrf_exempt
@allow_public
def sms_webhook(request: HttpRequest) -> HttpResponse:
    """An SMS provider posts each received SMS as JSON `{"id", "from", "text"}`; the replies go
    out through the SMS gateway (`SMS_GATEWAY`, else `MESSAGE_GATEWAY`)."""
    if not settings.SMS_INBOUND_SECRET:
        return HttpResponseNotFound()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        ratelimit.check_credential_failures(request)
    except ratelimit.RateLimited as exc:
        return _too_many(exc)
    body = _read_body(request)
    if body is None:
        return HttpResponse(status=413)
    if not signature_ok(
        body, request.headers.get("X-Jaga-Signature", ""), settings.SMS_INBOUND_SECRET
    ):
        return _refused(request)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"ok": False, "error": "a JSON object is expected"}, status=400)
    message_id = str(payload.get("id") or "").strip()
    phone = graph.normalise_phone(str(payload.get("from") or ""))
    text = str(payload.get("text") or "")[: MAX_DESCRIPTION + 100]
    if not message_id or len(phone) < 8:
        return JsonResponse({"ok": False, "error": "id and from are required"}, status=400)
    replies = receive(
        Incoming(message_id, "text", text=text),
        Context(channel=ChatChannel.SMS, phone=phone, request=request),
    )
    with translation.override("id"):
        texts = [render_sms(reply) for reply in replies]
    gateway = get_gateway(ChatChannel.SMS)
    for reply_text in texts:
        try:
            gateway.send(phone, reply_text)
        except Exception:  # noqa: BLE001 - the provider's outage must not undo the conversation
            log.exception("SMS reply not sent")
    return JsonResponse({"ok": True, "replies": len(texts)})
