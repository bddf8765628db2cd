"""Browser scenarios of the words part: the language switch, and desk triage to close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jaga.accounts.models import User
from jaga.servicedesk import services
from jaga.servicedesk.models import Channel, Service, ServiceRequest, Status
from tests.browser import pagecheck
from tests.browser.conftest import DESKTOP, goto, login, shot
from tests.servicedesk.conftest import units  # noqa: F401

PASSWORD = "correct horse battery"  # tests/factories.py


def _lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang"))


@pytest.fixture
def english_browser(browser: Any, base_url: str) -> Iterator[Any]:
    """A desktop whose browser asks for English (Accept-Language: en-US)."""
    context = browser.new_context(base_url=base_url, locale="en-US", viewport=DESKTOP)
    context.set_default_timeout(20_000)
    context.jaga_base_url = base_url
    page = context.new_page()
    pagecheck.watch(page)
    try:
        yield page
        if not page.is_closed():
            pagecheck.check_page(page)
    finally:
        context.close()


def _switch(page: Any, language: str) -> None:
    with page.expect_navigation():
        page.locator("#lang-select").select_option(language)
    pagecheck.check_page(page)


def _log_in(page: Any, username: str) -> None:
    goto(page, "/akun/masuk/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    pagecheck.check_page(page)


def test_the_language_switch_is_remembered_across_pages_and_after_logging_in_again(
    english_browser: Any, desktop_page: Any, alice: User
) -> None:
    page = english_browser
    goto(page, "/")
    assert _lang(page) == "id"  # an English browser still gets the Indonesian site
    assert page.get_by_role("link", name="Masuk").first.is_visible()
    _switch(page, "en")
    assert _lang(page) == "en"
    for path in ("/layanan/lapor/", "/publik/", "/akun/masuk/"):
        goto(page, path)
        assert _lang(page) == "en", path
    _log_in(page, "alice")
    assert _lang(page) == "en"
    alice.refresh_from_db()
    assert alice.language == "en"  # a choice made before logging in is kept on the account
    shot(page, "bahasa-inggris")

    # Another phone or browser, Indonesian: after logging in, the account's English applies.
    goto(desktop_page, "/akun/masuk/")
    assert _lang(desktop_page) == "id"
    _log_in(desktop_page, "alice")
    assert _lang(desktop_page) == "en"
    goto(desktop_page, "/lapangan/")
    assert _lang(desktop_page) == "en"
    _switch(desktop_page, "id")  # and back: stored on the account too
    assert _lang(desktop_page) == "id"
    alice.refresh_from_db()
    assert alice.language == "id"


@pytest.fixture
def reported(units: dict, village_a: Any) -> ServiceRequest:  # noqa: F811
    report, _created = services.submit_request(
        service=Service.objects.get(code="knalpot_brong"),
        village=village_a,
        description="Knalpot brong tiap malam di depan balai desa.",
        channel=Channel.WEB,
        anonymous=False,
        reporter_name="Sri Wahyuni",
        phone="081298765432",
    )
    return report


def _move(page: Any, status: str, *, assignee: str = "", note: str = "") -> None:
    form = page.locator("form:has(select[name=status])")
    form.locator("select[name=status]").select_option(status)
    if assignee:
        form.locator("select[name=assignee]").select_option(assignee)
    if note:
        form.locator("textarea[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    pagecheck.check_page(page)


def test_desk_triage_to_close_with_the_confirmation(
    phone_page: Any, bob: User, alice: User, reported: ServiceRequest
) -> None:
    page = phone_page
    login(page, bob)
    goto(page, "/layanan/?status=open")
    page.locator(f"a[href='/layanan/tiket/{reported.ticket}/']:visible").first.click()
    page.wait_for_url(f"**/layanan/tiket/{reported.ticket}/")
    pagecheck.check_page(page)
    _move(page, "assigned", assignee=str(alice.pk))
    _move(page, "resolved", note="Sudah ditertibkan bersama Bhabinkamtibmas.")
    reported.refresh_from_db()
    assert reported.status == Status.RESOLVED

    # Closing asks first and says who will be told; going back changes nothing.
    _move(page, "closed", note="Selesai.")
    assert "Pelapor akan diberi tahu" in page.content()
    shot(page, "meja-konfirmasi-tutup")
    with page.expect_navigation():
        page.get_by_role("link", name="Tidak, kembali").click()
    reported.refresh_from_db()
    assert reported.status == Status.RESOLVED

    _move(page, "closed", note="Selesai.")
    with page.expect_navigation():
        page.get_by_role("button", name="Ya, tandai “Ditutup”").click()
    pagecheck.check_page(page)
    reported.refresh_from_db()
    assert reported.status == Status.CLOSED
