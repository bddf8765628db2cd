"""Browser scenario: the check-in desk at a village hall without signal. The camera scans three
invitations; each waits on the phone (localStorage) with the time it was scanned; when the
signal returns the queue goes to the desk as one batch, the invitees are checked in at the time
they were scanned (on time, though the batch arrives after the grace period), and a code the
desk refuses is listed for the officer.

Chromium's fake camera plays a Y4M video that shows the cards one after the other
(`--use-file-for-fake-video-capture`), so the scanner's own path runs: camera, jsQR, the queue.
The phone's clock is set back (`page.clock`) to before the start of the meeting: the server
believes a scan's own time within the last two days.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from tests.browser import camera, pagecheck
from tests.browser.conftest import PHONE_390, goto, login, shot
from tests.programs.qrvideo import qr_cycle_y4m


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: Any) -> Path:
    return Path(tmp_path_factory.mktemp("camera")) / "cards.y4m"


@pytest.fixture(scope="module")
def browser(_shared_data: str, camera_file: Path) -> Iterator[Any]:
    """Chromium with a fake camera that plays `camera_file`."""
    yield from camera.camera_browser(camera_file)


@pytest.fixture
def camera_phone(browser: Any, base_url: str) -> Iterator[Any]:
    """A 390 px phone allowed to use the camera."""
    yield from camera.camera_phone(browser, base_url, PHONE_390)


def _scan(page: Any, count: int) -> None:
    """Start the camera, wait until `count` scans wait on the phone, stop the camera."""
    page.get_by_role("button", name="Pindai dengan kamera").click()
    page.locator(f'[data-scan-queue][data-count="{count}"]').wait_for(timeout=30_000)
    page.get_by_role("button", name="Matikan kamera").click()


def _queue(page: Any, key: str) -> list[dict[str, Any]]:
    return list(json.loads(page.evaluate("(key) => localStorage.getItem(key) || '[]'", key)))


def test_scans_without_signal_wait_on_the_phone_and_go_as_one_batch(
    camera_phone: Any, camera_file: Path, bob: Any, satbinmas: Any
) -> None:
    from jaga.partners import services as partners
    from jaga.programs import services as programs
    from jaga.programs.models import Invitation
    from jaga.programs.services.attendance import wrong_activity
    from jaga.territory.models import Territory

    page = camera_phone
    tamanan = Territory.objects.get(code="35.03.11.1002")
    programme = programs.create_programme(actor=satbinmas, code="FKPM", name="FKPM")
    now = timezone.now()
    starts = now - datetime.timedelta(hours=1)
    activity, other = (
        programs.record_activity(
            actor=satbinmas,
            programme=programme,
            kind="meeting",
            title=title,
            starts_at=starts,
            village=tamanan,
            grace_minutes=15,
        )
        for title in ("Rapat warga Tamanan", "Rapat RT 02")
    )
    names = ["Sutrisno", "Warsini", "Mulyono"]
    invitations = [
        programs.invite(
            activity,
            actor=satbinmas,
            person=partners.create_person(actor=satbinmas, full_name=name, village=tamanan),
        )
        for name in names
    ]
    stranger = programs.invite(
        other,
        actor=satbinmas,
        person=partners.create_person(actor=satbinmas, full_name="Paijo", village=tamanan),
    )
    base = page.context.jaga_base_url
    qr_cycle_y4m([f"{base}/program/hadir/{i.code}/" for i in invitations], camera_file)

    # The door opened ten minutes before the start, by the phone's clock; the batch reaches the
    # server an hour later, well past the 15 minutes of grace.
    scanned_from = starts - datetime.timedelta(minutes=10)
    page.clock.install(time=scanned_from)
    login(page, bob)
    goto(page, f"/program/kegiatan/{activity.pk}/meja-hadir/")
    page.wait_for_function("() => typeof window.jsQR === 'function'")  # fetched with signal
    key = f"jaga-scans-{bob.pk}-{activity.pk}"
    queue = page.locator("[data-scan-queue]")
    assert queue.is_hidden()

    page.context.set_offline(True)
    _scan(page, 3)
    result = page.locator("#scan-result.queued")
    assert result.is_visible()
    assert "Disimpan di HP ini" in result.inner_text()
    assert "Pindaian menunggu sinyal: 3" in queue.inner_text()
    assert page.get_by_role("button", name="Kirim sekarang").is_visible()
    kept = _queue(page, key)
    assert sorted(s["code"] for s in kept) == sorted(i.code for i in invitations)
    pagecheck.check_page(page)  # fits 390 px, words translated
    shot(page, "organisator-pindai-tanpa-sinyal", full_page=True)
    time.sleep(1)
    statuses = Invitation.objects.filter(activity=activity).values_list("status", flat=True)
    assert set(statuses) == {"pending"}  # nothing reached the server

    # Signal back: the `online` event sends the queue, once; the counter goes to 0.
    page.context.set_offline(False)
    page.locator('[data-scan-queue][data-count="0"]').wait_for()
    summary = page.locator("[data-queue-summary-line]")
    summary.wait_for()
    assert summary.inner_text() == "Terkirim 3: 3 tercatat hadir, 0 sudah tercatat, 0 ditolak."
    assert page.locator("[data-queue-line]").is_hidden()
    assert _queue(page, key) == []
    for inv in invitations:
        inv.refresh_from_db()
        assert inv.status == "present", inv.invitee_name  # on time when scanned, not when sent
        assert inv.checked_in_at is not None
        assert scanned_from <= inv.checked_in_at <= scanned_from + datetime.timedelta(minutes=3)

    # A card of another meeting, scanned without signal, is refused when sent and listed.
    page.context.set_offline(True)
    qr_cycle_y4m([f"{base}/program/hadir/{stranger.code}/"], camera_file)
    _scan(page, 1)
    page.context.set_offline(False)
    refused = page.locator("[data-queue-refused]")
    refused.wait_for()
    assert stranger.code in refused.inner_text()
    with translation.override("id"):
        assert str(wrong_activity().message) in refused.inner_text()
    assert summary.inner_text() == "Terkirim 4: 3 tercatat hadir, 0 sudah tercatat, 1 ditolak."
    stranger.refresh_from_db()
    assert stranger.status == "pending"

    # A reload finds nothing waiting on the phone.
    page.reload()
    assert page.locator("[data-scan-queue]").is_hidden()
    assert page.locator("[data-scan-queue]").get_attribute("data-count") == "0"
    assert _queue(page, key) == []


def test_a_queue_left_on_the_phone_is_kept_until_the_desk_answers_and_sent_on_send_now(
    camera_phone: Any, bob: Any, satbinmas: Any
) -> None:
    from jaga.partners import services as partners
    from jaga.programs import services as programs
    from jaga.territory.models import Territory

    page = camera_phone
    tamanan = Territory.objects.get(code="35.03.11.1002")
    programme = programs.create_programme(actor=satbinmas, code="FKPM", name="FKPM")
    activity = programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat warga Tamanan",
        starts_at=timezone.now() + datetime.timedelta(minutes=30),
        village=tamanan,
    )
    invitations = [
        programs.invite(
            activity,
            actor=satbinmas,
            person=partners.create_person(actor=satbinmas, full_name=name, village=tamanan),
        )
        for name in ("Sutrisno", "Warsini")
    ]
    scanned = (timezone.now() - datetime.timedelta(minutes=2)).replace(microsecond=0)
    desk = f"/program/kegiatan/{activity.pk}/meja-hadir/"
    page.clock.install()  # the phone's timers: its retries run when the test says
    login(page, bob)
    goto(page, desk)
    key = f"jaga-scans-{bob.pk}-{activity.pk}"
    page.evaluate(
        "([key, scans]) => localStorage.setItem(key, JSON.stringify(scans))",
        [
            key,
            [
                {
                    "id": f"s{n}",
                    "code": inv.code,
                    "at": scanned.isoformat(),
                    "representative_name": "",
                }
                for n, inv in enumerate(invitations)
            ],
        ],
    )

    # The page opens with scans waiting and sends them; a sign-in page (a lost session, a
    # captive portal) is no answer: they stay on the phone.
    posts: list[str] = []

    def not_an_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.headers.get("content-type", ""))
        route.fulfill(status=200, content_type="text/html", body="<html><p>Masuk</p></html>")

    page.route(f"**{desk}", not_an_answer)
    page.reload()
    status = page.locator("[data-queue-status]")
    status.wait_for()
    assert "belum menerima" in status.inner_text()
    phone_now = datetime.datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, datetime.UTC)
    page.clock.pause_at(phone_now + datetime.timedelta(seconds=1))
    assert posts == ["application/json"]  # one batch
    # Tried again by itself a little later, still without an answer.
    page.clock.run_for(11_000)
    deadline = time.monotonic() + 20
    while len(posts) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert posts == ["application/json"] * 2
    assert page.locator("[data-scan-queue]").get_attribute("data-count") == "2"
    assert len(_queue(page, key)) == 2
    for inv in invitations:
        inv.refresh_from_db()
        assert inv.status == "pending"

    # "Send now" with the desk answering: both checked in at the time they were scanned.
    page.unroute(f"**{desk}")
    page.get_by_role("button", name="Kirim sekarang").click()
    page.locator('[data-scan-queue][data-count="0"]').wait_for()
    summary = page.locator("[data-queue-summary-line]")
    summary.wait_for()
    assert summary.inner_text() == "Terkirim 2: 2 tercatat hadir, 0 sudah tercatat, 0 ditolak."
    assert page.locator("[data-queue-refused]").is_hidden()
    assert _queue(page, key) == []
    for inv in invitations:
        inv.refresh_from_db()
        assert (inv.status, inv.checked_in_at) == ("present", scanned)
