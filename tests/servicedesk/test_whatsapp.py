"""WhatsApp intake: Meta's webhook deliveries replayed, the Graph API requests recorded."""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from jaga.core.audit import snapshot
from jaga.core.gateways import LoggingGateway, gateway_path
from jaga.servicedesk import services
from jaga.servicedesk.chat import conversation, graph
from jaga.servicedesk.models import (
    Channel,
    ChatChannel,
    Conversation,
    InboundMessage,
    Service,
    ServiceRequest,
    Status,
)
from jaga.territory.models import Territory
from tests.servicedesk import whatsapp_replay as wa

TAMANAN = "35.03.11.1002"
TAMANAN_POINT = (-8.0512, 111.7105)


@pytest.fixture
def graph_api(settings: Any, monkeypatch: Any, units: dict) -> wa.FakeGraph:
    wa.configure(settings)
    fake = wa.FakeGraph()
    monkeypatch.setattr(graph, "OPENER", fake)
    monkeypatch.setattr(graph, "SLEEP", lambda _seconds: None)
    Territory.objects.filter(code=TAMANAN).update(
        latitude=TAMANAN_POINT[0], longitude=TAMANAN_POINT[1]
    )
    cache.clear()
    return fake


def _stored() -> tuple[int, int, int]:
    return (
        InboundMessage.objects.count(),
        Conversation.objects.count(),
        ServiceRequest.objects.count(),
    )


def _talk(client: Any, *messages: dict[str, Any]) -> None:
    for message in messages:
        answer = wa.deliver(client, wa.envelope([message]))
        assert answer.status_code == 200, answer.content


def _full_conversation(client: Any) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong", "Knalpot brong"),
        wa.location("wamid.3", *TAMANAN_POINT),
        wa.text("wamid.4", "Knalpot brong tiap malam di depan balai desa, jam 11 malam."),
        wa.image("wamid.5"),
        wa.button_reply("wamid.6", "send", "Kirim"),
    )


# ----------------------------------------------------------------------------- handshake


