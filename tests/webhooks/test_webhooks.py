"""Signed outgoing webhooks: what is sent, to whom, how it is signed, retried and logged."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from jaga.core import events, outbound
from jaga.core.audit import verify_chain
from jaga.core.models import AuditLog
from jaga.servicedesk import services as desk
from jaga.servicedesk.models import Service, Status
from jaga.webhooks import signing
from jaga.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tests.localserver import LocalServer, Reply, local_server

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-receiving-system-xyz"
T0 = datetime.datetime(2026, 11, 2, 3, 0, tzinfo=datetime.UTC)


def endpoint(url: str, *kinds: str, territory: str = "", name: str = "Dashboard") -> Endpoint:
    return Endpoint.objects.create(
        name=name,
        url=url,
        secret=SECRET,
        events=list(kinds or [events.REPORT_CREATED, events.REPORT_STATUS_CHANGED]),
        territory_code=territory,
    )


def test_a_new_report_is_posted_signed_with_codes_only(
    server: LocalServer, file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(server.url("/hook"), territory="35.03.11")
    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(
            village_a,
            anonymous=False,
            reporter_name="Pak Budi",
            phone="081234567890",
            description="Pak Budi ribut tiap malam",
        )
    (got,) = server.received
    assert got.method == "POST" and got.path == "/hook"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Jaga-Event"] == events.REPORT_CREATED
    assert signing.verify(SECRET, got.body, got.headers["X-Jaga-Signature"])
    body = json.loads(got.body)
    assert body["event"] == "report.created"
    assert body["object_id"] == report.ticket
    assert body["territory_code"] == village_a.code
    assert body["data"]["status"] == Status.RECEIVED
    assert body["data"]["service"] == "knalpot_brong"
    assert "assignee_id" not in body["data"] and "sensitive" not in body["data"]
    assert datetime.datetime.fromisoformat(body["time"])
    for private in (b"Budi", b"0812", b"ribut"):
        assert private not in got.body
    (delivery,) = Delivery.objects.all()
    assert body["id"] == delivery.delivery_id == got.headers["X-Jaga-Delivery"]
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.response_code, delivery.attempts, delivery.next_try_at) == (200, 1, None)


def test_status_changes_reach_the_endpoints_that_asked_for_them(
    server: LocalServer,
    file_report: Any,
    village_a: Any,
    alice: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint(server.url("/changes"), events.REPORT_STATUS_CHANGED)
    report = file_report(village_a)
    with django_capture_on_commit_callbacks(execute=True):
        desk.transition_request(report, Status.TRIAGED, actor=alice, note="")
    (got,) = server.received
    body = json.loads(got.body)
    assert body["event"] == "report.status_changed"
    assert (body["data"]["status_from"], body["data"]["status"]) == ("received", "triaged")


def test_other_areas_other_events_and_sensitive_reports_are_not_sent(
    server: LocalServer, file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(server.url("/munjungan"), territory="35.03.02")
    endpoint(server.url("/alarms"), events.ALARM_RAISED)
    endpoint(server.url("/prefix"), territory="35.03.1")  # 35.03.11 is not inside 35.03.1
    Endpoint.objects.create(
        name="Off", url=server.url("/off"), secret=SECRET, events=["report.created"],
        is_active=False,
    )  # fmt: skip
    everything = endpoint(server.url("/all"))
    with django_capture_on_commit_callbacks(execute=True):
        file_report(village_a)
        kdrt = Service.objects.get(code="kdrt")
        answers = {q.code: q.values[0]["key"] for q in kdrt.questions.all() if q.values}
        file_report(village_a, service=kdrt, answers=answers)
    assert [r.path for r in server.received] == ["/all"]
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [everything.pk]


def test_an_alarm_is_sent_to_the_endpoints_of_its_area(
    server: LocalServer, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(server.url("/alarms"), events.ALARM_RAISED, territory="35.03")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit(
            events.ALARM_RAISED,
            territory_code=village_a.code,
            object_type="analytics.alarm",
            object_id="A1",
            # Only the keys named for receivers leave; anything an emitter adds stays inside.
            data={"category": "curanmor", "observed": 12, "reporter_name": "Pak Budi"},
        )
    body = json.loads(server.received[0].body)
    assert body["event"] == "alarm.raised"
    assert body["data"] == {"category": "curanmor", "observed": 12}


def test_a_failing_endpoint_is_retried_with_growing_waits_then_given_up(
    server: LocalServer,
    settings: Any,
    file_report: Any,
    village_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE = 60
    server.answer("/hook", Reply(status=503, body=b"down"))
    endpoint(server.url("/hook"))
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            file_report(village_a)
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert (delivery.attempts, delivery.response_code, delivery.error) == (1, 503, "HTTP 503")
        assert delivery.next_try_at == T0 + datetime.timedelta(seconds=60)

        call_command("webhooks", "retry")  # not due yet: nothing is sent
        assert len(server.received) == 1

        clock.shift(datetime.timedelta(seconds=60))
        call_command("webhooks", "retry")
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_try_at == T0 + datetime.timedelta(seconds=60 + 120)

        clock.shift(datetime.timedelta(seconds=120))
        call_command("webhooks", "retry")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_try_at) == ("failed", 3, None)
        assert len(server.received) == 3
        # Every try carried the same body, each signed with the time it was sent.
        assert len({r.body for r in server.received}) == 1

        clock.shift(datetime.timedelta(days=1))
        call_command("webhooks", "retry")
        assert len(server.received) == 3  # given up: only --failed tries again

        server.answer("/hook", Reply(status=204, body=b""))
        call_command("webhooks", "retry", "--failed")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_code) == (
            "delivered",
            1,
            204,
        )
        assert signing.verify(
            SECRET, server.received[-1].body, server.received[-1].headers["X-Jaga-Signature"]
        )
    (row,) = AuditLog.objects.filter(action="webhooks.retry")
    assert row.before == {"status": "failed", "attempts": 3}
    assert verify_chain().intact


def test_a_timeout_counts_as_a_failed_try(
    server: LocalServer,
    settings: Any,
    file_report: Any,
    village_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_TIMEOUT = 0.3
    server.answer("/slow", Reply(delay=1.0))
    endpoint(server.url("/slow"))
    with django_capture_on_commit_callbacks(execute=True):
        file_report(village_a)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.response_code is None and delivery.error
    assert delivery.next_try_at is not None


def test_a_redirect_is_not_followed(
    server: LocalServer, file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    server.answer("/moved", Reply(status=302, headers={"Location": server.url("/elsewhere")}))
    endpoint(server.url("/moved"))
    with django_capture_on_commit_callbacks(execute=True):
        file_report(village_a)
    assert [r.path for r in server.received] == ["/moved"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("pending", 302)


@pytest.mark.parametrize(
    "url",
    [
        "http://{host}:{port}/hook",  # plain http
        "https://{host}:{port}/hook",  # a loopback address
        "https://localhost:{port}/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/hook",
        "https://[::1]:{port}/hook",
        "ftp://example.org/hook",
    ],
)
def test_private_addresses_and_plain_http_are_refused(
    settings: Any,
    url: str,
    file_report: Any,
    village_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with local_server() as server:
        settings.OUTBOUND_ALLOW_PRIVATE = False
        endpoint(url.format(host=server.host, port=server.port))
        with django_capture_on_commit_callbacks(execute=True):
            file_report(village_a)
        assert server.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.response_code is None
    assert delivery.error


def test_a_name_that_resolves_to_a_private_address_is_refused_after_connecting() -> None:
    """The peer is checked on the socket, so DNS cannot smuggle a private address past the
    check of the URL."""
    with local_server() as server:
        connection = outbound._GuardedHTTPConnection(server.host, server.port, private=False)
        with pytest.raises(outbound.OutboundError) as caught:
            connection.connect()
        assert caught.value.code == "private_address"
        allowed = outbound._GuardedHTTPConnection(server.host, server.port, private=True)
        allowed.connect()
        allowed.close()
        assert server.received == []


@pytest.mark.parametrize(
    "address, public",
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert outbound.is_public_address(address) is public


def test_the_signature_refuses_a_changed_body_an_old_time_and_another_secret() -> None:
    body = b'{"event":"report.created"}'
    header = signing.signature(SECRET, body, 1_800_000_000)
    assert signing.verify(SECRET, body, header, now=1_800_000_000 + 299)
    assert not signing.verify(SECRET, body + b" ", header, now=1_800_000_000)
    assert not signing.verify(SECRET, body, header, now=1_800_000_000 + 301)
    assert not signing.verify("another-secret-of-enough-length", body, header, now=1_800_000_000)
    assert not signing.verify(SECRET, body, "v1=abc", now=1_800_000_000)


def test_admins_register_endpoints_with_a_generated_secret(admin_client_: Any) -> None:
    url = reverse("admin:webhooks_endpoint_add")
    refused = admin_client_.post(
        url,
        {
            "name": "Dashboard",
            "url": "http://127.0.0.1/hook",
            "events": ["report.created"],
            "territory_code": "99.99",
            "is_active": "on",
        },
    )
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert set(errors) == {"url", "territory_code"}
    assert not Endpoint.objects.exists()
    saved = admin_client_.post(
        url,
        {
            "name": "Dashboard",
            "url": "https://dashboard.example.org/hook",
            "events": ["report.created", "alarm.raised"],
            "territory_code": "35.03.11",
            "is_active": "on",
        },
    )
    assert saved.status_code == 302
    made = Endpoint.objects.get()
    assert made.events == ["report.created", "alarm.raised"]
    assert len(made.secret) >= 32
    (row,) = AuditLog.objects.filter(action="admin.add", object_type="webhooks.endpoint")
    assert row.after["secret"] == "***"


def test_the_delivery_log_shows_status_code_tries_and_next_try(
    server: LocalServer,
    admin_client_: Any,
    file_report: Any,
    village_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    server.answer("/hook", Reply(status=500))
    endpoint(server.url("/hook"), name="Dasbor Polres")
    with django_capture_on_commit_callbacks(execute=True):
        file_report(village_a)
    delivery = Delivery.objects.get()
    page = admin_client_.get(reverse("admin:webhooks_delivery_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert delivery.delivery_id in text and "Dasbor Polres" in text and "500" in text
    assert admin_client_.get(reverse("admin:webhooks_delivery_add")).status_code == 403

    server.answer("/hook", Reply(status=200))
    answer = admin_client_.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
