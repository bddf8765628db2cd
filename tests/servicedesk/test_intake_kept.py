"""The intake's lookups kept per process (jaga.core.versioned): a change of the catalogue, the
villages, the police units or the webhook endpoints is seen by the very next report."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jaga.core import versioned
from jaga.servicedesk.models import Service, ServiceQuestion, ServiceRequest
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
from jaga.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

BODY = {
    "service_code": "knalpot_brong",
    "village_code": "35.03.11.1002",
    "description": "Knalpot brong tiap malam.",
    "name": "Warga",
    "phone": "081234567890",
    "answers": {"waktu": "malam"},
}


def post(client: Client, **changes: Any) -> Any:
    return client.post(
        "/api/v1/servicedesk/requests",
        json.dumps({**BODY, **changes}),
        content_type="application/json",
    )


def test_a_changed_service_or_question_is_seen_by_the_next_report(
    client: Client, units: dict
) -> None:
    assert post(client).status_code == 201
    ServiceQuestion.objects.create(
        service=Service.objects.get(code="knalpot_brong"),
        code="plat",
        prompt_id="Nomor polisi?",
        prompt_en="Plate?",
        datatype="text",
        required=True,
    )
    refused = post(client)
    assert refused.status_code == 400, refused.content
    assert "Nomor polisi" in refused.json()["message"] or "Plate" in refused.json()["message"]
    assert post(client, answers={"waktu": "malam", "plat": "AG 1234 XY"}).status_code == 201
    Service.objects.filter(code="knalpot_brong").update(is_active=False)
    assert post(client).json()["code"] == "unknown_service"


def test_a_retired_village_and_a_moved_polsek_are_seen_by_the_next_report(
    client: Client, units: dict, district_c: Territory
) -> None:
    first = post(client)
    assert ServiceRequest.objects.get(ticket=first.json()["ticket"]).unit == units["ab"]
    # The district passes to another Polsek: the next report goes there.
    units["ab"].territories.clear()
    units["c"].territories.add(Territory.objects.get(code="35.03.11"))
    moved = post(client, description="Knalpot brong lagi.")
    assert ServiceRequest.objects.get(ticket=moved.json()["ticket"]).unit == units["c"]
    Territory.objects.filter(code="35.03.11.1002").update(valid_to=datetime.date(2020, 1, 1))
    assert post(client, description="Dan lagi.").json()["code"] == "village_retired"


def test_a_new_webhook_endpoint_gets_the_next_report(
    client: Client, units: dict, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client).status_code == 201
    assert not Delivery.objects.exists()
    Endpoint.objects.create(
        name="Dasbor",
        url="https://example.org/hook",
        secret="s3cret-for-the-receiving-system-xyz",
        events=["report.created"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, description="Knalpot brong lagi.").status_code == 201
    assert Delivery.objects.count() == 1


def test_what_is_kept_is_read_again_only_when_a_version_moves(units: dict) -> None:
    reads: list[str] = []

    def read(code: str) -> PoliceUnit | None:
        reads.append(code)
        return PoliceUnit.objects.filter(territories__code=code).first()

    kept = versioned.Versioned(PoliceUnit, ("police_unit", "territory"), read)
    assert kept("35.03.11") == units["ab"]
    with CaptureQueriesContext(connection) as again:
        assert kept("35.03.11") == units["ab"]
    assert reads == ["35.03.11"]
    assert len(again) == 1 and "analytics_dataversion" in again.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as together, versioned.shared():
        kept("35.03.11")
        kept("35.03.11")
    assert len(together) == 1  # one read of the versions for the block
    PoliceUnit.objects.filter(pk=units["ab"].pk).update(name="Polsek Kota")
    assert kept("35.03.11").name == "Polsek Kota"
    assert reads == ["35.03.11", "35.03.11"]
    assert kept("35.03.02") == units["c"]  # another value: read
    assert reads == ["35.03.11", "35.03.11", "35.03.02"]
    Territory.objects.filter(code="35.03.02").update(name="Munjungan Baru")
    kept("35.03.02")
    assert reads[-1] == "35.03.02" and len(reads) == 4


def test_every_kept_table_has_a_version() -> None:
    names = {"territory", "service", "police_unit", "webhook"}
    assert names <= set(versioned.read_versions("default"))
    before = versioned.read_versions("default")
    PoliceUnit.objects.create(kind=PoliceUnitKind.POLSEK, name="Polsek Baru", code="polsek-baru")
    Endpoint.objects.create(name="X", url="https://example.org/x", secret="x" * 24, events=[])
    Service.objects.filter(code="knalpot_brong").update(sla_hours=48)
    after = versioned.read_versions("default")
    assert all(after[name] != before[name] for name in ("police_unit", "webhook", "service"))
    assert after["territory"] == before["territory"]
