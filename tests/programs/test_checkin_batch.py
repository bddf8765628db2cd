"""Many scans at once (a door scanner's queue): each scan answered as if sent alone."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.audit import verify_chain
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.partners.models import Person
from jaga.programs import services
from jaga.programs.models import Activity, Invitation
from jaga.programs.services.scans import SCAN_TRUST, trusted_time

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2024, 3, 5, 9, 0))
MINUTE = datetime.timedelta(minutes=1)
NOW = START + 20 * MINUTE


def _activity(programme: Any, village: Any, actor: Any, title: str = "Rapat") -> Activity:
    return services.record_activity(
        actor=actor,
        programme=programme,
        kind="meeting",
        title=title,
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=2),
        village=village,
        grace_minutes=10,
        checkin_opens_minutes=30,
        checkin_closes_minutes=30,
    )


@pytest.fixture
def door(programme, village_a, satbinmas) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    activity = _activity(programme, village_a, satbinmas)
    other = _activity(programme, village_a, satbinmas, title="Rapat lain")
    people = [
        Person.objects.create(
            full_name=f"Warga {i}", village=village_a, regency_code=village_a.regency_code
        )
        for i in range(6)
    ]
    invitations = [services.invite(activity, actor=satbinmas, person=p) for p in people]
    stranger = services.invite(other, actor=satbinmas, person=people[0])
    # One invitee is already marked excused by hand: a scan moves them on as a single scan would.
    services.record_attendance(invitations[5], actor=satbinmas, status="excused")
    return {"activity": activity, "codes": [i.code for i in invitations], "other": stranger.code}


def _state(activity: Activity, since: int) -> dict[str, Any]:
    invitations = {
        i.code: (i.status, i.checked_in_at, i.representative_name)
        for i in Invitation.objects.filter(activity=activity)
    }
    metrics = {
        (m.metric, m.month): m.value for m in MonthlyMetric.objects.filter(village=activity.village)
    }
    audit = [
        (a.action, a.object_id, a.before, a.after)
        for a in AuditLog.objects.filter(id__gt=since).order_by("id")
    ]
    return {"invitations": invitations, "metrics": metrics, "audit": audit}


def _random_scans(rng: random.Random, door: dict[str, Any]) -> list[services.Scan]:
    pool = [*door["codes"], door["other"], "ZZZZZZZZZZZZ", door["codes"][0].lower() + " "]
    scans = []
    for _ in range(rng.randint(1, 12)):
        offset = rng.choice([-45, -30, -5, 0, 9, 11, 60, 150, 151])
        scans.append(
            services.Scan(
                rng.choice(pool),
                at=START + offset * MINUTE,
                representative_name=rng.choice(["", "", "", "Pak RT"]),
            )
        )
    return scans


def test_a_batch_answers_and_records_what_the_same_scans_one_by_one_would(door, satbinmas):
    activity = door["activity"]
    rng = random.Random(2026)
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        for _round in range(30):
            scans = _random_scans(rng, door)
            since = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
            alone = []
            with transaction.atomic():
                for scan in scans:
                    try:
                        inv, already = services.check_in(
                            scan.code,
                            actor=satbinmas,
                            activity=activity,
                            at=scan.at,
                            representative_name=scan.representative_name,
                        )
                        alone.append(("already" if already else "done", inv.code))
                    except DomainError as exc:
                        alone.append(("error", exc.code))
                one_by_one = _state(activity, since)
                transaction.set_rollback(True)
            outcomes = services.check_in_many(scans, actor=satbinmas, activity=activity)
            together = [
                (o.result, o.error.code if o.error else o.invitation.code)  # type: ignore[union-attr]
                for o in outcomes
            ]
            assert together == alone
            assert _state(activity, since) == one_by_one
    assert verify_chain().intact


def test_a_scan_kept_on_the_phone_counts_at_its_own_time_when_believable():
    now = timezone.now()
    assert trusted_time(now - SCAN_TRUST, now) == now - SCAN_TRUST
    assert trusted_time(now - SCAN_TRUST - MINUTE, now) == now
    assert trusted_time(now + MINUTE, now) == now
    assert trusted_time(datetime.datetime(2024, 1, 1, 9, 0), now) == now  # no zone: not believed
    assert trusted_time(None, now) == now


def test_the_api_takes_a_queue_of_scans_in_scope_only(bob_client, charlie_client, door):
    url = f"/api/v1/programmes/activities/{door['activity'].pk}/checkins"
    first, second = door["codes"][:2]
    body = {
        "scans": [
            {"code": first, "at": (START - 5 * MINUTE).isoformat()},
            {"code": second, "at": (START + 15 * MINUTE).isoformat()},
            {"code": first},
            {"code": door["other"]},
            {"code": "ZZZZZZZZZZZZ"},
        ]
    }
    assert charlie_client.post(url, body, content_type="application/json").status_code == 404
    assert Client().post(url, body, content_type="application/json").status_code == 401
    assert Invitation.objects.filter(code=first, status="present").count() == 0
    with time_machine.travel(NOW, tick=False):
        answer = bob_client.post(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["done"], data["already"], data["refused"]) == (2, 1, 2)
    assert [r["result"] for r in data["results"]] == ["done", "done", "already", "error", "error"]
    assert [r["error"] for r in data["results"]][3:] == ["wrong_activity", "unknown_code"]
    assert data["results"][0]["invitation"]["status"] == "present"
    assert data["results"][1]["invitation"]["status"] == "late"
    assert data["results"][3]["message"] and data["results"][3]["invitation"] is None


def test_the_api_refuses_an_empty_or_oversized_queue_and_changes_nothing(bob_client, door):
    url = f"/api/v1/programmes/activities/{door['activity'].pk}/checkins"
    too_many = {"scans": [{"code": door["codes"][0]}] * (services.MAX_SCANS + 1)}
    for body in ({"scans": []}, too_many, {"scans": [{"code": "X" * 65}]}):
        with time_machine.travel(NOW, tick=False):
            answer = bob_client.post(url, body, content_type="application/json")
        assert answer.status_code == 422
    assert not Invitation.objects.filter(activity=door["activity"], status="present").exists()


def test_the_desk_scanner_sends_its_queue_and_gets_each_answer(bob, door):
    client = Client()
    client.force_login(bob)
    url = f"/program/kegiatan/{door['activity'].pk}/meja-hadir/"
    body = {"scans": [{"code": door["codes"][0]}, {"code": "ZZZZZZZZZZZZ"}]}
    with time_machine.travel(NOW, tick=False):
        answer = client.post(url, body, content_type="application/json")
        results = answer.json()["results"]
        assert [r["result"] for r in results] == ["done", "error"]
        assert results[0]["name"] and results[0]["message"]
        unreadable = client.post(url, "[not json", content_type="application/json")
    assert unreadable.status_code == 400 and unreadable.json()["message"]
    assert Invitation.objects.get(code=door["codes"][0]).status == "late"
