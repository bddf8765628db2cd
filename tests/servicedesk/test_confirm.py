"""Closing and reopening a desk report take a confirmation step that works without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jaga.core.gateways import LoggingGateway
from jaga.servicedesk import services
from jaga.servicedesk.models import ServiceRequest, Status


@pytest.fixture
def resolved(file_report: Any, village_a: Any, alice: Any, bob: Any) -> ServiceRequest:
    report = file_report(
        village_a, anonymous=False, reporter_name="Sri Wahyuni", phone="081298765432"
    )
    services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=alice)
    services.transition_request(report, Status.RESOLVED, actor=bob, note="Sudah ditertibkan.")
    report.refresh_from_db()
    return report


def _post(client: Client, report: ServiceRequest, **data: str) -> Any:
    body = {"version": str(report.version), "public": "on", **data}
    return client.post(f"/layanan/tiket/{report.ticket}/status/", body)


def test_reopening_asks_first_and_says_the_reporter_is_told(
    resolved: ServiceRequest, bob_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    detail = bob_client.get(f"/layanan/tiket/{resolved.ticket}/").content.decode()
    assert "Buka kembali" in detail  # the move is named for what it is
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        asked = _post(bob_client, resolved, status="in_progress", note="Warga lapor lagi.")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Buka kembali laporan" in page
    assert "Pelapor akan diberi tahu" in page
    assert 'name="confirmed" value="1"' in page and "Warga lapor lagi." in page
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert LoggingGateway.sent == []
    with django_capture_on_commit_callbacks(execute=True):
        done = _post(
            bob_client, resolved, status="in_progress", note="Warga lapor lagi.", confirmed="1"
        )
    assert done.status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == Status.IN_PROGRESS
    assert [to for to, _text in LoggingGateway.sent] == ["081298765432"]


def test_closing_asks_first(resolved: ServiceRequest, bob_client: Client) -> None:
    asked = _post(bob_client, resolved, status="closed")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Ditutup" in page and "survei" in page
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert _post(bob_client, resolved, status="closed", confirmed="1").status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED


def test_an_internal_note_says_nobody_is_told(resolved: ServiceRequest, bob_client: Client) -> None:
    body = {"version": str(resolved.version), "status": "closed"}  # "public" unticked
    page = bob_client.post(f"/layanan/tiket/{resolved.ticket}/status/", body).content.decode()
    assert "Pelapor akan diberi tahu" not in page
    assert "tidak dikirimi pesan" in page


def test_other_moves_need_no_confirmation(
    file_report: Any, village_a: Any, bob_client: Client
) -> None:
    report = file_report(village_a)
    assert _post(bob_client, report, status="triaged").status_code == 302
    report.refresh_from_db()
    assert report.status == Status.TRIAGED
