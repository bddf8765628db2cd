"""An officer's inbox and settings and a resident's follow page on a phone: Indonesian, no
horizontal scroll, the unread count in the top bar, marking read."""

from __future__ import annotations

import os
from typing import Any

from jaga.notifications.models import Kind, Notification
from tests.browser.conftest import PHONE, goto, login, shot


def _look(page: Any, name: str) -> None:
    """With JAGA_LOOK_DIR set, a full-page screenshot at 390 px for a person to look at."""
    where = os.environ.get("JAGA_LOOK_DIR")
    if where:
        page.set_viewport_size({"width": 390, "height": PHONE["height"]})
        page.screenshot(path=f"{where}/{name}.png", full_page=True)
        page.set_viewport_size(PHONE)


def test_the_inbox_and_settings_on_a_phone(phone_page: Any, alice: Any) -> None:
    for i in range(3):
        Notification.objects.create(
            user=alice,
            kind=Kind.NEW_REPORT,
            territory_code="35.03.11.1002",
            object_id=f"TICKET{i}",
            title=f"Laporan baru TICKET{i} di Kelurahan Tamanan",
            text="Knalpot brong. Batas waktu: 4 Des 2026 09:49.",
            link="/layanan/",
        )
    login(phone_page, alice)
    goto(phone_page, "/notifikasi/")
    assert phone_page.locator(".inbox-link .badge").inner_text() == "3"
    _look(phone_page, "inbox")
    shot(phone_page, "notifikasi-kotak-masuk")
    phone_page.locator("button[name=read]").first.click()
    phone_page.wait_for_load_state()
    assert phone_page.locator(".inbox-link .badge").inner_text() == "2"
    goto(phone_page, "/notifikasi/pengaturan/")
    # Elsewhere the count arrives after the page.
    phone_page.locator(".inbox-link .badge").wait_for()
    assert phone_page.locator(".inbox-link .badge").inner_text() == "2"
    _look(phone_page, "settings")
    shot(phone_page, "notifikasi-pengaturan")
    phone_page.locator(f"input[name='{Kind.ALARM}:message']").check()
    phone_page.locator("main button[type=submit]").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator(f"input[name='{Kind.ALARM}:message']").is_checked()


def test_a_resident_finds_the_follow_page(phone_page: Any) -> None:
    goto(phone_page, "/notifikasi/ikuti/")
    _look(phone_page, "subscribe")
    shot(phone_page, "notifikasi-ikuti")
    assert phone_page.locator("input[name=address]").count() == 1


def test_an_invited_coordinator_opens_the_invitation_and_answers_on_a_phone(
    phone_page: Any, satbinmas: Any, village_a: Any, village_b: Any, district_ab: Any
) -> None:
    import datetime

    from django.utils import timezone

    from jaga.accounts.models import Role
    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind
    from jaga.programs import services as programs
    from jaga.programs.models import Response
    from tests.factories import PostingFactory, UserFactory

    programme = programs.create_programme(actor=satbinmas, code="FKPMX", name="Forum uji")
    meeting = programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat FKPM Kecamatan",
        starts_at=timezone.now() + datetime.timedelta(days=7),
        village=village_a,
        area=district_ab,
        grace_minutes=15,
    )
    forum = partners.create_organisation(
        actor=satbinmas, kind=OrgKind.FKPM, name="FKPM Desa B", territory=village_b
    )
    coordinator = UserFactory(username="koordinator_b")
    PostingFactory(
        user=coordinator, role=Role.PARTNER, territory=village_b, organisation_id=forum.pk
    )
    invitation = programs.invite(meeting, actor=satbinmas, organisation=forum)
    login(phone_page, coordinator)
    goto(phone_page, f"/program/kegiatan/{meeting.pk}/")
    _look(phone_page, "invited-activity")
    phone_page.locator("main button[value=accepted]").click()
    phone_page.wait_for_load_state()
    invitation.refresh_from_db()
    assert invitation.response == Response.ACCEPTED
    assert phone_page.locator("main button[value=accepted]").count() == 0
