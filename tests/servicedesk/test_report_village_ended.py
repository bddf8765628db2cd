"""A report filed in a village, then a pemekaran recorded with a past date that ends the village
before the report's date: the report cannot enter the kamtibmas register there. Staff move it to
one of the villages that replaced it, their explicit choice on the report's page (never guessed);
the move is audited and listed in its history, the desk's figures move with it, and then the
report is verified in its new village."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.incidents.models import Incident
from jaga.servicedesk import services
from jaga.servicedesk.models import ServiceRequest, Status
from jaga.territory.models import Territory
from jaga.territory.pemekaran import split_village
from tests.conftest import SPLIT_OFF, VILLAGE_A, VILLAGE_B, VILLAGE_C


def _ended_under(report: ServiceRequest, admin_user: Any) -> None:
    """The split recorded after the report, dated on the day it was received."""
    split_village(
        VILLAGE_A, [VILLAGE_B, SPLIT_OFF], timezone.localdate(report.received_at),
        actor=admin_user, names={SPLIT_OFF: "Tamanan Baru"},
    )  # fmt: skip


def _received(code: str) -> int:
    rows = MonthlyMetric.objects.filter(village__code=code, metric="requests.received")
    return sum(rows.values_list("value", flat=True))


def test_staff_move_a_report_to_a_successor_and_then_verify_it(
    file_report: Any, village_a: Any, bob: Any, admin_user: Any
) -> None:
    report = file_report(village_a)
    services.transition_request(report, Status.TRIAGED, actor=bob)
    _ended_under(report, admin_user)
    report.refresh_from_db()
    with pytest.raises(DomainError) as err:
        services.verify_request(report, actor=bob)
    assert err.value.code == "village_ended"
    problem, after = services.village_ended(report)
    assert [t.code for t in after] == [VILLAGE_B, SPLIT_OFF] and "Kelurahan Tamanan" in problem
    for elsewhere in (Territory.objects.get(code=VILLAGE_C), village_a):  # not a successor
        with pytest.raises(DomainError) as err:
            services.move_to_successor(report, elsewhere, actor=bob)
        assert err.value.code == "not_a_successor"
    assert ServiceRequest.objects.get(pk=report.pk).village_id == village_a.pk
    chosen = Territory.objects.get(code=SPLIT_OFF)
    with pytest.raises(DomainError):  # a stale page
        services.move_to_successor(report, chosen, actor=bob, expected_version=0)
    assert (_received(VILLAGE_A), _received(SPLIT_OFF)) == (1, 0)
    services.move_to_successor(report, chosen, actor=bob, expected_version=report.version)
    report.refresh_from_db()
    assert (report.village_id, report.district_code) == (chosen.pk, chosen.district_code)
    assert (_received(VILLAGE_A), _received(SPLIT_OFF)) == (0, 1)
    audit = AuditLog.objects.get(action="servicedesk.village_moved")
    assert audit.before["village"] == village_a.pk and audit.after["village"] == chosen.pk
    update = report.updates.order_by("-at", "-pk").first()
    assert update is not None and update.public
    assert "Kelurahan Tamanan" in update.text and "Desa Tamanan Baru" in update.text
    services.verify_request(report, actor=bob)
    assert Incident.objects.get().village_id == chosen.pk
    with pytest.raises(DomainError) as err:  # moved once: its village takes it now
        services.move_to_successor(report, Territory.objects.get(code=VILLAGE_B), actor=bob)
    assert err.value.code == "village_takes_it"


def test_a_report_dated_before_the_end_stays_in_its_village(
    file_report: Any, village_a: Any, bob: Any, admin_user: Any
) -> None:
    report = file_report(village_a, occurred_at=timezone.now() - timezone.timedelta(days=3))
    _ended_under(report, admin_user)  # the end comes after the day it happened
    report.refresh_from_db()
    assert services.village_ended(report) == ("", [])
    with pytest.raises(DomainError) as err:
        services.move_to_successor(report, Territory.objects.get(code=SPLIT_OFF), actor=bob)
    assert err.value.code == "village_takes_it"


def test_the_report_page_offers_the_successors_and_keeps_the_choice_on_a_refusal(
    file_report: Any, village_a: Any, bob: Any, bob_client: Client, admin_user: Any
) -> None:
    report = file_report(village_a)
    _ended_under(report, admin_user)
    url = reverse("servicedesk:detail", args=[report.ticket])
    page = bob_client.get(url).content.decode()
    assert "Kelurahan Tamanan (35.03.11.1002) berakhir pada" in page
    assert f'<option value="{SPLIT_OFF}">Desa Tamanan Baru ({SPLIT_OFF})</option>' in page
    assert '<option value="" selected>— pilih —</option>' in page  # no choice made for staff
    act = reverse("servicedesk:act", args=[report.ticket, "village"])
    unchosen = bob_client.post(act, {"village": "", "version": report.version})
    assert unchosen.status_code == 400
    stale = bob_client.post(act, {"village": SPLIT_OFF, "version": report.version - 1})
    assert stale.status_code == 409
    assert f'<option value="{SPLIT_OFF}" selected>' in stale.content.decode()
    assert ServiceRequest.objects.get(pk=report.pk).village.code == VILLAGE_A
    moved = bob_client.post(act, {"village": SPLIT_OFF, "version": report.version})
    assert moved.status_code == 302
    assert ServiceRequest.objects.get(pk=report.pk).village.code == SPLIT_OFF
    after = bob_client.get(url).content.decode()
    assert "Tamanan Baru" in after and 'name="village"' not in after


def test_a_moved_report_is_routed_as_one_received_in_its_new_village(
    file_report: Any, village_a: Any, alice: Any, bob: Any, bob_client: Client, admin_user: Any
) -> None:
    """Moved to a village without a Bhabinkamtibmas: the Polsek's duty queue, named on the staff
    page and in the update the reporter reads; moved to one with an officer: that officer."""
    from tests.conftest import _person

    dina = _person("dina", "bhabin", VILLAGE_B)
    report = file_report(village_a)
    other = file_report(village_a)
    assert report.assignee_id == alice.pk and report.unit is not None
    _ended_under(report, admin_user)
    with translation.override("en"):
        services.move_to_successor(report, Territory.objects.get(code=SPLIT_OFF), actor=bob)
        services.move_to_successor(other, Territory.objects.get(code=VILLAGE_B), actor=bob)
    report.refresh_from_db()
    other.refresh_from_db()
    assert (report.assignee_id, report.unit.name) == (None, "Polsek Trenggalek")
    assert (other.assignee_id, other.unit.name) == (dina.pk, "Polsek Trenggalek")
    texts = [r.updates.order_by("-at", "-pk").first().text for r in (report, other)]
    assert texts[0].endswith("and was sent to the duty queue of Polsek Trenggalek.")
    assert texts[1].endswith("and was sent to Polsek Trenggalek and the village's Bhabinkamtibmas.")
    audit = AuditLog.objects.filter(action="servicedesk.village_moved", object_id=str(report.pk))
    assert audit.get().before["assignee"] == alice.pk and audit.get().after["assignee"] is None
    page = bob_client.get(reverse("servicedesk:detail", args=[report.ticket])).content.decode()
    assert "<dd>Antrean piket Polsek Trenggalek</dd>" in page
    public = Client().get(reverse("servicedesk:track", args=[report.ticket])).content.decode()
    assert "Polsek Trenggalek" in public


def test_the_api_moves_a_report_of_an_ended_village_to_a_successor(
    file_report: Any,
    village_a: Any,
    admin_user: Any,
    bob_client: Client,
    charlie_client: Client,
    leader_client: Client,
    client: Client,
) -> None:
    """The page's move, through the API: desk staff whose area holds the report choose one of
    the successors; anyone else, or any other village, is refused and nothing changes."""
    import json

    report = file_report(village_a)
    _ended_under(report, admin_user)
    url = f"/api/v1/servicedesk/requests/{report.ticket}/village"

    def move(who: Client, village: str, **more: Any) -> Any:
        body = json.dumps({"village": village, **more})
        return who.post(url, body, content_type="application/json")

    def state() -> tuple[Any, ...]:
        r = ServiceRequest.objects.get(pk=report.pk)
        return r.village_id, r.version, r.updates.count(), AuditLog.objects.count()

    before = state()
    assert move(client, SPLIT_OFF).status_code == 401
    assert move(leader_client, SPLIT_OFF).status_code == 403  # reads reports, does not act
    assert move(charlie_client, SPLIT_OFF).status_code == 404  # another Polsek's report
    elsewhere = move(bob_client, VILLAGE_C)
    assert elsewhere.status_code == 400 and elsewhere.json()["code"] == "not_a_successor"
    assert elsewhere.json()["replaced_by"] == [VILLAGE_B, SPLIT_OFF]
    unknown = move(bob_client, "35.03.11.9999")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_village"
    assert f"Desa Tamanan Baru ({SPLIT_OFF})" in unknown.json()["message"]
    assert unknown.json()["replaced_by"] == [VILLAGE_B, SPLIT_OFF]
    stale = move(bob_client, SPLIT_OFF, version=report.version - 1)
    assert stale.status_code == 409
    assert state() == before
    moved = move(bob_client, SPLIT_OFF, version=report.version)
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["village_code"], moved.json()["unit"]) == (SPLIT_OFF, "Polsek Trenggalek")
    assert "Desa Tamanan Baru" in moved.json()["updates"][-1]["text"]
    again = move(bob_client, VILLAGE_B)
    assert again.status_code == 400 and again.json()["code"] == "village_takes_it"
    assert ServiceRequest.objects.get(pk=report.pk).village.code == SPLIT_OFF
