"""Field records are dated: a village ended by a pemekaran takes those dated before its end (its
history, typed in late) and refuses later ones, naming the villages that replaced it, through
the API as through the services; nothing is written."""

from __future__ import annotations

import datetime
import json

import pytest

from jaga.core.errors import DomainError
from jaga.fieldwork.models import EarlyDetection, Operation, ProblemCase, Visit
from tests.conftest import SPLIT_OFF, VILLAGE_A, VILLAGE_B
from tests.fieldwork.test_services import _case, _detection

pytestmark = pytest.mark.django_db

VISIT = {
    "village_code": VILLAGE_A,
    "visited_on": "2024-06-01",
    "household_head": "Pak Slamet",
    "members_met": 2,
    "topic": "security",
    "concerns": "Pencurian ternak",
}
AFTER = datetime.datetime(2024, 6, 2, 20, 0, tzinfo=datetime.UTC)
NOT_YOURS_YET = "Belum ada satu pun yang masuk wilayah tugas Anda"


def _post(client, body, **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/fieldwork/visits", json.dumps(body), content_type="application/json", **headers
    )


def test_a_visit_from_the_end_on_is_refused_and_one_before_is_taken(ended_village, alice_client):
    late = _post(alice_client, VISIT)
    assert late.status_code == 400 and late.json()["code"] == "village_ended"
    message = late.json()["message"]
    assert f"Kelurahan Tamanan ({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)" in message
    assert f"Tamanan Baru ({SPLIT_OFF})" in message and f"({VILLAGE_B})" in message
    english = _post(alice_client, VISIT, HTTP_ACCEPT_LANGUAGE="en")
    assert f"({VILLAGE_A}) ended on 1 June 2024 (pemekaran)" in english.json()["message"]
    assert not Visit.objects.exists()
    assert _post(alice_client, {**VISIT, "visited_on": "2024-05-31"}).status_code == 201


def test_detections_cases_and_operations_from_the_end_on_are_refused(
    ended_village, alice, make_operation
):
    with pytest.raises(DomainError) as err:
        _detection(alice, ended_village, observed_at=AFTER)
    assert err.value.code == "village_ended"
    with pytest.raises(DomainError):
        _case(alice, ended_village, opened_on=datetime.date(2024, 6, 1))
    with pytest.raises(DomainError):
        make_operation(village=ended_village, started_at=AFTER)
    assert not EarlyDetection.objects.exists()
    assert not ProblemCase.objects.exists() and not Operation.objects.exists()
    _case(alice, ended_village, opened_on=datetime.date(2024, 5, 31))
    assert ProblemCase.objects.get().village_id == ended_village.pk


def test_the_pages_take_a_late_record_of_an_ended_village_and_keep_a_refused_one(
    ended_village, alice_client, bob_client, tbkb
):
    """The forms offer a village a pemekaran ended (marked so) for the records dated before its
    end, typed in late; a later date is refused with the rule's message, the form as typed."""
    from django.urls import reverse

    from jaga.incidents.models import Category

    page = alice_client.get(reverse("fieldwork:visit_new")).content.decode()
    assert f'<option value="{ended_village.pk}">Tamanan, Kec. Trenggalek · berakhir pada ' in page
    visit = {
        "village": ended_village.pk,
        "visited_on": "2024-06-01",
        "household_head": "Pak Slamet",
        "members_met": 2,
        "topic": "security",
        "concerns": "Pencurian ternak",
    }
    refused = alice_client.post(reverse("fieldwork:visit_new"), visit)
    assert refused.status_code == 200 and not Visit.objects.exists()
    body = refused.content.decode()
    assert f"Kelurahan Tamanan ({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)" in body
    assert "Pencurian ternak" in body and 'value="2024-06-01"' in body
    # Alice is posted to the ended village only: the villages that replaced it are not hers yet,
    # and she is told who can change that.
    assert f"{NOT_YOURS_YET}: minta admin Polres menempatkan Anda di sana." in body
    assert f'<option value="{ended_village.pk}" selected>' in body
    late = alice_client.post(reverse("fieldwork:visit_new"), {**visit, "visited_on": "2024-05-31"})
    assert late.status_code == 302 and Visit.objects.get().village_id == ended_village.pk
    detection = {
        "village": ended_village.pk,
        "observed_at": "2024-05-31T21:00",
        "information": "Ada balap liar tiap malam Minggu",
        "source_kind": "resident",
        "urgency": "low",
        "frequency": "once",
        "topic": "security",
    }
    assert alice_client.post(reverse("fieldwork:detection_new"), detection).status_code == 302
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    case = {
        "village": ended_village.pk,
        "title": "Sengketa batas",
        "kind": "dispute",
        "party_one": "Pak Darmo",
        "party_two": "Bu Warsi",
        "opened_on": "2024-05-31",
        "problem": "Batas tanah",
        "categories": [category.pk],
    }
    assert alice_client.post(reverse("fieldwork:case_new"), case).status_code == 302
    operation = {
        "programme": tbkb.pk,
        "village": ended_village.pk,
        "started_at": "2024-06-01T21:00",
        "place": "Jl. Soekarno-Hatta",
        "team_size": 6,
        "vehicles_checked": 80,
        "people_checked": 95,
    }
    refused = bob_client.post(reverse("fieldwork:operation_new"), operation)
    assert refused.status_code == 200 and "Jl. Soekarno-Hatta" in refused.content.decode()
    assert NOT_YOURS_YET not in refused.content.decode()  # the Polsek's area holds both
    assert not Operation.objects.exists()
    early = {**operation, "started_at": "2024-05-31T21:00"}
    assert bob_client.post(reverse("fieldwork:operation_new"), early).status_code == 302
    assert EarlyDetection.objects.get().village_id == ended_village.pk
    assert ProblemCase.objects.get().village_id == ended_village.pk
    assert Operation.objects.get().village_id == ended_village.pk
