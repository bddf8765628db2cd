"""An anonymous visitor on a phone walks the public pages: the landing page, the report start,
the ticket lookup, the public portal of the regency and a district, the survey pages and the
login page. Every page passes the browser checks (no console error, no CSP violation, no
horizontal scroll at 360 px, nothing left in English)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import goto, shot

PUBLIC_PAGES = [
    ("/", "publik-beranda"),
    ("/layanan/lapor/", "publik-lapor"),
    ("/layanan/lacak/", "publik-lacak"),
    ("/publik/", "publik-portal"),
    ("/publik/35.03/", None),
    ("/publik/35.03.11/", "publik-portal-kecamatan"),
    ("/survei/ikm/", None),
    ("/survei/aman/", None),
    ("/akun/masuk/", "publik-masuk"),
]


def test_an_anonymous_visitor_reads_every_public_page_on_a_phone(phone_page: Any) -> None:
    for path, name in PUBLIC_PAGES:
        goto(phone_page, path)
        assert phone_page.locator("main, body").first.inner_text().strip(), path
        if name:
            shot(phone_page, name)


def test_the_landing_page_leads_a_visitor_to_the_report_form(phone_page: Any) -> None:
    goto(phone_page, "/")
    phone_page.locator("a[href='/layanan/lapor/']:visible").first.click()
    phone_page.wait_for_url("**/layanan/lapor/")
    assert phone_page.locator("html").get_attribute("lang") == "id"