def test_handshake_with_the_right_token_echoes_the_challenge(client: Any, graph_api: Any) -> None:
    answer = client.get(
        wa.URL,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": wa.VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    assert answer.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": wa.VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_handshake_with_a_wrong_token_is_refused(
    client: Any, graph_api: Any, params: dict[str, str]
) -> None:
    answer = client.get(wa.URL, params)
    assert answer.status_code == 403
    assert b"1" not in answer.content


def test_without_settings_the_webhook_is_not_there(client: Any, settings: Any, db: Any) -> None:
    settings.WHATSAPP_VERIFY_TOKEN = ""
    settings.WHATSAPP_APP_SECRET = ""
    assert client.get(wa.URL, {"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 404
    payload = wa.envelope([wa.text("wamid.x", "Halo")])
    assert wa.deliver(client, payload, signature=wa.sign(b"", "")).status_code == 404
    assert _stored() == (0, 0, 0)


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", wa.sign(b"another body")],
    ids=["missing", "zeros", "sha1", "other-body"],
)
def test_a_delivery_without_a_valid_signature_stores_nothing(
    client: Any, graph_api: wa.FakeGraph, signature: str
) -> None:
    answer = wa.deliver(client, wa.envelope([wa.text("wamid.bad", "Halo")]), signature=signature)
    assert answer.status_code == 403
    assert _stored() == (0, 0, 0)
    assert graph_api.sent == []


def test_a_signature_made_with_another_secret_is_refused(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    body = json.dumps(wa.envelope([wa.text("wamid.bad", "Halo")])).encode()
    answer = client.post(
        wa.URL,
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=wa.sign(body, "not-the-app-secret"),
    )
    assert answer.status_code == 403
    assert _stored() == (0, 0, 0)


def test_an_oversize_delivery_is_refused_before_reading(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    payload = wa.envelope([wa.text("wamid.big", "x" * 300_000)])
    answer = wa.deliver(client, payload)
    assert answer.status_code == 413
    assert _stored() == (0, 0, 0)


def test_repeated_bad_signatures_are_rate_limited(
    client: Any, graph_api: wa.FakeGraph, settings: Any
) -> None:
    settings.API_TOKEN_FAILURE_LIMIT = 3
    payload = wa.envelope([wa.text("wamid.bad", "Halo")])
    codes = [wa.deliver(client, payload, signature="sha256=00").status_code for _ in range(4)]
    assert codes == [403, 403, 403, 429]
    # Even a valid delivery from that address waits out the window.
    answer = wa.deliver(client, payload)
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) >= 60
    assert _stored() == (0, 0, 0)


def test_status_callbacks_are_ignored(client: Any, graph_api: wa.FakeGraph) -> None:
    payload = wa.envelope(statuses=[wa.status("wamid.out1"), wa.status("wamid.out1", "read")])
    assert wa.deliver(client, payload).status_code == 200
    assert _stored() == (0, 0, 0)
    assert graph_api.sent == []


def test_messages_to_another_business_number_are_ignored(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    payload = wa.envelope([wa.text("wamid.other", "Halo")])
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert wa.deliver(client, payload).status_code == 200
    assert _stored() == (0, 0, 0)


# ----------------------------------------------------------------------------- the conversation


def test_the_whole_conversation_files_one_report(client: Any, graph_api: wa.FakeGraph) -> None:
    _full_conversation(client)

    report = ServiceRequest.objects.get()
    assert report.channel == Channel.WHATSAPP
    assert report.service.code == "knalpot_brong"
    assert report.village.code == TAMANAN
    assert (report.latitude, report.longitude) == TAMANAN_POINT
    assert report.phone == "+" + wa.SENDER
    assert report.description.startswith("Knalpot brong tiap malam")
    assert report.status == Status.RECEIVED
    assert report.unit is not None
    assert "Warung Bu Sri" in report.address
    photo = report.photos.get()
    with photo.file.storage.open(photo.file.name, "rb") as handle:
        stored_bytes = handle.read()
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert stored.format == "JPEG"
        assert 0x010F not in stored.getexif()  # the camera's EXIF is gone

    # Every request went to the Graph API with the bearer token.
    sends = [s for s in graph_api.sent if s.url.endswith("/messages")]
    assert {s.url for s in sends} == {
        f"https://graph.facebook.com/v23.0/{wa.PHONE_NUMBER_ID}/messages"
    }
    assert all(s.headers["authorization"] == f"Bearer {wa.ACCESS_TOKEN}" for s in graph_api.sent)
    assert all(
        m["to"] == wa.SENDER and m["messaging_product"] == "whatsapp" for m in graph_api.messages
    )
    # The media was fetched in Meta's two steps.
    gets = [s.url for s in graph_api.sent if s.method == "GET"]
    assert gets == ["https://graph.facebook.com/v23.0/1357", wa.MEDIA_URL]

    # The greeting offered the services as an interactive list, within Meta's limits.
    first = graph_api.messages[0]
    assert first["type"] == "interactive" and first["interactive"]["type"] == "list"
    rows = [r for s in first["interactive"]["action"]["sections"] for r in s["rows"]]
    assert len(rows) <= 10
    assert all(len(r["title"]) <= 24 for r in rows)
    assert "svc:knalpot_brong" in {r["id"] for r in rows}
    assert "110" in first["interactive"]["body"]["text"]

    # The last answer names the ticket and the tracking code, which opens the report.
    last = graph_api.texts()[-1]
    assert report.ticket in last
    code = re.search(r"([A-Z0-9]{16})", last.replace(report.ticket, ""))
    assert code is not None
    assert services.check_tracking_code(report, code.group(1))
    assert "Terima kasih" in last  # Indonesian

    conv = Conversation.objects.get()
    assert conv.step == "" and conv.photo is None and conv.last_report == report


def test_a_retried_delivery_files_nothing_new(client: Any, graph_api: wa.FakeGraph) -> None:
    _full_conversation(client)
    sent = len(graph_api.sent)
    assert ServiceRequest.objects.count() == 1

    # Meta delivers the last two messages again (and the first).
    _talk(
        client,
        wa.image("wamid.5"),
        wa.button_reply("wamid.6", "send", "Kirim"),
        wa.text("wamid.1", "Halo"),
    )
    assert ServiceRequest.objects.count() == 1
    assert len(graph_api.sent) == sent  # nothing downloaded, nothing answered
    assert InboundMessage.objects.count() == 6


def test_a_new_message_after_filing_starts_afresh(client: Any, graph_api: wa.FakeGraph) -> None:
    _full_conversation(client)
    _talk(client, wa.text("wamid.7", "Halo lagi"))
    assert Conversation.objects.get().step == conversation.SERVICE
    assert graph_api.messages[-1]["interactive"]["type"] == "list"


def test_batal_cancels_at_any_step(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "Batal"),
    )
    conv = Conversation.objects.get()
    assert conv.step == "" and conv.data == {}
    assert "dibatalkan" in graph_api.texts()[-1].lower()
    assert ServiceRequest.objects.count() == 0


def test_unknown_input_asks_again_with_help(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(client, wa.text("wamid.1", "Halo"), wa.text("wamid.2", "zzz"))
    assert Conversation.objects.get().step == conversation.SERVICE
    # a hint, then the list again, in one message
    assert graph_api.messages[-1]["interactive"]["type"] == "list"
    assert "pilih jenis laporan dari daftar" in graph_api.texts()[-1].lower()
    _talk(client, wa.list_reply("wamid.3", "svc:knalpot_brong"))
    _talk(client, wa.image("wamid.4"))  # a photo where the place is asked
    assert Conversation.objects.get().step == conversation.PLACE
    assert "desa" in graph_api.texts()[-1].lower()


def test_the_service_list_pages_and_holds_sensitive_services(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    _talk(client, wa.text("wamid.1", "Halo"))
    rows = graph_api.messages[-1]["interactive"]["action"]["sections"]
    ids = [r["id"] for s in rows for r in s["rows"]]
    assert ids[-1] == "more:1"
    _talk(client, wa.list_reply("wamid.2", "more:1"))
    rows = graph_api.messages[-1]["interactive"]["action"]["sections"]
    later = [r["id"] for s in rows for r in s["rows"]]
    shown = set(ids + later)
    active = {f"svc:{s.code}" for s in Service.objects.filter(is_active=True)}
    assert active <= shown
    assert "svc:kdrt" in shown


def test_an_inactive_service_is_not_offered(client: Any, graph_api: wa.FakeGraph) -> None:
    Service.objects.filter(code="judi").update(is_active=False)
    assert "judi" not in {s.code for s in conversation.catalogue()}
    _talk(client, wa.text("wamid.1", "Halo"), wa.list_reply("wamid.2", "svc:judi"))
    assert Conversation.objects.get().step == conversation.SERVICE


def test_a_typed_village_name_with_several_matches_asks_which(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    pandean = list(Territory.objects.filter(name="Pandean", code__startswith="35.03."))
    assert len(pandean) >= 2
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "desa pandean"),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.VILLAGE
    choice = graph_api.messages[-1]["interactive"]
    rows = [r for s in choice["action"]["sections"] for r in s["rows"]]
    assert {r["id"] for r in rows} == {f"vil:{v.code}" for v in pandean}
    named = {f"vil:{v.code}": f"{v.display_name}, Kecamatan " for v in pandean}
    assert all(r["description"].startswith(named[r["id"]]) for r in rows)
    _talk(client, wa.list_reply("wamid.4", f"vil:{pandean[1].code}"))
    conv.refresh_from_db()
    assert conv.step == conversation.DESCRIPTION
    assert conv.data["village"] == pandean[1].code


def test_a_unique_village_name_is_taken_and_an_unknown_one_asks_again(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "Atlantis"),
    )
    assert Conversation.objects.get().step == conversation.PLACE
    assert "Atlantis" in graph_api.texts()[-1]
    _talk(client, wa.text("wamid.4", "Tamanan"))
    conv = Conversation.objects.get()
    assert conv.step == conversation.DESCRIPTION and conv.data["village"] == TAMANAN


def test_a_location_far_from_any_village_asks_for_the_name(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.location("wamid.3", -6.2, 106.8),  # Jakarta
    )
    assert Conversation.objects.get().step == conversation.PLACE
    assert "nama desa" in graph_api.texts()[-1].lower()


def test_required_questions_are_asked_and_answered(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:pencurian"),
        wa.text("wamid.3", "Tamanan"),
        wa.text("wamid.4", "Sepeda di teras rumah hilang tadi malam."),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.QUESTION and conv.data["question"] == "barang"
    _talk(client, wa.text("wamid.5", "Sepeda gunung warna biru"))
    assert Conversation.objects.get().step == conversation.PHOTO
    photo_prompt = graph_api.messages[-1]["interactive"]
    assert photo_prompt["type"] == "button"
    assert photo_prompt["action"]["buttons"][0]["reply"]["id"] == "skip"
    _talk(client, wa.button_reply("wamid.6", "skip"), wa.button_reply("wamid.7", "send"))
    report = ServiceRequest.objects.get()
    assert report.answers == {"barang": "Sepeda gunung warna biru"}
    assert report.photos.count() == 0
    assert report.latitude is None


def test_a_single_choice_question_uses_the_list(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:balap_liar"),
        wa.text("wamid.3", "Tamanan"),
        wa.text("wamid.4", "Balap liar di jalan raya tiap malam minggu."),
    )
    asked = graph_api.messages[-1]["interactive"]
    ids = [r["id"] for s in asked.get("action", {}).get("sections", []) for r in s["rows"]] or [
        b["reply"]["id"] for b in asked["action"].get("buttons", [])
    ]
    assert ids and all(i.startswith("ans:") for i in ids)
    _talk(client, wa.text("wamid.5", "bukan pilihan"))
    assert Conversation.objects.get().step == conversation.QUESTION
    _talk(client, wa.list_reply("wamid.6", ids[0]))
    conv = Conversation.objects.get()
    assert conv.data["answers"]["waktu"] == ids[0][4:]


def test_a_photo_that_is_not_a_picture_is_refused_and_asked_again(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    graph_api.media = b"%PDF-1.4 not a picture"
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "Tamanan"),
        wa.text("wamid.4", "Knalpot brong tiap malam di depan balai desa."),
        wa.image("wamid.5"),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.PHOTO and not conv.photo
    assert any("JPEG" in t for t in graph_api.texts()[-2:])


def test_a_photo_with_a_caption_gives_the_description(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "Tamanan"),
        wa.image("wamid.4", caption="Motor knalpot brong parkir di sini tiap malam."),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.CONFIRM
    assert conv.photo
    assert conv.data["description"].startswith("Motor knalpot brong")


def test_a_stale_conversation_starts_afresh(
    client: Any, graph_api: wa.FakeGraph, settings: Any
) -> None:
    _talk(client, wa.text("wamid.1", "Halo"), wa.list_reply("wamid.2", "svc:knalpot_brong"))
    Conversation.objects.update(last_inbound_at=timezone.now() - datetime.timedelta(hours=3))
    _talk(client, wa.text("wamid.3", "Tamanan"))
    conv = Conversation.objects.get()
    assert conv.step == conversation.SERVICE and "service" not in conv.data


def test_a_sensitive_report_is_filed_but_never_public(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:kdrt"),
        wa.text("wamid.3", "Tamanan"),
        wa.text("wamid.4", "Tetangga sering memukul istrinya, terdengar tiap malam."),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.QUESTION
    asked = graph_api.messages[-1]["interactive"]
    first = (
        asked["action"]["buttons"][0]["reply"]["id"]
        if asked["type"] == "button"
        else asked["action"]["sections"][0]["rows"][0]["id"]
    )
    _talk(client, wa.button_reply("wamid.5", first), wa.button_reply("wamid.6", "skip"))
    _talk(client, wa.button_reply("wamid.7", "send"))
    report = ServiceRequest.objects.get()
    assert report.service.sensitive
    assert not ServiceRequest.objects.publishable().filter(pk=report.pk).exists()
    assert client.get(f"/layanan/lacak/{report.ticket}/").status_code == 404


def test_the_phone_is_personal_data(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(client, wa.text("wamid.1", "Halo"))
    conv = Conversation.objects.get()
    assert snapshot(conv)["phone"] == "***"
    assert not any(
        wa.SENDER in key for key in InboundMessage.objects.values_list("message_id", flat=True)
    )


def test_purge_deletes_idle_conversations_and_old_ids(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(client, wa.text("wamid.1", "Halo"))
    assert conversation.purge() == (0, 0)
    later = timezone.now() + datetime.timedelta(days=8)
    assert conversation.purge(later) == (1, 1)
    assert _stored() == (0, 0, 0)


def test_a_sender_over_the_message_limit_is_ignored(
    client: Any, graph_api: wa.FakeGraph, settings: Any
) -> None:
    settings.PUBLIC_RATE_LIMIT = 1  # 5 messages per window
    for i in range(7):
        _talk(client, wa.text(f"wamid.{i}", "zzz"))
    assert len(graph_api.messages) <= 5 * 2


# ----------------------------------------------------------------------------- status updates


def _filed(client: Any) -> ServiceRequest:
    _full_conversation(client)
    return ServiceRequest.objects.get()


def test_a_status_change_is_sent_on_whatsapp(
    client: Any, graph_api: wa.FakeGraph, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = _filed(client)
    assert gateway_path("whatsapp").endswith("WhatsAppCloudGateway")
    before = len(graph_api.messages)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Sedang dicek.")
    sent = graph_api.messages[before:]
    assert len(sent) == 1
    assert sent[0]["type"] == "text" and sent[0]["to"] == wa.SENDER
    assert report.ticket in sent[0]["text"]["body"]
    assert "Sedang dicek." in sent[0]["text"]["body"]


def test_outside_the_24_hour_window_the_template_is_used(
    client: Any,
    graph_api: wa.FakeGraph,
    bob: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _filed(client)
    Conversation.objects.update(last_inbound_at=timezone.now() - datetime.timedelta(hours=25))
    settings.WHATSAPP_STATUS_TEMPLATE = "jaga_kabar_laporan"
    before = len(graph_api.messages)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Sedang dicek.")
    (sent,) = graph_api.messages[before:]
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "jaga_kabar_laporan"
    assert sent["template"]["language"] == {"code": "id"}
    parameter = sent["template"]["components"][0]["parameters"][0]["text"]
    assert report.ticket in parameter and "\n" not in parameter


def test_outside_the_window_without_a_template_nothing_is_sent_and_the_change_stands(
    client: Any,
    graph_api: wa.FakeGraph,
    bob: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    report = _filed(client)
    Conversation.objects.all().delete()
    before = len(graph_api.messages)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Sedang dicek.")
    assert graph_api.messages[before:] == []
    report.refresh_from_db()
    assert report.status == Status.TRIAGED
    assert "24-hour" in caplog.text


def test_graph_errors_are_retried_then_logged_without_failing_the_change(
    client: Any,
    graph_api: wa.FakeGraph,
    bob: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _filed(client)
    before = len(graph_api.sent)
    graph_api.fail = [503, 500]  # two failures, then it goes through
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Satu.")
    assert len(graph_api.sent) - before == 3
    assert graph_api.messages[-1]["text"]["body"].count("Satu.") == 1
    before = len(graph_api.sent)
    graph_api.fail = [400]  # refused: not retried
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.REJECTED, actor=bob, note="Bukan kasus.")
    report.refresh_from_db()
    assert len(graph_api.sent) - before <= 1


def test_reports_of_other_channels_still_use_the_message_gateway(
    file_report: Any,
    village_a: Any,
    bob: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wa.configure(settings)
    report = file_report(village_a, anonymous=False, phone="081234567890")
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob)
    assert [to for to, _text in LoggingGateway.sent] == ["081234567890"]


def test_graph_payload_shapes_follow_meta() -> None:
    listing = graph.list_payload(
        "Pilih", "Pilih layanan", [("Kamtibmas dan ketertiban umum", [("a", "x" * 30, "y" * 80)])]
    )
    section = listing["interactive"]["action"]["sections"][0]
    assert len(section["title"]) <= 24
    assert len(section["rows"][0]["title"]) <= 24 and len(section["rows"][0]["description"]) <= 72
    buttons = graph.buttons_payload("Kirim?", [("send", "Kirim sekarang juga ya pak")])
    assert len(buttons["interactive"]["action"]["buttons"][0]["reply"]["title"]) <= 20
    assert graph.text_payload("a" * 5000)["text"]["body"].__len__() <= 4096
    assert graph.normalise_phone("0812-3456-789") == "+628123456789"
    assert graph.normalise_phone("+62 812 3456 789") == "+628123456789"


def test_media_urls_must_be_https(monkeypatch: Any, settings: Any) -> None:
    wa.configure(settings)

    class Opener:
        def open(self, request: Any, timeout: float = 0) -> Any:
            return wa._Answer(json.dumps({"url": "file:///etc/passwd"}).encode())

    monkeypatch.setattr(graph, "OPENER", Opener())
    with pytest.raises(graph.GraphError):
        graph.download_media("1", limit=1000)


def test_the_clean_photo_keeps_no_metadata() -> None:
    with Image.open(io.BytesIO(wa.photo_bytes())) as original:
        assert 0x010F in original.getexif()
    assert ChatChannel.WHATSAPP == Channel.WHATSAPP


def test_a_photo_before_the_description_is_kept(client: Any, graph_api: wa.FakeGraph) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", "Tamanan"),
        wa.image("wamid.4"),
    )
    conv = Conversation.objects.get()
    assert conv.step == conversation.DESCRIPTION and conv.photo
    assert "Foto diterima" in graph_api.texts()[-1]
    _talk(client, wa.text("wamid.5", "Knalpot brong tiap malam di depan balai desa."))
    assert Conversation.objects.get().step == conversation.CONFIRM  # no second photo question
    _talk(client, wa.button_reply("wamid.6", "send"))
    assert ServiceRequest.objects.get().photos.count() == 1


def test_berhenti_stops_the_senders_village_news_in_one_reply(
    client: Any, graph_api: wa.FakeGraph
) -> None:
    """A resident following village news by WhatsApp stops it by replying BERHENTI: the number
    is WhatsApp's own, so the reply is the one tap (the link's page needs a second one, against
    link previewers). Only the sender's subscriptions stop; "batal" does not stop them; in a
    report under way BERHENTI cancels the report and leaves the news alone."""
    from jaga.notifications.models import Subscription, SubscriptionChannel

    def follow(code: str, address: str) -> Subscription:
        return Subscription.objects.create(
            village=Territory.objects.get(code=code),
            channel=SubscriptionChannel.WHATSAPP,
            address=address,
            token=f"t{code}{address}",
            confirmed_at=timezone.now(),
        )

    mine = follow(TAMANAN, "+" + wa.SENDER)
    neighbour = follow(TAMANAN, "+6281299990000")
    _talk(client, wa.text("wamid.1", "Halo"), wa.text("wamid.2", "Berhenti"))
    mine.refresh_from_db()
    assert mine.active  # a report was under way: cancelled, news unchanged
    assert "dibatalkan" in graph_api.texts()[-1].lower()
    _talk(client, wa.text("wamid.3", "batal"))
    mine.refresh_from_db()
    assert mine.active and "tidak ada" in graph_api.texts()[-1].lower()
    _talk(client, wa.text("wamid.4", "BERHENTI."))
    mine.refresh_from_db()
    neighbour.refresh_from_db()
    assert not mine.active and neighbour.active
    answer = graph_api.texts()[-1]
    assert "tidak akan lagi menerima kabar Kelurahan Tamanan, Kecamatan" in answer
    assert "/notifikasi/ikuti/" in answer
    assert Conversation.objects.get().step == ""  # no report started
    _talk(client, wa.text("wamid.5", "berhenti"))  # again: nothing left to stop
    assert "tidak ada" in graph_api.texts()[-1].lower()
