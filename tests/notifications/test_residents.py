"""Residents: double opt-in, the village's public news, one-click unsubscribe, no leaks."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from jaga.core import events
from jaga.notifications.models import Subscription
from jaga.reports import public
from jaga.servicedesk import services as desk

pytestmark = pytest.mark.django_db

DESCRIPTION = "Pak Budi 0812-3456-7890 knalpot brong tiap malam"


_capture: list[Any] = []


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks: Any) -> Any:
    _capture[:] = [django_capture_on_commit_callbacks]
    yield
    _capture.clear()


def _subscribe(client: Client, village: Any, address: str, channel: str = "email") -> Any:
    """POST the public form; what it queued after the commit runs too."""
    with _capture[0](execute=True):
        return client.post(
            "/notifikasi/ikuti/", {"village": village.pk, "channel": channel, "address": address}
        )


def _link(body: str, part: str) -> str:
    found = re.search(rf"https?://[^\s]+/notifikasi/{part}/[^\s/]+/", body)
    assert found, body
    return found.group(0).split("/notifikasi/", 1)[1]


def _confirmed(client: Client, village: Any, address: str) -> Subscription:
    mail.outbox.clear()
    with_commit = _subscribe(client, village, address)
    assert with_commit.status_code == 200
    path = _link(mail.outbox[-1].body, "ikuti/konfirmasi")
    assert client.post("/notifikasi/" + path).status_code == 200
    return Subscription.objects.get(address=address)


def test_nothing_is_sent_before_the_confirmation_and_the_answer_reveals_nothing(
    client: Client, village_a: Any
) -> None:
    first = _subscribe(client, village_a, "Warga@Example.org")
    assert len(mail.outbox) == 1
    sub = Subscription.objects.get()
    assert sub.address == "warga@example.org" and not sub.active
    confirm_path = _link(mail.outbox[0].body, "ikuti/konfirmasi")
    # A GET (a mail scanner) confirms nothing; the POST does.
    assert client.get("/notifikasi/" + confirm_path).status_code == 200
    sub.refresh_from_db()
    assert not sub.active
    assert client.post("/notifikasi/" + confirm_path).status_code == 200
    sub.refresh_from_db()
    assert sub.active
    # Asking again for an active address: the same answer, no message.
    again = _subscribe(client, village_a, "warga@example.org")
    assert again.status_code == first.status_code == 200
    assert _strip(again) == _strip(first)
    assert len(mail.outbox) == 1
    # A wrong or expired link.
    assert client.post("/notifikasi/ikuti/konfirmasi/none/").status_code == 404


def _strip(resp: Any) -> str:
    text = resp.content.decode()
    return re.sub(r'value="[^"]{40,}"|nonce="[^"]+"|"X-CSRFToken": "[^"]+"', "", text)


def test_a_confirmation_link_expires(client: Client, village_a: Any) -> None:
    import time_machine

    start = datetime.datetime(2026, 5, 1, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _subscribe(client, village_a, "lambat@example.org")
        path = _link(mail.outbox[-1].body, "ikuti/konfirmasi")
    with time_machine.travel(start + datetime.timedelta(days=8), tick=False):
        assert client.post("/notifikasi/" + path).status_code == 404
    assert not Subscription.objects.get().active


def test_a_public_report_reaches_the_villages_subscribers_without_its_text(
    client: Client,
    village_a: Any,
    village_b: Any,
    file_report: Any,
    bob: Any,
    committed: Any,
    sent: Any,
) -> None:
    mine = _confirmed(client, village_a, "warga@example.org")
    _confirmed(client, village_b, "tetangga@example.org")
    _subscribe(client, village_a, "belum@example.org")  # never confirmed
    report = file_report(village_a, description=DESCRIPTION, reporter_name="Budi")
    mail.outbox.clear()
    committed(
        desk.moderate_request,
        report,
        actor=bob,
        approve=True,
        public_text="Suara bising di jalan desa.",
    )
    assert [m.to for m in mail.outbox] == [["warga@example.org"]]
    message = mail.outbox[0]
    assert report.ticket in message.body and "/layanan/lacak/" in message.body
    for secret in ("Budi", "0812", "Suara bising", "tiap malam"):
        assert secret not in message.body and secret not in message.subject
    # RFC 8058 one-click unsubscribe.
    leave = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert leave in message.body
    # Approving the same report again is no new publication.
    mail.outbox.clear()
    committed(desk.moderate_request, report, actor=bob, approve=True, public_text="Knalpot.")
    assert mail.outbox == []

    # The mail provider's POST, without a session or CSRF token.
    provider = Client(enforce_csrf_checks=True)
    path = leave.split("/notifikasi/", 1)[1]
    assert provider.get("/notifikasi/" + path).status_code == 200  # a GET changes nothing
    mine.refresh_from_db()
    assert mine.active
    resp = provider.post("/notifikasi/" + path, {"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    mine.refresh_from_db()
    assert not mine.active
    other = file_report(village_a)
    committed(desk.moderate_request, other, actor=bob, approve=True, public_text="Ramai.")
    assert mail.outbox == []
    assert Client().post("/notifikasi/berhenti/none/").status_code == 404


def test_a_sensitive_report_never_reaches_residents(
    client: Client, village_a: Any, committed: Any
) -> None:
    _confirmed(client, village_a, "warga@example.org")
    mail.outbox.clear()
    committed(
        events.emit,
        events.REPORT_PUBLISHED,
        territory_code=village_a.code,
        object_id="X",
        data={"sensitive": True, "service": "kdrt"},
    )
    assert mail.outbox == []


def test_whatsapp_subscribers_get_the_link_by_message(
    client: Client, village_a: Any, committed: Any, sent: Any, file_report: Any, bob: Any
) -> None:
    _subscribe(client, village_a, "0812 5555 0099", "whatsapp")
    assert [to for to, _text in sent] == ["+6281255550099"]
    path = _link(sent[-1][1], "ikuti/konfirmasi")
    client.post("/notifikasi/" + path)
    assert Subscription.objects.get().active
    report = file_report(village_a)
    sent.clear()
    committed(desk.moderate_request, report, actor=bob, approve=True, public_text="Ramai.")
    assert [to for to, _text in sent] == ["+6281255550099"]
    assert "/notifikasi/berhenti/" in sent[0][1] and "balas BERHENTI" in sent[0][1]


def test_the_monthly_figures_reach_the_regencys_subscribers_once(
    client: Client, village_a: Any, village_c: Any, committed: Any
) -> None:
    _confirmed(client, village_a, "a@example.org")
    _confirmed(client, village_c, "c@example.org")
    mail.outbox.clear()
    month = datetime.date(2026, 1, 1)
    committed(public.publish, "35.03", month)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "c@example.org"]
    # The month by its name, and the link opens that month (not whichever is latest then).
    assert all("Januari 2026" in m.subject for m in mail.outbox)
    assert all(
        "Januari 2026" in m.body and "/publik/35.03/?bulan=2026-01" in m.body for m in mail.outbox
    )
    mail.outbox.clear()
    committed(public.publish, "35.03", month)  # published again (a correction): quiet
    assert mail.outbox == []


def test_bad_addresses_and_the_rate_limit(client: Client, village_a: Any, settings: Any) -> None:
    resp = _subscribe(client, village_a, "bukan-alamat")
    assert resp.status_code == 200 and not Subscription.objects.exists()
    assert _subscribe(client, village_a, "0812", "whatsapp").status_code == 200
    assert not Subscription.objects.exists()
    settings.PUBLIC_RATE_LIMIT = 2
    assert _subscribe(client, village_a, "satu@example.org").status_code == 200
    assert _subscribe(client, village_a, "dua@example.org").status_code == 200
    assert _subscribe(client, village_a, "tiga@example.org").status_code == 429
    assert not Subscription.objects.filter(address="tiga@example.org").exists()


def test_a_report_withdrawn_before_the_worker_sends_is_not_sent(
    client: Client, village_a: Any, file_report: Any, bob: Any
) -> None:
    # The worker is behind: by the time it reaches the news, a moderator has withdrawn the public
    # version. The resident's message follows the report as it is now, not as it was.
    _confirmed(client, village_a, "warga@example.org")
    report = file_report(village_a)
    mail.outbox.clear()
    with _capture[0]() as waiting:  # the approval's event, not yet delivered
        desk.moderate_request(report, actor=bob, approve=True, public_text="Ramai.")
    desk.moderate_request(report, actor=bob, approve=False)
    for callback in waiting:
        callback()
    assert mail.outbox == []


def test_unsubscribing_twice_is_harmless_and_another_link_is_unknown(
    client: Client, village_a: Any
) -> None:
    mine = _confirmed(client, village_a, "warga@example.org")
    theirs = _confirmed(client, village_a, "tetangga@example.org")
    anonymous = Client(enforce_csrf_checks=True)
    for _ in range(2):  # the mail provider's POST, then the resident's click on the page
        assert anonymous.post(f"/notifikasi/berhenti/{mine.token}/").status_code == 200
    guessed = mine.token[:-1] + ("A" if mine.token[-1] != "A" else "B")
    assert anonymous.post(f"/notifikasi/berhenti/{guessed}/").status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert not mine.active and theirs.active
    assert len(mine.token) >= 32 and mine.token != theirs.token


def test_nobody_subscribes_to_an_ended_village(ended_village: Any) -> None:
    """The form lists today's villages only; a stale form (or any other caller) naming a village
    a pemekaran ended is refused with its successors named, and nothing is stored or sent."""
    from jaga.core.errors import DomainError
    from jaga.notifications.services import request_subscription

    with pytest.raises(DomainError) as err:
        request_subscription(ended_village, "email", "warga@example.org")
    assert err.value.code == "village_ended" and "Tamanan Baru" in str(err.value.message)
    assert not Subscription.objects.exists() and mail.outbox == []
