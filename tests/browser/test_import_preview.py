"""Browser scenario: an edited export is previewed on a 390 px phone, then applied."""

from __future__ import annotations

import os
from typing import Any

from tests.browser import pagecheck
from tests.browser.conftest import goto, login, shot


def test_an_edited_people_export_is_previewed_then_applied(
    phone390: Any, bob: Any, satbinmas: Any, tmp_path: Any
) -> None:
    from jaga.core.tabular import write_xlsx
    from jaga.partners import services
    from jaga.partners.models import Person
    from jaga.territory.models import Territory

    page = phone390
    tamanan = Territory.objects.get(code="35.03.11.1002")
    kept = services.create_person(actor=satbinmas, full_name="Warsini", village=tamanan)
    edited = services.create_person(
        actor=satbinmas,
        full_name="Sutrisno Wibowo Hadi Prasetyo",
        village=tamanan,
        address="Jl. Panglima Sudirman Gang Mawar RT 003 RW 007 Kelurahan Tamanan",
    )
    header = ["id", "full_name", "village_code", "address", "position"]
    rows = [
        [str(kept.pk), "Warsini", tamanan.code, "", ""],
        [str(edited.pk), edited.full_name, tamanan.code,
         "Jl. Panglima Sudirman Gang Melati RT 004 RW 007 Kelurahan Tamanan", "Ketua RW 07"],
        ["", "Sumarni", tamanan.code, "", ""],
    ]  # fmt: skip
    path = tmp_path / "orang.xlsx"
    path.write_bytes(write_xlsx(header, rows))

    login(page, bob)
    goto(page, "/mitra/impor-ekspor/")
    page.locator("form[action$='/impor/people/'] input[type=file]").set_input_files(str(path))
    page.locator("form[action$='/impor/people/'] button[type=submit]").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)  # no horizontal scroll at 390 px, nothing left in English
    body = (
        page.locator("main").inner_text()
        if page.locator("main").count()
        else page.inner_text("body")
    )
    assert "Periksa impor" in body and "Ketua RW 07" in body and "Sumarni" in body
    if os.environ.get("JAGA_PREVIEW_SHOT"):
        page.screenshot(path=os.environ["JAGA_PREVIEW_SHOT"], full_page=True)
    shot(page, "mitra-impor-pratinjau", full_page=True)
    assert not Person.objects.filter(full_name="Sumarni").exists()
    page.get_by_role("button", name="Terapkan 2 perubahan").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    assert Person.objects.filter(full_name="Sumarni").count() == 1
    assert Person.objects.get(pk=edited.pk).position == "Ketua RW 07"


def test_an_edited_invitation_export_is_previewed_then_applied(
    phone390: Any, bob: Any, satbinmas: Any, tmp_path: Any
) -> None:
    import datetime

    from django.utils import timezone

    from jaga.core.tabular import write_xlsx
    from jaga.partners import services as partners
    from jaga.programs import services
    from jaga.programs.models import Invitation
    from jaga.territory.models import Territory

    page = phone390
    tamanan = Territory.objects.get(code="35.03.11.1002")
    programme = services.create_programme(actor=satbinmas, code="FKPM", name="FKPM")
    activity = services.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat FKPM Tamanan",
        starts_at=timezone.make_aware(datetime.datetime(2024, 3, 5, 9, 0)),
        village=tamanan,
    )
    person = partners.create_person(
        actor=satbinmas, full_name="Sutrisno Wibowo Hadi Prasetyo", village=tamanan
    )
    newcomer = partners.create_person(actor=satbinmas, full_name="Sumarni", village=tamanan)
    inv = services.invite(activity, actor=satbinmas, person=person)
    header = [
        "id",
        "activity_id",
        "person_id",
        "organisation_id",
        "status",
        "representative_name",
        "note",
    ]
    rows = [
        [str(inv.pk), str(activity.pk), str(person.pk), "", "represented",
         "Istrinya, Ibu Sri Wahyuningsih", "Bapak sedang dinas ke luar kota"],
        ["", str(activity.pk), str(newcomer.pk), "", "", "", ""],
    ]  # fmt: skip
    path = tmp_path / "undangan.xlsx"
    path.write_bytes(write_xlsx(header, rows))

    login(page, bob)
    goto(page, f"/program/kegiatan/{activity.pk}/")
    page.get_by_role("link", name="Impor / ekspor undangan").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    page.locator("main input[type=file]").set_input_files(str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)  # no horizontal scroll at 390 px, nothing left in English
    body = page.locator("main").inner_text()
    assert "Sumarni" in body and "Ibu Sri Wahyuningsih" in body
    if os.environ.get("JAGA_PREVIEW_SHOT"):
        page.screenshot(path=os.environ["JAGA_PREVIEW_SHOT"], full_page=True)
    assert not Invitation.objects.filter(person=newcomer).exists()
    page.get_by_role("button", name="Terapkan 2 perubahan").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    assert Invitation.objects.filter(person=newcomer, activity=activity).count() == 1
    assert Invitation.objects.get(pk=inv.pk).status == "represented"
