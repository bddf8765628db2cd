from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
import time_machine
from django.core import mail

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import DomainError
from jaga.core.gateways import LoggingGateway
from jaga.core.models import AuditLog
from jaga.incidents.models import Incident
from jaga.servicedesk import services
from jaga.servicedesk.models import TRANSITIONS, ServiceRequest, Status
from jaga.servicedesk.signals import request_closed

ALL = list(Status.values)
PAIRS = list(itertools.product(ALL, ALL))


def metric(village: Any, name: str) -> int:
    return sum(
        MonthlyMetric.objects.filter(village=village, metric=name).values_list("value", flat=True)
    )


def force_status(request: ServiceRequest, status: str) -> ServiceRequest:
    """Test set-up only: put a report straight into a status."""
    extra: dict[str, Any] = {}
    if status == Status.RESOLVED:
        extra = {"resolved_at": request.received_at, "resolved_in_time": True}
    ServiceRequest.objects.filter(pk=request.pk).update(status=status, **extra)
    request.refresh_from_db()
    return request


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_table(
    old: str, new: str, file_report: Any, village_a: Any, village_b: Any, alice: Any, bob: Any
) -> None:
    report = force_status(file_report(village_a), old)
    original = file_report(village_b)
    kwargs: dict[str, Any] = {"note": "Sudah ditangani.", "assignee": alice}
    if new == Status.DUPLICATE:
        kwargs["duplicate_of"] = original
    if new in TRANSITIONS[old]:
        services.transition_request(report, new, actor=bob, **kwargs)
        report.refresh_from_db()
        assert report.status == new
        assert AuditLog.objects.filter(
            action=f"servicedesk.{new}", object_id=str(report.pk)
        ).exists()
        assert report.updates.filter(status_from=old, status_to=new).count() == 1
    else:
        with pytest.raises(DomainError) as err:
            services.transition_request(report, new, actor=bob, **kwargs)
        assert err.value.code in {"illegal_transition", "unknown_status"}
        report.refresh_from_db()
        assert report.status == old
        assert not report.updates.filter(status_to=new).exclude(status_from="").exists()


def test_the_table_has_the_documented_path() -> None:
    path = [
        Status.RECEIVED,
        Status.TRIAGED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
    ]
    for a, b in itertools.pairwise(path):
        assert b in TRANSITIONS[a]
    assert TRANSITIONS[Status.CLOSED] == set()


def test_it_routes_to_the_polsek_and_the_village_bhabinkamtibmas(
    file_report: Any, village_a: Any, alice: Any, units: dict
) -> None:
    report = file_report(village_a)
    assert report.unit == units["ab"]
    assert report.assignee == alice
    assert report.status == Status.RECEIVED
    assert "Bhabinkamtibmas" in report.updates.get().text


def test_a_village_without_bhabinkamtibmas_goes_to_the_polsek_duty_queue(
    file_report: Any, village_b: Any, alice: Any, units: dict
) -> None:
    report = file_report(village_b)
    assert report.unit == units["ab"]
    assert report.assignee is None


def test_an_expired_posting_does_not_route(file_report: Any, village_a: Any, alice: Any) -> None:
    alice.postings.update(valid_to=datetime.date(2021, 1, 1))
    assert file_report(village_a).assignee is None


def test_the_due_time_follows_the_service_sla(
    file_report: Any, village_a: Any, service: Any
) -> None:
    report = file_report(village_a)
    assert report.due_at - report.received_at == datetime.timedelta(hours=service.sla_hours)


def test_a_retried_submission_with_the_same_key_returns_the_same_ticket(
    file_report: Any, village_a: Any
) -> None:
    first = file_report(village_a, idempotency_key="abc-123")
    again = file_report(village_a, idempotency_key="abc-123", description="beda")
    other = file_report(village_a, idempotency_key="abc-124")
    assert again.pk == first.pk and again.ticket == first.ticket
    assert other.pk != first.pk
    assert ServiceRequest.objects.count() == 2
    assert metric(village_a, "requests.received") == 2


