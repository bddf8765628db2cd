"""Browser tests: Playwright for Python driving Debian's chromium against pytest-django's
live server. docs/testing.md says how to run and write them.

- `browser` (per module): chromium from `JAGA_CHROMIUM` or /usr/bin/chromium, never a download.
  Missing chromium fails the test with a message; `JAGA_SKIP_BROWSER=1` skips them instead (a
  developer's choice; CI never sets it).
- `phone_page` (360 x 780, Indonesian, touch) and `desktop_page` (1280 x 800): pages whose console
  errors, uncaught errors and CSP violations are collected from the start; `check_page` (called
  by `goto` and at the end of every test on the last page) fails on any of them, on horizontal
  scroll and on English text left untranslated on an Indonesian page.
- `login(page, user)`: a session made by Django's test client (past the two-factor step for
  leaders and administrators) copied into the browser.
- `shot(page, name)`: with `JAGA_GUIDE_SHOTS=1`, a screenshot for the user guides in
  docs/guide/img/NAME.png (palette PNG); otherwise nothing.

Every browser test runs on a transactional database (the live server is another thread); the
shared data (territory, catalogues) is put back before each test and after the module.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import pagecheck

ROOT = Path(__file__).resolve().parents[2]
GUIDE_IMG = ROOT / "docs" / "guide" / "img"
CHROMIUM = os.environ.get("JAGA_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 800}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Everything under tests/browser/ carries the `browser` mark (so `-m "not browser"` works)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- database


def _restore(saved: str) -> None:
    """Put the serialized shared data back into a flushed database (see tests/conftest.py)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    Permission.objects.all().delete()
    ContentType.objects.all().delete()
    ContentType.objects.clear_cache()
    connection.creation.deserialize_db_from_string(saved)


@pytest.fixture(scope="module")
def _shared_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The shared data as this module found it; put back after the module's last flush."""
    from django.db import connection

    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    yield saved
    with django_db_blocker.unblock():
        _restore(saved)


@pytest.fixture
def live_db(transactional_db: Any, _shared_data: str) -> None:
    """A transactional database holding the shared data (the previous test's flush removed it)."""
    from jaga.territory.models import Territory

    if not Territory.objects.exists():
        _restore(_shared_data)


class _InFlight:
    """Counts the live server's requests being handled. Its request threads are daemons that
    nobody joins: a request the browser started before its page closed (a map's data, a poll)
    could still be running, on the test's own connection (SQLite in memory is shared with the
    server), while the test's flush empties the database; the flush then failed and the next
    test in the worker found the last one's rows."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def track(self, httpd: Any) -> None:
        if getattr(httpd, "jaga_in_flight", None) is self:
            return
        handle = httpd.process_request_thread

        def counted(request: Any, client_address: Any) -> None:
            with self.changed:
                self.count += 1
            try:
                handle(request, client_address)
            finally:
                with self.changed:
                    self.count -= 1
                    self.changed.notify_all()

        httpd.process_request_thread = counted
        httpd.jaga_in_flight = self

    def wait_idle(self, timeout: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout=timeout)


_IN_FLIGHT = _InFlight()


@pytest.fixture
def base_url(live_server: Any, live_db: None) -> Iterator[str]:
    """The live server's address. After the test (its pages closed first), waits until the
    server has finished every request, so the flush that follows runs alone."""
    _IN_FLIGHT.track(live_server.thread.httpd)
    yield str(live_server.url)
    assert _IN_FLIGHT.wait_idle(), "the live server was still handling a request after 30 s"


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser(_shared_data: str) -> Iterator[Any]:
    """One chromium per test module. Playwright's synchronous API keeps an event loop running in
    this thread while it is started, which Django's ORM takes for an async context: the module
    allows it while the browser is up and stops Playwright afterwards, so later tests in the same
    worker run with Django's check intact."""
    if os.environ.get("JAGA_SKIP_BROWSER") == "1":
        pytest.skip("JAGA_SKIP_BROWSER=1: browser tests skipped")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: install Debian's chromium (`apt-get install "
            "chromium`, .ci/run does) or set JAGA_CHROMIUM to its path; JAGA_SKIP_BROWSER=1 "
            "skips the browser tests (never in CI)",
            pytrace=False,
        )
    yield from launch_chromium()


def launch_chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's chromium in Indonesian (with `extra_args`, e.g. a fake camera), Playwright
    started and stopped around it, Django's async check relaxed while it runs."""
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-dev-shm-usage", "--lang=id-ID", *extra_args],
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def _page(browser: Any, base_url: str, **options: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=base_url,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        accept_downloads=True,
        **options,
    )
    # A busy CI machine (2 cores, two xdist workers, chromium) can be slow: generous limits,
    # which a working page never gets near.
    context.set_default_timeout(20_000)
    context.set_default_navigation_timeout(60_000)
    context.jaga_base_url = base_url
    page = context.new_page()
    pagecheck.watch(page)
    try:
        yield page
        if not page.is_closed() and not getattr(page, "jaga_failed", False):
            pagecheck.check_page(page)
    finally:
        context.close()


PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture
def phone390(browser: Any, base_url: str) -> Iterator[Any]:
    """A 390 px phone with touch, in Indonesian (the width the issues name)."""
    yield from _page(
        browser,
        base_url,
        viewport=PHONE_390,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def phone_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A 360 px Android-like phone in Indonesian with touch."""
    yield from _page(
        browser,
        base_url,
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0 Mobile Safari/537.36"
        ),
    )


@pytest.fixture
def desktop_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A 1280 px desktop in Indonesian."""
    yield from _page(browser, base_url, viewport=DESKTOP, device_scale_factor=1)


# --------------------------------------------------------------------------- helpers


def login(page: Any, user: Any) -> None:
    """Sign `user` in: a Django test client's session (two-factor step passed for leaders and
    administrators) becomes the browser's session cookie."""
    import time

    from django.conf import settings
    from django.db import OperationalError

    from tests.conftest import client_for

    # On SQLite the live server shares the in-memory test database (shared cache), where a
    # table another thread is reading is locked at once, with no busy wait: a request of the
    # previous page still being served makes the session's INSERT fail ("database table is
    # locked"). Such a write is tried again; any other error is not.
    for attempt in range(50):
        try:
            client = client_for(user)
            break
        except OperationalError as exc:
            if "is locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": page.context.jaga_base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def goto(page: Any, path: str, *, check: bool = True) -> Any:
    """Open `path` (relative to the live server), fail on a status >= 400, and check the page."""
    response = page.goto(path)
    assert response is not None, path
    assert response.status < 400, f"{path}: HTTP {response.status}"
    if check:
        pagecheck.check_page(page)
    return response


def shot(page: Any, name: str, *, full_page: bool = False) -> Path | None:
    """A guide screenshot docs/guide/img/NAME.png, only with JAGA_GUIDE_SHOTS=1."""
    if os.environ.get("JAGA_GUIDE_SHOTS") != "1":
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits and dashes")
    from io import BytesIO

    from PIL import Image

    GUIDE_IMG.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
    image = Image.open(BytesIO(png)).convert("RGB")
    if image.height > 2400:  # a long page: keep its top
        image = image.crop((0, 0, image.width, 2400))
    path = GUIDE_IMG / f"{name}.png"
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    return path
