"""A resident reports from a phone (390 px) with a map pin and follows the ticket.

No tile server (tests run offline): the map draws the village centres with their names. The
resident taps the map near Tamanan (the village is chosen for them), taps again on the second
step to place the pin, files the report anonymously and follows it on the tracking page, where
an officer's triage shows up. Staff see the exact point; the public never does.
"""

from __future__ import annotations

from typing import Any

import pytest

from jaga.servicedesk import services
from jaga.servicedesk.models import ServiceRequest
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory
from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot

TAMANAN = "35.03.11.1002"
CENTRES = {
    TAMANAN: (-8.0500, 111.7100),
    "35.03.11.2001": (-8.0800, 111.6900),  # Ngares
    "35.03.02.2008": (-8.3000, 111.6000),  # Munjungan
}


@pytest.fixture
def served(base_url: str) -> None:
    regency = Territory.objects.get(code="35.03")
    polres = PoliceUnit.objects.create(kind=PoliceUnitKind.POLRES, name="Polres T", code="pt")
    polres.territories.add(regency)
    polsek = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Trenggalek", code="ps-t", parent=polres
    )
    polsek.territories.add(Territory.objects.get(code="35.03.11"))
    for code, (lat, lon) in CENTRES.items():
        Territory.objects.filter(code=code).update(latitude=lat, longitude=lon)


def tap_at(page: Any, selector: str, lat: float, lon: float) -> None:
    """Tap the map at a point, as a finger does."""
    page.wait_for_function(
        "s => { const m = document.querySelector(s); return m && m.jagaMap && "
        "m.querySelector('.jm-village'); }",
        arg=selector,
    )
    x, y = page.evaluate(
        "([s, lat, lon]) => { const p = document.querySelector(s).jagaMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [selector, lat, lon],
    )
    page.locator(selector).tap(position={"x": x, "y": y})


def test_a_resident_reports_from_a_phone_with_a_map_pin_and_follows_the_ticket(
    phone390: Any, served: None, bob: Any
) -> None:
    page = phone390
    goto(page, "/layanan/lapor/")
    page.get_by_role("link", name="Balap liar").first.click()
    page.wait_for_url("**/layanan/lapor/balap_liar/")
    pagecheck.check_page(page)

    # Step 1: a tap near Tamanan's centre chooses the village.
    lat, lon = CENTRES[TAMANAN]
    tap_at(page, ".jaga-map", lat + 0.002, lon + 0.002)
    page.wait_for_function(
        "code => document.getElementById('id_desa-select').value === code", arg=TAMANAN
    )
    assert "Tamanan" in page.locator("[data-map-status]").inner_text()
    shot(page, "warga-lapor-peta")
    page.get_by_role("button", name="Lanjut").click()
    page.wait_for_url("**desa=35.03.11.1002**")
    pagecheck.check_page(page)

    # Step 2: the point tapped on step 1 came along; a second tap moves the pin.
    assert page.locator("#id_latitude").input_value() != ""
    page.locator(".jaga-map").scroll_into_view_if_needed()
    tap_at(page, ".jaga-map", lat - 0.001, lon + 0.001)
    page.wait_for_function(
        "want => Math.abs(parseFloat(document.getElementById('id_latitude').value) - want)"
        " < 0.0005",
        arg=lat - 0.001,
    )
    page.wait_for_function("() => document.querySelector('.jm-pin') !== null")
    assert "Tamanan" in page.locator("[data-map-status]").inner_text()
    page.locator("#id_description").fill("Balap liar tiap malam minggu di jalan depan pasar.")
    page.locator("#id_q_waktu").select_option(index=1)
    page.locator("#id_anonymous").check()
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url("**/layanan/lacak/**")
    pagecheck.check_page(page)

    report = ServiceRequest.objects.get()
    assert report.village.code == TAMANAN
    assert report.latitude == pytest.approx(lat - 0.001, abs=0.0005)
    assert report.longitude == pytest.approx(lon + 0.001, abs=0.0005)
    assert report.ticket in page.locator("main").inner_text()

    # The resident follows the ticket: an officer's triage shows on the tracking page.
    services.transition_request(report, "triaged", actor=bob)
    goto(page, f"/layanan/lacak/{report.ticket}/")
    report.refresh_from_db()
    assert report.get_status_display() in page.locator("main").inner_text()

    # The public map never carries the reporter's point.
    body = page.request.get("/peta/laporan-publik/").text()
    assert f"{report.longitude:.4f}"[:-1] not in body


def test_an_officer_sees_the_report_at_its_point_on_the_desk_map(
    phone390: Any, served: None, bob: Any, alice: Any
) -> None:
    from jaga.servicedesk.models import Channel, Service

    lat, lon = CENTRES[TAMANAN]
    report, _ = services.submit_request(
        service=Service.objects.get(code="knalpot_brong"),
        village=Territory.objects.get(code=TAMANAN),
        description="Knalpot brong tiap malam.",
        channel=Channel.WEB,
        anonymous=True,
        latitude=lat + 0.003,
        longitude=lon,
    )
    login(phone390, bob)
    goto(phone390, f"/layanan/tiket/{report.ticket}/")
    phone390.wait_for_function("() => document.querySelector('.jaga-map .jm-report-open') !== null")
    pagecheck.check_page(phone390)
    # Few places and no basemap: the village is named on the map itself.
    assert "Tamanan" in phone390.locator(".jaga-map").inner_text()
    point = phone390.evaluate(
        "() => { const m = document.querySelector('.jaga-map').jagaMap; let found = null;"
        " m.eachLayer(l => { if (l.feature && l.feature.properties.kind === 'report-open')"
        " found = l.getLatLng(); }); return [found.lat, found.lng]; }"
    )
    assert point == pytest.approx([lat + 0.003, lon], abs=1e-6)
