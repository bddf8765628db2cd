"""Browser scenario: incident history imported on a 390 px phone as a background job."""

from __future__ import annotations

from typing import Any

from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot

GOOD = (
    "occurred_at,village_code,category,source_ref,description\n"
    "2023-01-05,35.03.11.1002,miras,SPKT-1,Pesta miras di pos ronda RT 003 RW 007\n"
    "2023-01-06,35.03.11.2001,judi,SPKT-2,\n"
)
BAD = GOOD + "2023-01-08,35.03.11.1002,ufo,SPKT-4,\n2099-01-01,35.03.11.1002,miras,SPKT-5,\n"


def _upload(page: Any, path: Any) -> str:
    goto(page, "/kejadian/impor/", check=False)  # the form names the columns (code)
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    return str(page.locator("main").inner_text())


def test_an_import_job_on_a_phone(phone390: Any, satbinmas: Any, tmp_path: Any) -> None:
    from django.core.files.base import ContentFile

    from jaga.incidents.jobs import write_progress
    from jaga.incidents.models import ImportJob, Incident

    page = phone390
    login(page, satbinmas)
    good = tmp_path / "riwayat.csv"
    good.write_text(GOOD)
    body = _upload(page, good)
    assert "Selesai" in body and "Kejadian ditambahkan" in body
    shot(page, "kejadian-impor-selesai", full_page=True)
    assert Incident.objects.count() == 2

    # A dry run of a corrected file names what would change, on the phone too.
    edited = tmp_path / "riwayat-koreksi.csv"
    edited.write_text(GOOD.replace("35.03.11.1002,miras,SPKT-1", "35.03.11.1002,judi,SPKT-1"))
    goto(page, "/kejadian/impor/", check=False)
    page.locator("input[type=file]").set_input_files(str(edited))
    page.locator("input[name=update]").check()
    page.locator("input[name=dry_run]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    body = str(page.locator("main").inner_text())
    assert "Yang akan berubah" in body and "miras" in body and "judi" in body
    shot(page, "kejadian-impor-uji-coba", full_page=True)
    assert Incident.objects.get(source_ref="SPKT-1").category.code == "miras"

    bad = tmp_path / "riwayat-salah.csv"
    bad.write_text(BAD)
    body = _upload(page, bad)
    assert "Gagal" in body and "Baris yang perlu diperbaiki" in body and "ufo" in body
    shot(page, "kejadian-impor-gagal", full_page=True)

    running = ImportJob(
        code="QZRUNNINGPHONE", actor=satbinmas, file_name="riwayat-besar.csv", status="running"
    )
    running.file.save("riwayat-besar.csv", ContentFile(b"x"), save=False)
    running.save()
    write_progress(running, 250000, 40)
    goto(page, f"/kejadian/impor/{running.code}/")
    body = str(page.locator("main").inner_text())
    assert "250000 baris dibaca" in body and "40%" in body
    shot(page, "kejadian-impor-berjalan", full_page=True)
    # the page polls: the finished job replaces the bar without a reload
    ImportJob.objects.filter(pk=running.pk).update(status="done", lines=250000, created=250000)
    page.wait_for_selector("text=Selesai", timeout=5000)