def test_a_retry_whose_body_no_longer_passes_still_gets_the_first_report(
    file_report: Any, village_a: Any
) -> None:
    first = file_report(village_a, idempotency_key="abc-125")
    again = file_report(village_a, idempotency_key="abc-125", description="   ")
    assert again.pk == first.pk and again.tracking_code == ""  # the code only with the first
    assert ServiceRequest.objects.count() == 1
    # Without a report under its key, the same bad body is refused as any other.
    with pytest.raises(DomainError) as refused:
        file_report(village_a, idempotency_key="abc-126", description="   ")
    assert refused.value.code == "empty_description"
    assert ServiceRequest.objects.count() == 1


def test_ticket_codes_are_random_and_not_the_key(file_report: Any, village_a: Any) -> None:
    tickets = {file_report(village_a).ticket for _ in range(5)}
    assert len(tickets) == 5
    assert all(len(t) == 10 and not t.isdigit() for t in tickets)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"description": "   "}, "empty_description"),
        ({"description": "x" * 4001}, "description_too_long"),
        ({"latitude": 51.5, "longitude": -0.1}, "point_outside_indonesia"),
        ({"latitude": -8.1}, "bad_point"),
        ({"village": None}, "unknown_village"),
        ({"anonymous": False, "require_contact": True}, "contact_required"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    file_report: Any, village_a: Any, kwargs: dict, code: str
) -> None:
    values = {"village": village_a, **kwargs}
    with pytest.raises(DomainError) as err:
        file_report(values.pop("village"), **values)
    assert err.value.code == code
    assert ServiceRequest.objects.count() == 0
    assert MonthlyMetric.objects.count() == 0


def test_a_district_is_not_a_village(file_report: Any, district_ab: Any) -> None:
    with pytest.raises(DomainError) as err:
        file_report(district_ab)
    assert err.value.code == "unknown_village"


def test_required_answers_and_choices_are_checked(file_report: Any, village_a: Any) -> None:
    from jaga.servicedesk.models import Service

    racing = Service.objects.get(code="balap_liar")
    with pytest.raises(DomainError) as err:
        file_report(village_a, service=racing, answers={"waktu": "tengah_hari"})
    assert err.value.code == "bad_answers"
    report = file_report(village_a, service=racing, answers={"waktu": "malam", "x": "ignored"})
    assert report.answers == {"waktu": "malam"}


def test_anonymous_reports_keep_no_contact(file_report: Any, village_a: Any) -> None:
    report = file_report(village_a, anonymous=True, reporter_name="Budi", phone="0812")
    assert (report.reporter_name, report.phone, report.email) == ("", "", "")


def test_personal_data_is_redacted_in_the_audit_log(file_report: Any, village_a: Any) -> None:
    report = file_report(village_a, anonymous=False, reporter_name="Budi", phone="081234567890")
    entry = AuditLog.objects.get(action="servicedesk.received", object_id=str(report.pk))
    assert "081234567890" not in str(entry.after)


def test_resolving_counts_in_time_and_reopening_takes_it_back(
    file_report: Any, village_a: Any, alice: Any, bob: Any
) -> None:
    report = file_report(village_a)
    for status in (Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS):
        services.transition_request(report, status, actor=bob)
    services.transition_request(
        report, Status.RESOLVED, actor=alice, note="Ditegur, knalpot diganti."
    )
    report.refresh_from_db()
    assert report.resolved_in_time is True
    assert metric(village_a, "requests.resolved") == 1
    assert metric(village_a, "requests.resolved_in_time") == 1
    services.transition_request(report, Status.IN_PROGRESS, actor=bob, note="Warga melapor lagi.")
    report.refresh_from_db()
    assert report.reopened_count == 1 and report.resolved_at is None
    assert metric(village_a, "requests.resolved") == 0
    assert metric(village_a, "requests.resolved_in_time") == 0


