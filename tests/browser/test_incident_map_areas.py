"""A Polda leader's incident map (390 px phone and desktop): a circle per district of the
province, each opening its area in the register, whose map then draws the district's villages.

No tile server: the circles are drawn on a plain background.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from jaga.accounts.models import Role
from jaga.territory.models import Territory
from tests.analytics.conftest import TODAY, put_count
from tests.browser import pagecheck
from tests.browser.conftest import goto, login
from tests.conftest import _person

DISTRICTS = ["35.03.01", "35.03.02", "35.03.11", "35.03.12"]


@pytest.fixture
def counts(base_url: str) -> dict[str, int]:
    """Incidents in the first three villages of four districts, each with a centre."""
    expected: dict[str, int] = {}
    for d, district in enumerate(DISTRICTS):
        villages = Territory.objects.filter(parent__code=district).order_by("code")[:3]
        for v, village in enumerate(villages):
            Territory.objects.filter(pk=village.pk).update(
                latitude=-8.0 - 0.12 * d - 0.02 * v, longitude=111.5 + 0.1 * d + 0.02 * v
            )
            n = 2 + d + v
            put_count(village, datetime.date(2026, 11, 1), "pencurian", n)
            expected[district] = expected.get(district, 0) + n
    return expected


def circles(page: Any) -> dict[str, int]:
    """The incident circles Leaflet drew: the area or village code each links to -> count."""
    page.wait_for_function(
        "() => { const m = document.querySelector('.jaga-map'); return m && m.jagaMap && "
        "document.querySelector('.jaga-map .jm-incident'); }"
    )
    found: dict[str, int] = page.evaluate(
        "() => { const out = {}; document.querySelector('.jaga-map').jagaMap.eachLayer(l => {"
        " if (l.feature && l.feature.properties.kind === 'incident') {"
        " out[l.feature.properties.url.split('=')[1]] = l.feature.properties.count; } });"
        " return out; }"
    )
    return found


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_polda_leader_sees_districts_and_opens_one(
    request: Any, counts: dict[str, int], size: str, tmp_path: Path
) -> None:
    page = request.getfixturevalue("phone390" if size == "phone" else "desktop_page")
    polda = _person("polda", Role.LEADER, "35")
    with time_machine.travel(TODAY, tick=True):
        login(page, polda)
        goto(page, "/kejadian/")
        assert circles(page) == counts
        assert "Peta: kejadian, 3 bulan terakhir" in page.locator("main").inner_text()
        page.locator(".jaga-map").screenshot(path=str(tmp_path / f"province-{size}.png"))
        goto(page, "/kejadian/?q=35.03.11")
        villages = circles(page)
        assert len(villages) == 3 and sum(villages.values()) == counts["35.03.11"]
        assert all(code.startswith("35.03.11.") for code in villages)
        assert "Kecamatan Trenggalek" in page.locator("summary").first.inner_text()
        page.locator(".jaga-map").screenshot(path=str(tmp_path / f"district-{size}.png"))
        pagecheck.check_page(page)
        print(f"screenshots in {tmp_path}")
