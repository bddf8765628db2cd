"""The check-in window of an activity, the desk's scanner answers, and the invitation lists."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from jaga.core.errors import DomainError
from jaga.programs import services
from jaga.programs.models import Activity

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2024, 3, 5, 9, 0))
MINUTE = datetime.timedelta(minutes=1)


def _activity(programme: Any, village: Any, actor: Any, **window: Any) -> Activity:
    return services.record_activity(
        actor=actor,
        programme=programme,
        kind="meeting",
        title="Rapat",
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=2),
        village=village,
        **window,
    )


def test_the_window_opens_and_closes_as_the_activity_says(
    programme, village_a, person_a, resident_a, satbinmas
):
    activity = _activity(
        programme, village_a, satbinmas, checkin_opens_minutes=30, checkin_closes_minutes=60
    )
    early = services.invite(activity, actor=satbinmas, person=person_a)
    with pytest.raises(DomainError) as before:
        services.check_in(early.code, actor=satbinmas, at=START - 31 * MINUTE)
    assert before.value.code == "checkin_not_open"
    assert "30" in str(before.value.message)
    found, already = services.check_in(early.code, actor=satbinmas, at=START - 30 * MINUTE)
    assert (found.status, already) == ("present", False)
    late = services.invite(activity, actor=satbinmas, person=resident_a)
    end = START + datetime.timedelta(hours=2)
    with pytest.raises(DomainError) as after:
        services.check_in(late.code, actor=satbinmas, at=end + 61 * MINUTE)
    assert after.value.code == "checkin_closed"
    found, _ = services.check_in(late.code, actor=satbinmas, at=end + 60 * MINUTE)
    assert found.status == "late"


def test_the_default_window_is_two_hours_before_to_four_after(
    programme, village_a, person_a, satbinmas
):
    activity = _activity(programme, village_a, satbinmas)
    assert (activity.checkin_opens_minutes, activity.checkin_closes_minutes) == (120, 240)
    opens, closes = services.checkin_window(activity)
    assert opens == START - datetime.timedelta(hours=2)
    assert closes == START + datetime.timedelta(hours=6)
    inv = services.invite(activity, actor=satbinmas, person=person_a)
    # Three hours before used to be the only rule; now the activity's two hours hold.
    with pytest.raises(DomainError):
        services.check_in(inv.code, actor=satbinmas, at=START - 121 * MINUTE)


def test_a_window_out_of_bounds_is_refused(programme, village_a, satbinmas):
    for window in ({"checkin_opens_minutes": -1}, {"checkin_closes_minutes": 7 * 24 * 60 + 1}):
        with pytest.raises(DomainError) as err:
            _activity(programme, village_a, satbinmas, **window)
        assert err.value.code == "bad_checkin_window"


def test_the_activity_form_takes_names_and_the_window(bob_client: Client, programme) -> None:
    page = bob_client.get("/program/kegiatan/baru/")
    body = page.content.decode()
    assert 'data-choose="village"' in body and 'name="checkin_opens_minutes"' in body
    form = {
        "programme": programme.code,
        "kind": "meeting",
        "title": "Sambang Tamanan",
        "starts_at": "2024-03-05T09:00",
        "village_code": "Tamanan",
        "area_code": "Kec. Trenggalek",
        "grace_minutes": "15",
        "checkin_opens_minutes": "45",
        "checkin_closes_minutes": "90",
    }
    response = bob_client.post("/program/kegiatan/baru/", form)
    assert response.status_code == 302
    activity = Activity.objects.get(title="Sambang Tamanan")
    assert (activity.village.code, activity.area.code) == ("35.03.11.1002", "35.03.11")
    assert (activity.checkin_opens_minutes, activity.checkin_closes_minutes) == (45, 90)
    refused = bob_client.post("/program/kegiatan/baru/", {**form, "checkin_opens_minutes": "99999"})
    assert refused.status_code == 200
    outside = bob_client.post("/program/kegiatan/baru/", {**form, "village_code": "Munjungan"})
    assert "Munjungan" in outside.content.decode()
    assert Activity.objects.filter(title="Sambang Tamanan").count() == 1


def _options(body: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S)
    assert select is not None, name
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(0)) if v]


def test_the_invitation_form_keeps_its_lists_after_an_invitation(
    bob_client: Client, meeting, person_a, resident_a, fkpm_a, pokdar_ab
) -> None:
    url = f"/program/kegiatan/{meeting.pk}/"
    body = bob_client.get(url).content.decode()
    organisations = _options(body, "organisation_id")
    assert {str(fkpm_a.pk), str(pokdar_ab.pk)} <= set(organisations)
    assert bob_client.post(url, {"person_id": person_a.pk}).status_code == 302
    body = bob_client.get(url).content.decode()
    # Inviting a person left the organisations as they were (NOT IN with a NULL emptied them).
    assert _options(body, "organisation_id") == organisations
    assert _options(body, "person_id") == [str(resident_a.pk)]
    assert bob_client.post(url, {"organisation_id": fkpm_a.pk}).status_code == 302
    body = bob_client.get(url).content.decode()
    assert str(fkpm_a.pk) not in _options(body, "organisation_id")
    assert str(pokdar_ab.pk) in _options(body, "organisation_id")
    assert _options(body, "person_id") == [str(resident_a.pk)]
    assert 'data-choose="select"' in body


def test_the_desk_scanner_gets_a_plain_answer(
    bob_client: Client, meeting, person_a, satbinmas
) -> None:
    inv = services.invite(meeting, actor=satbinmas, person=person_a)
    url = f"/program/kegiatan/{meeting.pk}/meja-hadir/"
    json = {"HTTP_ACCEPT": "application/json"}
    with time_machine.travel(meeting.starts_at + 5 * MINUTE, tick=False):
        first = bob_client.post(url, {"code": inv.code.lower()}, **json).json()
        second = bob_client.post(url, {"code": inv.code}, **json).json()
        unknown = bob_client.post(url, {"code": "NOTACODE0000"}, **json).json()
    assert first["result"] == "done" and first["name"] == "Sutrisno"
    assert second["result"] == "already" and second["name"] == "Sutrisno"
    assert unknown["result"] == "error" and unknown["message"]
    page = bob_client.get(url).content.decode()
    assert "data-scanner" in page and "programs/vendor/jsqr/jsQR.js" in page


def test_a_scan_before_the_window_says_when_it_opens(
    bob_client: Client, meeting, resident_a, satbinmas
) -> None:
    inv = services.invite(meeting, actor=satbinmas, person=resident_a)
    url = f"/program/kegiatan/{meeting.pk}/meja-hadir/"
    with time_machine.travel(meeting.starts_at - datetime.timedelta(hours=3), tick=False):
        early = bob_client.post(url, {"code": inv.code}, HTTP_ACCEPT="application/json").json()
    assert early["result"] == "error" and "120" in early["message"]
    inv.refresh_from_db()
    assert inv.status == "pending"


def test_the_participation_page_takes_an_area_by_name(bob_client: Client, charlie_client) -> None:
    page = bob_client.get("/program/partisipasi/", {"territory": "Tamanan"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Tamanan, Kec. Trenggalek"' in body and 'data-choose="area"' in body
    # Outside the area: a message, and the page shows the user's own area.
    other = charlie_client.get("/program/partisipasi/", {"territory": "Tamanan"})
    assert other.status_code == 200
    assert "Tamanan" in other.content.decode() and 'value="Kec. Munjungan' in other.content.decode()