def test_a_late_resolution_counts_as_resolved_but_not_in_time(
    file_report: Any, village_a: Any, alice: Any, bob: Any
) -> None:
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC), tick=False):
        report = file_report(village_a)
        services.transition_request(report, Status.ASSIGNED, actor=bob)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 8, tzinfo=datetime.UTC), tick=False):
        assert ServiceRequest.objects.overdue().count() == 1
        services.transition_request(report, Status.RESOLVED, actor=alice, note="Selesai.")
        assert ServiceRequest.objects.overdue().count() == 0
    report.refresh_from_db()
    assert report.resolved_in_time is False
    april = MonthlyMetric.objects.get(village=village_a, metric="requests.resolved")
    assert april.month == datetime.date(2026, 4, 1)
    assert metric(village_a, "requests.resolved_in_time") == 0
    march = MonthlyMetric.objects.get(village=village_a, metric="requests.received")
    assert march.month == datetime.date(2026, 3, 1) and march.key == "knalpot_brong"


def test_reopening_is_refused_after_the_period(
    file_report: Any, village_a: Any, alice: Any, bob: Any
) -> None:
    start = datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        report = file_report(village_a)
        services.transition_request(report, Status.ASSIGNED, actor=bob)
        services.transition_request(report, Status.RESOLVED, actor=alice, note="Selesai.")
    with time_machine.travel(start + datetime.timedelta(days=15), tick=False):
        assert Status.IN_PROGRESS not in services.allowed_transitions(report)
        with pytest.raises(DomainError) as err:
            services.transition_request(report, Status.IN_PROGRESS, actor=bob)
        assert err.value.code == "reopen_period_over"
        assert services.close_expired_resolved() == 1
    report.refresh_from_db()
    assert report.status == Status.CLOSED


@pytest.mark.parametrize(
    ("to", "code"), [(Status.REJECTED, "reason_required"), (Status.RESOLVED, "note_required")]
)
def test_rejecting_and_resolving_need_a_note(
    file_report: Any, village_a: Any, bob: Any, alice: Any, to: str, code: str
) -> None:
    report = file_report(village_a)
    services.transition_request(report, Status.ASSIGNED, actor=bob)
    with pytest.raises(DomainError) as err:
        services.transition_request(report, to, actor=bob, note="  ")
    assert err.value.code == code


def test_assigning_needs_an_officer_who_covers_the_village(
    file_report: Any, village_b: Any, charlie: Any, bob: Any
) -> None:
    report = file_report(village_b)
    with pytest.raises(DomainError) as err:
        services.transition_request(report, Status.ASSIGNED, actor=bob)
    assert err.value.code == "assignee_required"
    with pytest.raises(DomainError) as err:
        services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=charlie)
    assert err.value.code == "bad_assignee"
    services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=bob)
    report.refresh_from_db()
    assert report.assignee == bob


def test_an_officer_outside_the_area_cannot_change_a_report(
    file_report: Any, village_a: Any, charlie: Any, leader: Any
) -> None:
    report = file_report(village_a)
    for actor in (charlie, leader):
        with pytest.raises(DomainError) as err:
            services.transition_request(report, Status.TRIAGED, actor=actor)
        assert err.value.code == "not_allowed"


def test_a_stale_version_is_a_conflict_and_the_first_change_stands(
    file_report: Any, village_a: Any, bob: Any, alice: Any
) -> None:
    report = file_report(village_a)
    seen = report.version
    services.transition_request(report, Status.TRIAGED, actor=bob, expected_version=seen)
    with pytest.raises(DomainError) as err:
        services.transition_request(
            report, Status.REJECTED, actor=alice, note="x", expected_version=seen
        )
    assert err.value.code == "conflict"
    report.refresh_from_db()
    assert report.status == Status.TRIAGED
    # Notes never conflict: both officers keep theirs.
    services.add_update(report, "Saya cek ke lokasi.", actor=alice)
    services.add_update(report, "Koordinasi dengan kades.", actor=bob)
    assert report.updates.filter(status_to="").count() == 2


