"""The per-page checker catches what it promises: console errors, uncaught errors, CSP
violations, horizontal scroll and English text the catalogues translate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import pagecheck
from tests.browser.conftest import goto

VP = "<meta name='viewport' content='width=device-width, initial-scale=1'>"


def _serve(page: Any, body: str, *, csp: str = "") -> None:
    body = body.replace("{VP}", VP)
    headers = {"Content-Security-Policy": csp} if csp else {}

    def fulfil(route: Any) -> None:
        route.fulfill(status=200, content_type="text/html", body=body, headers=headers)

    page.route("**/selftest/", fulfil)


def _problems(page: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        pagecheck.check_page(page)
    page.jaga_problems.clear()  # the fixture checks the page again at the end
    page.goto("about:blank")
    return str(caught.value)


def test_the_catalogue_holds_the_projects_english_msgids() -> None:
    english = pagecheck.english_msgids()
    assert len(english) > 500
    assert "Service desk" in english or "Reports" in english
    assert not {text for text in english if len(text) < pagecheck.MIN_LENGTH}


def test_a_clean_indonesian_page_passes(phone_page: Any) -> None:
    _serve(phone_page, "<html lang='id'><head>{VP}</head><body><p>Laporan warga</p></body></html>")
    goto(phone_page, "/selftest/")


@pytest.mark.parametrize(
    ("body", "csp", "expected"),
    [
        (
            "<html lang='id'><head>{VP}</head><body><script>console.error('boom')</script></body></html>",
            "",
            "console error: boom",
        ),
        (
            "<html lang='id'><head>{VP}</head><body><script>null.x()</script></body></html>",
            "",
            "uncaught error",
        ),
        (
            "<html lang='id'><head>{VP}</head><body><script>1</script></body></html>",
            "script-src 'self'",
            "CSP violation: script-src",
        ),
        (
            "<html lang='id'><head>{VP}</head><body><div style='width:900px'>x</div></body></html>",
            "",
            "horizontal scroll",
        ),
    ],
)
def test_a_broken_page_fails_the_check(phone_page: Any, body: str, csp: str, expected: str) -> None:
    _serve(phone_page, body, csp=csp)
    phone_page.goto("/selftest/")
    assert expected in _problems(phone_page)


def test_english_left_on_an_indonesian_page_fails_but_not_on_an_english_one(
    phone_page: Any,
) -> None:
    msgid = sorted(pagecheck.english_msgids())[0]
    _serve(phone_page, f"<html lang='id'><head>{VP}</head><body><p>  {msgid} </p></body></html>")
    phone_page.goto("/selftest/")
    assert "untranslated" in _problems(phone_page)
    _serve(phone_page, f"<html lang='en'><head>{VP}</head><body><p>{msgid}</p></body></html>")
    goto(phone_page, "/selftest/")
