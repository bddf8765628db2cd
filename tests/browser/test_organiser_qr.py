"""Browser scenario: an organiser invites people by name and checks them in by QR code.

Chromium's fake camera plays a Y4M video of the invitation's QR code
(`--use-file-for-fake-video-capture`), so the desk's scanner runs the real path: getUserMedia,
frames on a canvas, the decoder (jsQR here: Chromium on Linux has no BarcodeDetector), the post
to the desk and the big answer. The file is written once the invitation exists: Chromium opens it
only when the page starts the camera.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser import camera, pagecheck
from tests.browser.conftest import PHONE, goto, login, shot
from tests.programs.qrvideo import qr_y4m


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: Any) -> Path:
    return Path(tmp_path_factory.mktemp("camera")) / "qr.y4m"


@pytest.fixture(scope="module")
def browser(_shared_data: str, camera_file: Path) -> Iterator[Any]:
    """Chromium with a fake camera that plays `camera_file`."""
    yield from camera.camera_browser(camera_file)


@pytest.fixture
def camera_phone(browser: Any, base_url: str) -> Iterator[Any]:
    """The phone of the conftest, allowed to use the camera."""
    yield from camera.camera_phone(browser, base_url, PHONE)


def test_an_organiser_invites_people_and_checks_them_in_by_qr(
    camera_phone: Any, camera_file: Path, bob: Any, satbinmas: Any
) -> None:
    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind
    from jaga.programs import services as programs
    from jaga.programs.models import Invitation
    from jaga.territory.models import Territory

    page = camera_phone
    tamanan = Territory.objects.get(code="35.03.11.1002")
    partners.create_person(actor=satbinmas, full_name="Sutrisno", village=tamanan)
    partners.create_person(actor=satbinmas, full_name="Warsini", village=tamanan)
    partners.create_organisation(
        actor=satbinmas, kind=OrgKind.FKPM, name="FKPM Tamanan", territory=tamanan
    )
    programme = programs.create_programme(actor=satbinmas, code="FKPM", name="FKPM")
    activity = programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat warga Tamanan",
        starts_at=timezone.now() + datetime.timedelta(minutes=30),
        village=tamanan,
    )

    login(page, bob)
    goto(page, f"/program/kegiatan/{activity.pk}/")
    # Invite a person by typing a name: the box offers "Sutrisno" from the village's people.
    person_box = page.get_by_role("combobox", name="Warga:", exact=True)
    person_box.fill("sutri")
    page.get_by_role("option", name="Sutrisno").first.click()
    shot(page, "organisator-undang-nama")
    page.get_by_role("button", name="Undang").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    assert Invitation.objects.filter(activity=activity, person__full_name="Sutrisno").exists()
    # The organisation list is still there after inviting a person.
    page.get_by_role("combobox", name="Organisasi:", exact=True).fill("FKPM")
    page.get_by_role("option", name="FKPM Tamanan").click()
    page.get_by_role("button", name="Undang").click()
    page.wait_for_load_state()
    pagecheck.check_page(page)
    assert Invitation.objects.filter(activity=activity).count() == 2

    invitation = Invitation.objects.get(activity=activity, person__full_name="Sutrisno")
    qr_y4m(f"{page.context.jaga_base_url}/program/hadir/{invitation.code}/", camera_file)

    goto(page, f"/program/kegiatan/{activity.pk}/meja-hadir/")
    page.get_by_role("button", name="Pindai dengan kamera").click()
    result = page.locator("#scan-result.done")
    result.wait_for()
    assert "Sutrisno" in result.inner_text()
    shot(page, "organisator-pindai-qr")
    invitation.refresh_from_db()
    assert invitation.status == "present"
    # The camera still sees the same card: a few seconds later it answers "already", no error.
    page.locator("#scan-result.already").wait_for(timeout=20_000)
    assert "Sutrisno" in page.locator("#scan-result").inner_text()
    invitation.refresh_from_db()
    assert invitation.status == "present"
    page.get_by_role("button", name="Matikan kamera").click()
