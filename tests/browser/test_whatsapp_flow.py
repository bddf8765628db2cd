"""A resident reports by WhatsApp (Meta's webhook deliveries replayed over HTTP against the live
server, the Graph API replies recorded), then a Kapolsek opens the new report from the desk queue
in the browser: the ticket the resident was given, the channel, the place and the description;
the Kapolsek's status change goes back to the resident on WhatsApp."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from jaga.servicedesk.chat import graph
from jaga.servicedesk.models import Channel, ServiceRequest
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
from tests.browser.conftest import goto, login, shot
from tests.servicedesk import whatsapp_replay as wa

TAMANAN = "35.03.11.1002"


@pytest.fixture
def whatsapp(settings: Any, monkeypatch: Any, live_db: None) -> wa.FakeGraph:
    wa.configure(settings)
    fake = wa.FakeGraph()
    monkeypatch.setattr(graph, "OPENER", fake)
    monkeypatch.setattr(graph, "SLEEP", lambda _seconds: None)
    polres = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLRES, name="Polres Trenggalek", code="polres-t"
    )
    polres.territories.add(Territory.objects.get(code="35.03"))
    polsek = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="polsek-t", parent=polres
    )
    polsek.territories.add(Territory.objects.get(code="35.03.11"))
    return fake


def _deliver(base_url: str, message: dict[str, Any]) -> None:
    body = json.dumps(wa.envelope([message])).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        base_url + wa.URL,
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": wa.sign(body)},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 200


def test_a_whatsapp_report_reaches_the_desk(
    whatsapp: wa.FakeGraph, base_url: str, desktop_page: Any, bob: Any
) -> None:
    for message in [
        wa.text("wamid.b1", "Assalamualaikum, mau lapor"),
        wa.list_reply("wamid.b2", "svc:knalpot_brong", "Knalpot brong"),
        wa.text("wamid.b3", "Tamanan"),
        wa.text("wamid.b4", "Knalpot brong kumpul tiap malam di depan balai kelurahan."),
        wa.image("wamid.b5"),
        wa.button_reply("wamid.b6", "send", "Kirim"),
    ]:
        _deliver(base_url, message)
    report = ServiceRequest.objects.get()
    assert report.channel == Channel.WHATSAPP
    answer = whatsapp.texts()[-1]
    assert report.ticket in answer and "Kode lacak" in answer

    login(desktop_page, bob)
    goto(desktop_page, "/layanan/")
    link = desktop_page.locator(f"a:has-text('{report.ticket}')").first
    link.click()
    desktop_page.wait_for_url(re.compile(rf".*/layanan/tiket/{report.ticket}/$"))
    text = desktop_page.locator("main").inner_text()
    assert "Percakapan WhatsApp" in text
    assert "Tamanan" in text
    assert "Knalpot brong kumpul tiap malam" in text
    assert desktop_page.locator("img[src*='/foto/']").count() == 1
    shot(desktop_page, "desk-laporan-whatsapp")

    before = len(whatsapp.messages)
    form = desktop_page.locator("form", has=desktop_page.locator("select[name=status]")).first
    form.locator("textarea").fill("Patroli malam ini ke depan balai kelurahan.")
    form.locator("button[type=submit]").click()
    desktop_page.wait_for_load_state()
    (news,) = whatsapp.messages[before:]
    assert news["to"] == wa.SENDER and news["type"] == "text"
    assert report.ticket in news["text"]["body"]
    assert "Patroli malam ini" in news["text"]["body"]
