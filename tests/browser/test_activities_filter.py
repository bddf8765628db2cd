"""Browser scenario: on a 390 px phone the Kapolsek follows the scorecard's "Activities held" to
the activities list, sees its filters (the area by name) and the same count, and narrows it."""

from __future__ import annotations

import datetime
import os
from typing import Any

from django.utils import timezone

from tests.browser import pagecheck
from tests.browser.conftest import goto, login


def test_the_activities_list_filters_by_area_and_months_on_a_phone(
    phone390: Any, bob: Any, satbinmas: Any
) -> None:
    from jaga.programs import services
    from jaga.territory.models import Territory

    page = phone390
    programme = services.create_programme(
        actor=satbinmas, code="FKPM", name="Forum Kemitraan Polisi dan Masyarakat"
    )
    district = Territory.objects.get(code="35.03.11")
    tamanan = Territory.objects.get(code="35.03.11.1002")
    others = list(district.children.exclude(pk=tamanan.pk).order_by("code")[:2])
    for day, covered in ((5, others), (20, [])):
        services.record_activity(
            actor=satbinmas, programme=programme, kind="meeting", title=f"Rapat {day}",
            starts_at=timezone.make_aware(datetime.datetime(2024, 3, day, 9, 0)),
            village=tamanan, area=district, villages=covered,
        )  # fmt: skip

    login(page, bob)
    goto(page, "/program/kegiatan/?programme=FKPM&area=35.03.11&start=2024-03&end=2024-03")
    assert page.locator("#id_area").input_value().startswith("Kec. Trenggalek")
    assert page.locator("#id_start").input_value() == "2024-03"
    assert "2 kegiatan terlaksana" in page.inner_text("#activity-count")
    if os.environ.get("JAGA_FILTER_SHOT"):
        page.screenshot(path=os.environ["JAGA_FILTER_SHOT"], full_page=True)
    page.locator("#id_start").fill("2024-04")
    page.locator("#id_end").fill("2024-04")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)  # no horizontal scroll at 390 px, nothing left in English
    assert "0 kegiatan terlaksana" in page.inner_text("#activity-count")
