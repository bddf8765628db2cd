"""A village ended by a pemekaran takes the adoptions and activities dated before its end, from
the API and the pages as from the imports (`EndedVillages`); a later one is refused with the
villages that replaced it, in the user's language, and nothing changes."""

from __future__ import annotations

import datetime

import pytest

from jaga.core.errors import DomainError
from jaga.programs import services
from jaga.programs.models import Activity, ProgrammeAdoption
from tests.conftest import SPLIT_OFF, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db

INDONESIAN = f"({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)"
ENGLISH = f"({VILLAGE_A}) ended on 1 June 2024 (pemekaran)"


def _adopt(client, village: str, day: str, **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/programmes/FKPM/adoptions",
        {"village_code": village, "adopted_on": day},
        content_type="application/json",
        **headers,
    )


def test_an_adoption_from_the_end_on_is_refused_through_the_api(
    programme, ended_village, bob_client
):
    late = _adopt(bob_client, VILLAGE_A, "2024-06-01")
    assert late.status_code == 400 and late.json()["code"] == "village_ended"
    message = late.json()["message"]
    assert INDONESIAN in message and f"Tamanan Baru ({SPLIT_OFF})" in message
    assert f"({VILLAGE_B})" in message
    english = _adopt(bob_client, VILLAGE_A, "2024-07-01", HTTP_ACCEPT_LANGUAGE="en")
    assert ENGLISH in english.json()["message"]
    assert not ProgrammeAdoption.objects.exists()
    # Its history: an adoption before the end is the ended village's own.
    assert _adopt(bob_client, VILLAGE_A, "2024-05-31").status_code == 201
    assert _adopt(bob_client, SPLIT_OFF, "2024-06-01").status_code == 201


def _activity(client, village: str, starts_at: str, **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/programmes/activities",
        {
            "programme_code": "FKPM",
            "kind": "meeting",
            "title": "Rapat FKPM",
            "starts_at": starts_at,
            "village_code": village,
        },
        content_type="application/json",
        **headers,
    )


def test_an_activity_from_the_end_on_is_refused_through_the_api_and_the_page(
    programme, ended_village, bob_client, satbinmas
):
    late = _activity(bob_client, VILLAGE_A, "2024-06-01T09:00:00+07:00")
    assert late.status_code == 400 and late.json()["code"] == "village_ended"
    assert INDONESIAN in late.json()["message"]
    form = {
        "programme": "FKPM",
        "kind": "meeting",
        "title": "Rapat FKPM Tamanan",
        "starts_at": "2024-06-03T09:00",
        "village_code": VILLAGE_A,
        "place": "Balai Kelurahan",
        "grace_minutes": "15",
        "checkin_opens_minutes": "45",
        "checkin_closes_minutes": "90",
    }
    bob_client.cookies["django_language"] = "en"
    page = bob_client.post("/program/kegiatan/baru/", form)
    assert page.status_code == 200
    body = page.content.decode()
    assert ENGLISH in body and "Rapat FKPM Tamanan" in body and "Balai Kelurahan" in body
    assert not Activity.objects.exists()
    # Before the end: the ended village's own activity, by its code or by its name.
    early = bob_client.post("/program/kegiatan/baru/", {**form, "starts_at": "2024-05-31T09:00"})
    assert early.status_code == 302
    by_name = {**form, "village_code": "Tamanan", "starts_at": "2024-05-30T09:00"}
    assert bob_client.post("/program/kegiatan/baru/", by_name).status_code == 302
    assert Activity.objects.filter(village=ended_village).count() == 2
    # Moving one past the end is refused too; the activity stays as it was.
    activity = Activity.objects.filter(village=ended_village).first()
    assert activity is not None
    with pytest.raises(DomainError):
        services.update_activity(
            activity, actor=satbinmas, starts_at=activity.starts_at + datetime.timedelta(days=7)
        )
    services.update_activity(activity, actor=satbinmas, title="Rapat FKPM (koreksi)")
    activity.refresh_from_db()
    assert activity.title == "Rapat FKPM (koreksi)" and activity.village_id == ended_village.pk
