"""A resident's report names today's place. A village a pemekaran ended is not guessed into one
of the villages that replaced it (which part of a split is the resident's is theirs to say):

- the API and the web form refuse it and name the villages that replaced it, in the caller's
  language; nothing is filed;
- on WhatsApp, the old name is understood: one village replaced it (a merge), the report goes
  there and the resident is told so; several (a split), the resident chooses among them.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import Client

from jaga.servicedesk.chat import conversation
from jaga.servicedesk.models import Conversation, ServiceRequest
from jaga.territory.pemekaran import merge_villages
from tests.conftest import SPLIT_OFF, VILLAGE_A, VILLAGE_B
from tests.servicedesk import whatsapp_replay as wa
from tests.servicedesk.test_whatsapp import _talk, graph_api  # noqa: F401

API = "/api/v1/servicedesk/requests"
BODY = {
    "service_code": "knalpot_brong",
    "village_code": VILLAGE_A,
    "description": "Knalpot brong tiap malam.",
    "anonymous": True,
}


def _post(client: Client, **headers: Any) -> Any:
    return client.post(API, json.dumps(BODY), content_type="application/json", **headers)


def test_the_api_refuses_an_ended_village_and_names_the_villages_that_replaced_it(
    client: Client, units: dict, ended_village: Any
) -> None:
    refused = _post(client)
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "village_retired"
    assert body["replaced_by"] == [VILLAGE_B, SPLIT_OFF]
    assert "Kelurahan Tamanan sudah tidak ada (pemekaran pada 1 Juni 2024)" in body["message"]
    assert f"Tamanan Baru ({SPLIT_OFF})" in body["message"]
    english = _post(client, HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert english.startswith("Kelurahan Tamanan no longer exists (pemekaran on 1 June 2024); ")
    assert f"choose one of the villages that replaced it: Desa Ngares ({VILLAGE_B})" in english
    assert not ServiceRequest.objects.exists()


def _ask(client: Client, place: str) -> None:
    _talk(
        client,
        wa.text("wamid.1", "Halo"),
        wa.list_reply("wamid.2", "svc:knalpot_brong"),
        wa.text("wamid.3", place),
    )


def test_on_whatsapp_the_old_name_of_a_split_village_asks_which_part(
    client: Client,
    graph_api: wa.FakeGraph,  # noqa: F811 (the fixture imported above)
    ended_village: Any,
) -> None:
    _ask(client, "Tamanan")  # not taken for "Tamanan Baru", which merely contains the name
    conv = Conversation.objects.get()
    assert conv.step == conversation.VILLAGE
    choice = graph_api.messages[-1]["interactive"]
    assert choice["body"]["text"] == (
        "Kelurahan Tamanan sudah dimekarkan (pemekaran) menjadi Desa Ngares, Kecamatan Trenggalek; "
        "Desa Tamanan Baru, Kecamatan Trenggalek. Yang mana?"
    )
    assert choice["action"]["button"] == "Pilih desa/kelurahan"
    rows = [r for s in choice["action"]["sections"] for r in s["rows"]]
    assert {r["id"] for r in rows} == {f"vil:{VILLAGE_B}", f"vil:{SPLIT_OFF}"}
    _talk(client, wa.list_reply("wamid.4", f"vil:{SPLIT_OFF}"))
    conv.refresh_from_db()
    assert conv.step == conversation.DESCRIPTION and conv.data["village"] == SPLIT_OFF


def test_on_whatsapp_the_old_name_of_a_merged_village_is_its_successor(
    client: Client,
    graph_api: wa.FakeGraph,  # noqa: F811 (the fixture imported above)
    admin_user: Any,
) -> None:
    merge_villages([VILLAGE_A, VILLAGE_B], VILLAGE_B, datetime.date(2024, 6, 1), actor=admin_user)
    _ask(client, "kelurahan tamanan")
    conv = Conversation.objects.get()
    assert conv.step == conversation.DESCRIPTION and conv.data["village"] == VILLAGE_B
    assert any("kini menjadi bagian dari Desa Ngares" in t for t in graph_api.texts())


def test_a_web_report_posted_after_its_village_ended_keeps_what_was_written(
    client: Client, units: dict, ended_village: Any
) -> None:
    """The form was opened for the village before the pemekaran and posted after: the form comes
    back with the text, the refusal naming the villages that replaced it and a choice among
    them; nothing is filed. Sent again with one of them, the report is filed there."""
    form = {
        "desa": VILLAGE_A,
        "description": "Knalpot brong tiap malam di depan balai desa.",
        "anonymous": "on",
        "idempotency_key": "k-ended-1",
    }
    again = client.post("/layanan/lapor/knalpot_brong/", form)
    assert again.status_code == 400 and not ServiceRequest.objects.exists()
    page = again.content.decode()
    assert "Knalpot brong tiap malam di depan balai desa." in page
    assert "Kelurahan Tamanan sudah tidak ada (pemekaran pada 1 Juni 2024)" in page
    assert f"pilih penggantinya: Desa Ngares ({VILLAGE_B}), Desa Tamanan Baru ({SPLIT_OFF})" in page
    assert f'<option value="{SPLIT_OFF}">' in page and f'<option value="{VILLAGE_B}">' in page
    # No successor is chosen for the resident: the choice starts empty and is required.
    assert '<select name="desa" id="id_desa" required><option value="">— pilih —</option>' in page
    filed = client.post("/layanan/lapor/knalpot_brong/", {**form, "desa": SPLIT_OFF})
    assert filed.status_code == 302
    assert ServiceRequest.objects.get().village.code == SPLIT_OFF