def test_staff_merge_a_duplicate_into_the_original(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    original = file_report(village_a)
    copy = file_report(village_a)
    third = file_report(village_a)
    services.mark_duplicate(copy, original, actor=bob)
    services.mark_duplicate(third, copy, actor=bob)  # follows the chain to the original
    copy.refresh_from_db()
    third.refresh_from_db()
    assert copy.status == Status.DUPLICATE and copy.duplicate_of == original
    assert third.duplicate_of == original
    assert original.ticket in copy.status_notes
    with pytest.raises(DomainError):
        services.mark_duplicate(original, original, actor=bob)


def test_duplicates_of_another_area_cannot_be_merged(
    file_report: Any, village_a: Any, village_c: Any, bob: Any
) -> None:
    ours = file_report(village_a)
    theirs = file_report(village_c)
    with pytest.raises(DomainError):
        services.mark_duplicate(ours, theirs, actor=bob)


def test_a_verified_report_becomes_one_incident(file_report: Any, village_a: Any, bob: Any) -> None:
    report = file_report(village_a, latitude=-8.05, longitude=111.7)
    with pytest.raises(DomainError):
        services.verify_request(report, actor=bob)  # not triaged yet
    services.transition_request(report, Status.TRIAGED, actor=bob)
    services.verify_request(report, actor=bob)
    services.verify_request(report, actor=bob)
    report.refresh_from_db()
    incident = Incident.objects.get()
    assert report.incident == incident
    assert (incident.source, incident.source_ref) == ("desk", report.ticket)
    assert incident.category.code == "knalpot_brong"


def test_a_document_request_is_not_an_incident(file_report: Any, village_a: Any, bob: Any) -> None:
    from jaga.servicedesk.models import Service

    lost = Service.objects.get(code="kehilangan")
    report = file_report(village_a, service=lost, answers={"dokumen": ["ktp", "sim"]})
    services.transition_request(report, Status.TRIAGED, actor=bob)
    with pytest.raises(DomainError) as err:
        services.verify_request(report, actor=bob)
    assert err.value.code == "not_an_incident"


def test_assignee_and_reporter_are_notified_after_commit(
    file_report: Any, village_a: Any, alice: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice.email = "alice@polri.example"
    alice.save()
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(
            village_a,
            anonymous=False,
            reporter_name="Sri",
            phone="081298765432",
            email="sri@example.com",
        )
    # The officer is told; the reporter gets the private tracking code (and only the reporter).
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@polri.example", "sri@example.com"]
    code = report.tracking_code
    to_sri = next(m for m in mail.outbox if m.to == ["sri@example.com"])
    to_alice = next(m for m in mail.outbox if m.to == ["alice@polri.example"])
    assert code in to_sri.body and code not in to_alice.body
    assert LoggingGateway.sent[-1][0] == "081298765432" and code in LoggingGateway.sent[-1][1]
    assert services.check_tracking_code(report, code)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Diterima Polsek.")
    assert mail.outbox[-1].to == ["sri@example.com"]
    assert report.ticket in mail.outbox[-1].subject
    assert LoggingGateway.sent[-1][0] == "081298765432"
    with django_capture_on_commit_callbacks(execute=True):
        services.add_update(report, "Catatan internal.", actor=bob, public=False)
    assert len(mail.outbox) == 3


def test_closing_sends_request_closed_after_commit(
    file_report: Any, village_a: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict] = []

    def handler(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    request_closed.connect(handler)
    try:
        report = file_report(village_a, anonymous=False, phone="0812000111", email="")
        services.transition_request(report, Status.REJECTED, actor=bob, note="Bukan wewenang.")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.transition_request(report, Status.CLOSED, actor=bob)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        request_closed.disconnect(handler)
    assert len(received) == 1
    assert received[0]["ticket"] == report.ticket
    assert received[0]["village"] == village_a
    assert received[0]["phone"] == "0812000111"
    assert received[0]["request"].pk == report.pk
