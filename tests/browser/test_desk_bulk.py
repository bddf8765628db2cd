"""The Kapolsek, on a phone, ticks every report of the desk queue and triages them in one go,
then saves the filter for the team."""

from __future__ import annotations

from typing import Any

from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot


def test_bulk_triage_and_a_saved_filter_on_a_phone(phone_page: Any, live_db: None) -> None:
    from jaga.accounts.models import Role
    from jaga.servicedesk import services
    from jaga.servicedesk.models import Channel, SavedFilter, Service, ServiceRequest, Status
    from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
    from tests.conftest import _person

    unit = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="polsek-t"
    )
    unit.territories.add(Territory.objects.get(code="35.03.11"))
    bob = _person("bob", Role.POLSEK, "35.03.11")
    village = Territory.objects.get(code="35.03.11.1002")
    service = Service.objects.get(code="knalpot_brong")
    for _ in range(3):
        services.submit_request(
            service=service,
            village=village,
            description="Knalpot brong tiap malam di depan balai desa.",
            channel=Channel.WEB,
            anonymous=True,
        )
    page = phone_page
    login(page, bob)
    goto(page, "/layanan/")
    page.check("input[data-select-all]")
    assert page.locator('input[name="ticket"]:checked').count() == 3
    page.select_option("#bulk_kind", "status")
    page.select_option("#bulk_status", "triaged")
    shot(page, "desk-bulk-phone")
    page.click("text=Terapkan pada laporan yang dipilih")
    page.wait_for_url("**/layanan/**")
    assert "3 laporan diubah." in page.inner_text(".messages")
    pagecheck.check_page(page)
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == {Status.TRIAGED}
    page.click("text=Simpan saringan ini")
    page.fill("#save_name", "Knalpot Tamanan")
    page.check("#save_share")
    page.click("button:text('Simpan')")
    page.wait_for_url("**saved=*")
    assert "Knalpot Tamanan" in page.inner_text(".saved-filters")
    assert SavedFilter.objects.get().territory_code == "35.03.11"
    pagecheck.check_page(page)
    page.screenshot(path="/tmp/desk-queue-phone.png", full_page=True)


def test_the_row_boxes_are_thumb_sized_on_a_390px_phone(phone390: Any, live_db: None) -> None:
    """Ticking reports one by one with a thumb: each card's box line is at least 44 px high and
    the box itself 24 px, and tapping the word beside it ticks it too."""
    from jaga.accounts.models import Role
    from jaga.servicedesk import services
    from jaga.servicedesk.models import Channel, Service
    from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
    from tests.conftest import _person

    unit = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="polsek-t"
    )
    unit.territories.add(Territory.objects.get(code="35.03.11"))
    bob = _person("bob", Role.POLSEK, "35.03.11")
    for _ in range(2):
        services.submit_request(
            service=Service.objects.get(code="knalpot_brong"),
            village=Territory.objects.get(code="35.03.11.1002"),
            description="Knalpot brong tiap malam di depan balai desa.",
            channel=Channel.WEB,
            anonymous=True,
        )
    page = phone390
    login(page, bob)
    goto(page, "/layanan/")
    first = page.locator("td.pick label").first
    box = first.bounding_box()
    tick = page.locator('input[name="ticket"]').first.bounding_box()
    assert box is not None and tick is not None
    assert box["height"] >= 44 and tick["width"] >= 24 and tick["height"] >= 24
    everything = page.locator("input[data-select-all]").bounding_box()
    assert everything is not None and everything["height"] >= 24
    first.locator(".pick-text").tap()
    assert page.locator('input[name="ticket"]:checked').count() == 1
    pagecheck.check_page(page)
    page.locator("table").first.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/i14c-desk-queue-390.png", full_page=True)
