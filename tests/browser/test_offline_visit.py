"""The officers' app offline: a Bhabinkamtibmas records a visit with a photo without signal; it
waits in the phone's outbox (IndexedDB) and is sent with its idempotency key when the signal
returns. Exactly one record arrives."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.urls import reverse
from PIL import Image

from jaga.fieldwork.models import Visit
from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot


def _until(check: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _settled(page: Any, expression: str) -> Any:
    """Evaluate once the page has stopped navigating (logout redirects, and the signed-out page
    may reload itself after clearing the caches)."""
    for _ in range(20):
        page.wait_for_load_state()
        try:
            return page.evaluate(expression)
        except Exception as error:  # the page navigated between the wait and the evaluation
            if "Execution context was destroyed" not in str(error):
                raise
            time.sleep(0.2)
    return page.evaluate(expression)


def _controlled(page: Any) -> None:
    """Wait until the service worker controls the page (it claims it once installed)."""
    page.evaluate("() => navigator.serviceWorker.ready")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    assert _until(lambda: page.evaluate("() => !!navigator.serviceWorker.controller"))


def test_a_visit_recorded_offline_with_a_photo_is_sent_once_back_online(
    phone_page: Any, alice: Any, village_a: Any, tmp_path: Path
) -> None:
    page = phone_page
    photo = tmp_path / "rumah.jpg"
    Image.new("RGB", (120, 90), (40, 120, 60)).save(photo, "JPEG")
    login(page, alice)
    goto(page, reverse("fieldwork:visit_new"))
    _controlled(page)
    pagecheck.check_page(page)

    page.context.set_offline(True)
    assert page.evaluate("() => navigator.onLine") is False
    page.fill("#id_visited_on", "2024-03-05")
    page.get_by_label("Kepala keluarga").fill("Pak Slamet")
    page.get_by_label("Harapan yang didengar").fill("Lampu jalan di RT 02 dipasang")
    page.set_input_files("#id_photo", str(photo))
    key = page.input_value("[name=client_key]")
    page.get_by_role("button", name="Simpan").click()

    # No browser error page: the entry waits on the phone, with its photo.
    page.wait_for_url("**/lapangan/menunggu/**")
    entry = page.locator(".outbox-entry")
    entry.wait_for()
    assert entry.count() == 1
    text = entry.inner_text()
    assert "Catat sambang" in text and village_a.name in text and "Foto tersimpan: 1" in text
    assert page.locator("#outbox-badge [data-count]").inner_text() == "1"
    shot(page, "bhabin-menunggu-dikirim")
    assert not Visit.objects.exists()

    # The form still opens without signal (from the worker's cache), with a new key.
    page.goto(reverse("fieldwork:visit_new"))
    assert page.locator("[name=household_head]").count() == 1
    assert page.input_value("[name=client_key]") not in ("", key)
    page.goto(reverse("fieldwork:outbox"))
    page.locator(".outbox-entry").wait_for()

    # Signal back: sent by itself (the `online` event), exactly once, photo included.
    page.context.set_offline(False)
    page.locator("#outbox-empty").wait_for(state="visible")
    assert _until(lambda: Visit.objects.count() == 1)
    page.reload()
    page.locator("#outbox-empty").wait_for(state="visible")
    assert page.locator("#outbox-badge").is_hidden()
    time.sleep(1)  # a second sender (page load, Background Sync) would have arrived by now
    visit = Visit.objects.get()
    assert str(visit.client_key) == key
    assert visit.household_head == "Pak Slamet" and visit.officer == alice
    assert visit.photo
    pagecheck.check_page(page)


def _entry(page: Any, user: Any, village: Any, **fields: str) -> str:
    """Put an entry into the phone's outbox as the form would."""
    data = {
        "village": str(village.pk),
        "visited_on": "2024-03-05",
        "household_head": "Bu Sri",
        "members_met": "1",
        "topic": "economy",
        **fields,
    }
    return str(
        page.evaluate(
            """([user, fields]) => {
              const key = crypto.randomUUID();
              return JagaOutbox.put({key, user: String(user), form: "visit", title: "Sambang",
                url: "/lapangan/kunjungan/baru/", fields: [["client_key", key], ...Object.entries(fields)],
                files: [], village: "Tamanan", created: new Date().toISOString(), status: "waiting",
                errors: []}).then(() => key);
            }""",
            [user.pk, data],
        )
    )


def test_the_outbox_keeps_refused_entries_and_never_sends_another_accounts(
    phone_page: Any, alice: Any, bob: Any, village_a: Any
) -> None:
    page = phone_page
    login(page, alice)
    goto(page, reverse("fieldwork:outbox"))
    _controlled(page)
    page.context.set_offline(True)
    refused = _entry(page, alice, village_a)  # no concern and no hope: the server refuses it
    foreign = _entry(page, bob, village_a, hopes="Jalan desa diperbaiki")
    page.context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").click()
    card = page.locator(f'.outbox-entry[data-key="{refused}"]')
    card.locator(".errorlist").wait_for()
    assert "Belum diterima" in card.inner_text()
    assert "keluhan atau harapan" in card.inner_text()
    assert page.locator(".outbox-entry").count() == 1  # Bob's entry is not shown to Alice
    assert "1 isian milik akun lain" in page.locator("#outbox-others").inner_text()
    assert not Visit.objects.exists()
    kept = page.evaluate("() => JagaOutbox.all().then(list => list.map(e => e.key).sort())")
    assert kept == sorted([refused, foreign])

    # Logout: the officer's cached pages leave the phone; the entries stay for their owners.
    assert page.evaluate("() => caches.keys().then(k => k.some(n => n.startsWith('jaga-pages-')))")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_load_state()
    assert _until(
        lambda: (
            not _settled(
                page, "() => caches.keys().then(k => k.some(n => n.startsWith('jaga-pages-')))"
            )
        )
    )
    assert _settled(page, "() => JagaOutbox.getUser()") is None
    assert len(_settled(page, "() => JagaOutbox.all()")) == 2
    assert not Visit.objects.exists()
