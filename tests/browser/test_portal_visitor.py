"""A portal visitor on a phone goes from the regency to a district and a village, and sees the
chart, the map and the trend in words on each; every page passes the browser checks."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest

from jaga.core.months import add_months
from jaga.territory.models import Territory
from tests.browser.conftest import goto, shot
from tests.reports.conftest import incident

MARCH = datetime.date(2022, 3, 1)


@pytest.fixture
def published_year(live_db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve published months (April 2021 – March 2022) of Kecamatan Trenggalek, falling in
    the second half, with village centres for the map."""
    from jaga.reports import public

    monkeypatch.setattr(public, "_trend", lambda *args: {})  # the analytics fit: not this test
    rng = random.Random(3)
    villages = list(Territory.objects.filter(parent__code="35.03.11").order_by("code"))
    for i, village in enumerate(villages):
        Territory.objects.filter(pk=village.pk).update(
            latitude=-8.05 + i / 150, longitude=111.70 + (i % 4) / 100
        )
    months = [add_months(MARCH, -11 + i) for i in range(12)]
    for n, month in enumerate(months):
        for village in villages:
            count = rng.randint(2, 5) if n < 6 else rng.randint(0, 2)
            if count:
                incident(village, month, "pencurian", count)
    others = [
        Territory.objects.filter(parent=d).order_by("code").first()
        for d in Territory.objects.filter(parent__code="35.03").exclude(code="35.03.11")
    ]
    for month in months:  # every other district has some too, as real ones do
        for village in others:
            incident(village, month, "pencurian", 4)
        public.publish("35.03", month)


def test_a_portal_visitor_on_a_phone_drills_from_the_regency_to_a_village(
    phone_page: Any, published_year: None
) -> None:
    page = phone_page
    goto(page, "/publik/35.03/?bulan=2022-03")
    assert page.locator(".portal-chart").count() >= 1
    assert page.locator(".trend-words").first.inner_text().startswith("Dalam 12 bulan terakhir")

    page.locator("ul.kids a", has_text="Trenggalek").first.click()
    page.wait_for_url("**/publik/35.03.11/?bulan=2022-03")
    page.wait_for_selector(".jaga-map.leaflet-container")
    from tests.browser import pagecheck

    pagecheck.check_page(page)
    words = page.locator(".trend-words").first.inner_text()
    assert "Kecamatan Trenggalek cenderung turun" in words, words
    chart = page.locator("svg.portal-chart").first
    assert chart.get_attribute("role") == "img"
    assert chart.bounding_box()["width"] <= 360  # type: ignore[index]
    assert page.locator(".jaga-map path.leaflet-interactive").count() >= 10  # the villages
    shot(page, "publik-portal-kecamatan-peta")

    page.locator("ul.kids a", has_text="Tamanan").first.click()
    page.wait_for_url("**/publik/35.03.11.1002/?bulan=2022-03")
    page.wait_for_selector(".jaga-map.leaflet-container")
    pagecheck.check_page(page)
    assert page.locator("h1").inner_text().endswith("Tamanan")
    assert page.locator("svg.portal-chart").count() == 2  # the village's quarters, the district
    village_words = page.locator(".trend-words").first.inner_text()
    assert village_words.startswith("Dalam 12 bulan terakhir") or "Kecamatan Trenggalek" in (
        village_words
    )
    assert page.locator(".jaga-map path.leaflet-interactive").count() >= 10
    shot(page, "publik-portal-desa")
