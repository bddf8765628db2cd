"""Inbound SMS: the same conversation in plain text, numbered choices, replies through the gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.core.cache import cache

from jaga.core.gateways import LoggingGateway
from jaga.servicedesk import services
from jaga.servicedesk.chat import conversation
from jaga.servicedesk.models import Channel, Conversation, InboundMessage, ServiceRequest, Status

URL = "/layanan/sms/"
SECRET = "sms-secret-for-tests"
PHONE = "081234500088"


@pytest.fixture
def sms(settings: Any, units: dict) -> list[tuple[str, str]]:
    settings.SMS_INBOUND_SECRET = SECRET
    settings.SMS_GATEWAY = ""
    settings.MESSAGE_GATEWAY = "jaga.core.gateways.LoggingGateway"
    cache.clear()
    LoggingGateway.sent.clear()
    return LoggingGateway.sent


def _post(client: Any, payload: dict[str, Any], secret: str = SECRET, signature: str = "") -> Any:
    body = json.dumps(payload).encode()
    signature = signature or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        URL, data=body, content_type="application/json", HTTP_X_JAGA_SIGNATURE=signature
    )


def _say(client: Any, mid: str, text: str) -> str:
    answer = _post(client, {"id": mid, "from": PHONE, "text": text})
    assert answer.status_code == 200, answer.content
    return "\n".join(t for _to, t in LoggingGateway.sent[-answer.json()["replies"] :])


def _number_of(reply: str, title: str) -> str:
    for line in reply.splitlines():
        number, _dot, rest = line.partition(". ")
        if number.isdigit() and rest.strip() == title:
            return number
    raise AssertionError(f"{title} not offered in {reply!r}")


def test_an_sms_conversation_files_one_report(client: Any, sms: list) -> None:
    menu = _say(client, "sms-1", "halo")
    assert "110" in menu and "Balas dengan nomor" in menu
    _say(client, "sms-2", _number_of(menu, "Knalpot brong"))
    place = LoggingGateway.sent[-1][1]
    assert "nama desa" in place.lower() and "lokasi" not in place.lower()
    _say(client, "sms-3", "Tamanan")
    confirm = _say(client, "sms-4", "Knalpot brong tiap malam di depan balai desa.")
    assert "YA" in confirm and "Tamanan" in confirm  # no photo step on SMS
    done = _say(client, "sms-5", "ya")
    report = ServiceRequest.objects.get()
    assert report.channel == Channel.SMS
    assert report.phone == "+6281234500088"
    assert report.ticket in done
    assert all(to == "+6281234500088" for to, _text in sms)
    # a retried delivery of the last SMS changes nothing and sends nothing
    sent = len(sms)
    assert _post(client, {"id": "sms-5", "from": PHONE, "text": "ya"}).status_code == 200
    assert ServiceRequest.objects.count() == 1 and len(sms) == sent


def test_several_villages_are_numbered(client: Any, sms: list) -> None:
    menu = _say(client, "sms-1", "halo")
    _say(client, "sms-2", _number_of(menu, "Knalpot brong"))
    choice = _say(client, "sms-3", "Pandean")
    assert "1. Pandean" in choice and "2. Pandean" in choice
    _say(client, "sms-4", "2")
    conv = Conversation.objects.get()
    assert conv.step == conversation.DESCRIPTION


def test_a_multiple_choice_question_takes_numbers(client: Any, sms: list) -> None:
    menu = _say(client, "sms-1", "halo")
    _say(client, "sms-2", _number_of(menu, "Kehilangan dokumen"))
    _say(client, "sms-3", "Tamanan")
    asked = _say(client, "sms-4", "Dompet berisi KTP dan SIM hilang di pasar.")
    assert "1, 3" in asked
    again = _say(client, "sms-5", "9, 99")
    assert "bukan salah satu jawaban" in again
    _say(client, "sms-6", "1, 2")
    _say(client, "sms-7", "ya")
    report = ServiceRequest.objects.get()
    assert len(report.answers["dokumen"]) == 2


def test_status_changes_go_to_the_sms_gateway(
    client: Any, sms: list, bob: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_GATEWAY = "jaga.core.gateways.LoggingGateway"
    settings.MESSAGE_GATEWAY = "jaga.servicedesk.chat.graph.WhatsAppCloudGateway"  # not for SMS
    menu = _say(client, "sms-1", "halo")
    _say(client, "sms-2", _number_of(menu, "Knalpot brong"))
    _say(client, "sms-3", "Tamanan")
    _say(client, "sms-4", "Knalpot brong tiap malam di depan balai desa.")
    _say(client, "sms-5", "ya")
    report = ServiceRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Dicek besok.")
    to, text = sms[-1]
    assert to == "+6281234500088" and "Dicek besok." in text


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha256=" + "a" * 64])
def test_a_bad_signature_stores_nothing(client: Any, sms: list, signature: str) -> None:
    answer = _post(client, {"id": "x", "from": PHONE, "text": "halo"}, signature=signature or "-")
    assert answer.status_code == 403
    assert (InboundMessage.objects.count(), Conversation.objects.count()) == (0, 0)
    assert sms == []


def test_without_a_secret_the_door_is_closed(client: Any, settings: Any, db: Any) -> None:
    settings.SMS_INBOUND_SECRET = ""
    assert _post(client, {"id": "x", "from": PHONE, "text": "halo"}, secret="").status_code == 404
    assert InboundMessage.objects.count() == 0


def test_oversize_and_malformed_bodies_are_refused(client: Any, sms: list) -> None:
    assert _post(client, {"id": "x", "from": PHONE, "text": "x" * 300_000}).status_code == 413
    assert _post(client, {"id": "", "from": PHONE, "text": "halo"}).status_code == 400
    assert _post(client, {"id": "y", "from": "", "text": "halo"}).status_code == 400
    assert client.get(URL).status_code == 405
    assert InboundMessage.objects.count() == 0
