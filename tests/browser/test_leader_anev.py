"""The Kapolres, on a desktop, drills down the analytics dashboard from the regency to a district
and a village, then asks for the district's Anev report of last month and downloads the PDF."""

from __future__ import annotations

import datetime
import re
import zlib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot

JAKARTA = ZoneInfo("Asia/Jakarta")


def _last_month() -> datetime.date:
    from django.utils import timezone

    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def disturbances(live_db: None) -> dict[str, int]:
    """Incidents of last month: 4 in Kelurahan Tamanan, 2 in another village of Kecamatan
    Trenggalek and 3 in Kecamatan Munjungan; returns the counts per area."""
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident
    from jaga.territory.models import Territory

    month = _last_month()
    categories = list(Category.objects.filter(children__isnull=True).order_by("code")[:3])
    plan = [("35.03.11.1002", 4), ("35.03.11.2001", 2), ("35.03.02.2008", 3)]
    for code, count in plan:
        village = Territory.objects.get(code=code)
        for n in range(count):
            record_incident(
                category=categories[n % len(categories)],
                village=village,
                occurred_at=datetime.datetime(
                    month.year, month.month, 5 + n, 21, 0, tzinfo=JAKARTA
                ),
                source="import",
                source_ref=f"browser-{code}-{n}",
                description="Keributan di jalan desa.",
            )
    return {"35.03": 9, "35.03.11": 6, "35.03.11.1002": 4}


def _stat(page: Any) -> str:
    """The first figure of the dashboard: the month's disturbances."""
    return page.locator(".stat").first.inner_text().strip()


def _pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (PDF 1.7 object streams included) inflated."""
    parts = [data]
    for found in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(found.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _pdf_title(objects: bytes) -> str:
    """The PDF's /Title (WeasyPrint writes the document's <title> there, as a literal string
    or UTF-16 hex)."""
    found = re.search(rb"/Title\s*(\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f]+>)", objects)
    assert found, "the PDF has no title"
    raw = found.group(1)
    if raw.startswith(b"<"):
        return bytes.fromhex(raw[1:-1].decode()).decode("utf-16")
    return raw[1:-1].decode("latin-1")


def test_a_leader_drills_down_to_a_village_and_downloads_the_anev_pdf(
    desktop_page: Any, leader: Any, disturbances: dict[str, int]
) -> None:
    page = desktop_page
    month = _last_month()
    login(page, leader)

    # The regency, last month.
    goto(page, f"/analitik/?territory=35.03&month={month:%Y-%m}")
    assert "Kabupaten Trenggalek" in page.locator("h1").inner_text()
    assert _stat(page) == str(disturbances["35.03"])
    shot(page, "pimpinan-dasbor")

    # Down to the district from the table of areas.
    page.locator("a[href^='?territory=35.03.11&']", has_text="Kecamatan Trenggalek").click()
    page.wait_for_url(re.compile(r"territory=35\.03\.11(&|$)"))
    pagecheck.check_page(page)
    assert "Kecamatan Trenggalek" in page.locator("h1").inner_text()
    assert _stat(page) == str(disturbances["35.03.11"])
    shot(page, "pimpinan-kecamatan")

    # Down to the village.
    page.locator("a[href^='?territory=35.03.11.1002&']", has_text="Kelurahan Tamanan").click()
    page.wait_for_url(re.compile(r"territory=35\.03\.11\.1002(&|$)"))
    pagecheck.check_page(page)
    assert "Kelurahan Tamanan" in page.locator("h1").inner_text()
    assert _stat(page) == str(disturbances["35.03.11.1002"])
    shot(page, "pimpinan-desa")

    # The Anev report of the district for last month, from the menu.
    page.locator("nav a[href='/laporan/']:visible").first.click()
    page.wait_for_url("**/laporan/")
    pagecheck.check_page(page)
    form = page.locator("main form").filter(has=page.get_by_role("button", name="Susun laporan"))
    form.get_by_label("Wilayah").select_option("35.03.11")
    form.get_by_label("Bulan").fill(f"{month:%Y-%m}")
    form.get_by_label("Bahasa").select_option("id")
    shot(page, "pimpinan-anev-minta")
    page.get_by_role("button", name="Susun laporan").click()
    page.wait_for_url(re.compile(r"/laporan/anev/[A-Z0-9]+/$"))
    download_link = page.get_by_role("link", name="Unduh PDF")
    download_link.wait_for(timeout=60_000)  # written in the background; the page polls
    pagecheck.check_page(page)
    shot(page, "pimpinan-anev-siap")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == f"anev-35.03.11-{month:%Y-%m}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    objects = _pdf_objects(data)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", objects)) >= 2  # pages
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("id"):
        month_name = date_format(month, "F Y")  # "November 2026"
    title = _pdf_title(objects)
    assert "Anev" in title and "Kecamatan Trenggalek" in title and month_name in title, title

    from jaga.reports.models import ReportJob

    job = ReportJob.objects.get(territory__code="35.03.11", month=month)
    assert job.status == "done" and bytes(job.pdf) == data
