"""Events → recipients → channels for officers: scope, per-person settings, the inbox."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from jaga.accounts.models import Role
from jaga.notifications import services
from jaga.notifications.models import Kind, Notification, Preference, SendStatus
from jaga.programs import services as programs
from jaga.servicedesk import services as desk
from jaga.servicedesk.models import Status
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Pak Budi 0812-3456-7890 ribut tiap malam"


def test_a_new_report_tells_the_villages_bhabinkamtibmas_only(
    committed: Any,
    file_report: Any,
    village_a: Any,
    alice: Any,
    bob: Any,
    charlie: Any,
    dewi: Any,
    sent: Any,
    settings: Any,
) -> None:
    report = committed(file_report, village_a, description=SECRET_TEXT, reporter_name="Budi")
    assert report.assignee == alice
    notes = {n.user.username: n for n in Notification.objects.all()}
    assert set(notes) == {"alice", "dewi"}
    # alice, the assignee, already has the desk's "assigned to you" message: inbox only.
    assert notes["alice"].in_inbox and notes["alice"].email_status == SendStatus.NONE
    note = notes["dewi"]
    assert note.kind == Kind.NEW_REPORT
    assert report.ticket in note.title and village_a.name in note.title
    assert note.link == f"/layanan/tiket/{report.ticket}/"
    assert note.in_inbox and note.email_status == SendStatus.SENT
    assert note.message_status == SendStatus.NONE  # WhatsApp/SMS is off unless chosen
    mine = [m for m in mail.outbox if m.subject == f"Jaga: {note.title}"]
    assert len(mine) == 1 and mine[0].to == ["dewi@polri.example"]
    assert f"{settings.SITE_URL}/layanan/tiket/{report.ticket}/" in mine[0].body
    # No reporter, no text, nothing for bob (Polsek: new reports go to the village's Bhabin) or
    # charlie (outside the district), by any channel.
    for text in [note.title, note.text, mine[0].body]:
        assert "Budi" not in text and "0812" not in text and "ribut" not in text
    assert not [m for m in mail.outbox if m.to[0].startswith(("bob@", "charlie@"))]
    assert not [s for s in sent if s[0] in (bob.phone, charlie.phone)]


def test_settings_choose_the_channels(
    committed: Any, file_report: Any, village_a: Any, dewi: Any, sent: Any
) -> None:
    services.save_preferences(dewi, {Kind.NEW_REPORT: {"message"}})
    mail.outbox.clear()
    committed(file_report, village_a)
    note = Notification.objects.get(user=dewi)
    assert not note.in_inbox and services.unread_count(dewi) == 0
    assert note.email_status == SendStatus.NONE and note.message_status == SendStatus.SENT
    assert [t for t, text in sent if text.startswith(note.title)] == [dewi.phone]
    assert not [m for m in mail.outbox if m.subject == f"Jaga: {note.title}"]

    services.save_preferences(dewi, {Kind.NEW_REPORT: set()})
    committed(file_report, village_a)
    assert Notification.objects.filter(user=dewi).count() == 1  # nothing new: all off


def test_missing_address_and_failing_gateway_are_recorded(
    committed: Any, file_report: Any, village_a: Any, dewi: Any, settings: Any
) -> None:
    dewi.email = ""
    dewi.save(update_fields=["email"])
    Preference.objects.create(user=dewi, kind=Kind.NEW_REPORT, message=True)
    settings.MESSAGE_GATEWAY = "jaga.notifications.models.NoSuchGateway"
    committed(file_report, village_a)
    note = Notification.objects.get(user=dewi)
    assert note.email_status == SendStatus.NO_ADDRESS
    assert note.message_status == SendStatus.FAILED
    assert note.in_inbox  # the inbox still has it


def test_overdue_tells_the_kapolsek_and_the_assignee_not_charlie(
    committed: Any, file_report: Any, village_a: Any, alice: Any, bob: Any, charlie: Any
) -> None:
    start = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        report = file_report(village_a)
        desk.transition_request(report, Status.ASSIGNED, actor=bob, assignee=alice)
    Notification.objects.all().delete()
    with time_machine.travel(start + datetime.timedelta(days=30), tick=False):
        assert committed(desk.remind_overdue) == 1
    got = Notification.objects.filter(kind=Kind.OVERDUE)
    assert {n.user.username for n in got} == {"alice", "bob"}
    assert all(report.ticket in n.title for n in got)
    assert not Notification.objects.filter(user=charlie).exists()


def test_an_invitation_tells_the_organisations_coordinator(
    committed: Any, meeting: Any, pokdar_ab: Any, satbinmas: Any, district_ab: Any, charlie: Any
) -> None:
    coordinator = UserFactory(username="koordinator", email="k@example.org")
    PostingFactory(
        user=coordinator, role=Role.PARTNER, territory=district_ab, organisation_id=pokdar_ab.pk
    )
    other = UserFactory(username="lain", email="l@example.org")
    PostingFactory(user=other, role=Role.PARTNER, territory=district_ab, organisation_id=None)
    committed(programs.invite, meeting, actor=satbinmas, organisation=pokdar_ab)
    got = list(Notification.objects.filter(kind=Kind.INVITATION))
    assert [n.user for n in got] == [coordinator]
    assert meeting.title in got[0].title
    assert got[0].link == f"/program/kegiatan/{meeting.pk}/"
    assert not Notification.objects.filter(user__in=[other, charlie]).exists()


def test_an_invitation_of_a_unit_tells_the_coordinator_of_the_forum_it_is_part_of(
    committed: Any, meeting: Any, satbinmas: Any, district_ab: Any, village_b: Any, charlie: Any
) -> None:
    """A perguruan inside the district's FKPSB is invited: the perguruan's coordinator and the
    forum's are told (the forum coordinates its members), once each; the forum's coordinator
    opens the link; a sibling perguruan's coordinator hears nothing."""
    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind

    forum = partners.create_organisation(
        actor=satbinmas, kind=OrgKind.FKPSB, name="FKPSB Kecamatan", territory=district_ab
    )
    unit, sibling = (
        partners.create_organisation(
            actor=satbinmas, kind=OrgKind.FKPSB, name=name, territory=village_b, parent=forum
        )
        for name in ("Perguruan Satu", "Perguruan Dua")
    )
    people = {}
    for name, org, area in (
        ("forum", forum, district_ab),
        ("unit", unit, village_b),
        ("sibling", sibling, village_b),
    ):
        people[name] = UserFactory(username=f"k-{name}", email=f"{name}@example.org")
        PostingFactory(user=people[name], role=Role.PARTNER, territory=area, organisation_id=org.pk)
    committed(programs.invite, meeting, actor=satbinmas, organisation=unit)
    told = sorted(n.user.username for n in Notification.objects.filter(kind=Kind.INVITATION))
    assert told == ["k-forum", "k-unit"]
    link = Notification.objects.get(user=people["forum"]).link
    from django.test import Client

    browser = Client()
    browser.force_login(people["forum"])
    assert browser.get(link).status_code == 200
    assert not Notification.objects.filter(user=charlie).exists()


def test_the_inbox_counts_marks_read_and_opens(
    committed: Any,
    file_report: Any,
    village_a: Any,
    alice: Any,
    bob: Any,
    alice_client: Any,
    bob_client: Any,
    django_assert_num_queries: Any,
) -> None:
    first = committed(file_report, village_a)
    committed(file_report, village_a)
    assert services.unread_count(alice) == 2
    page = alice_client.get("/notifikasi/")
    assert page.status_code == 200
    body = page.content.decode()
    assert first.ticket in body and 'class="inbox-link"' in body
    # Other pages ask for the count after loading (no query of theirs for it).
    assert 'hx-get="/notifikasi/jumlah/"' in alice_client.get("/").content.decode()
    assert ">2</span>" in alice_client.get("/notifikasi/jumlah/").content.decode()
    # bob's session cannot mark alice's notification read.
    note = Notification.objects.filter(user=alice).order_by("id").first()
    assert note is not None
    bob_client.post("/notifikasi/", {"read": note.pk})
    assert services.unread_count(alice) == 2
    opened = alice_client.post("/notifikasi/", {"open": note.pk})
    assert opened.status_code == 302 and opened["Location"] == note.link
    assert services.unread_count(alice) == 1
    alice_client.post("/notifikasi/", {"all": "1"})
    assert services.unread_count(alice) == 0
    # The list's queries do not grow with its length.
    for _i in range(5):
        committed(file_report, village_a)
    with django_assert_num_queries(6):
        alice_client.get("/notifikasi/")


def test_the_settings_page_saves_per_kind(alice: Any, alice_client: Any) -> None:
    page = alice_client.get("/notifikasi/pengaturan/")
    assert page.status_code == 200
    assert f'name="{Kind.ALARM}:inbox"' in page.content.decode()
    resp = alice_client.post(
        "/notifikasi/pengaturan/",
        {f"{Kind.OVERDUE}:message": "on", f"{Kind.ALARM}:email": "on"},
    )
    assert resp.status_code == 302
    assert services.channels_for(alice, Kind.OVERDUE) == {"message"}
    assert services.channels_for(alice, Kind.ALARM) == {"email"}
    assert services.channels_for(alice, Kind.NEW_REPORT) == set()
    assert timezone.now()  # saved through the service: an audit row per change
    from jaga.core.models import AuditLog

    assert AuditLog.objects.filter(action="notifications.preferences").count() == 1


def test_residents_and_anonymous_have_no_inbox(client: Any) -> None:
    assert client.get("/notifikasi/").status_code == 302
    assert "inbox-link" not in client.get("/").content.decode()


def test_an_invited_organisation_of_another_village_is_told_and_can_answer(
    committed: Any, meeting: Any, satbinmas: Any, village_b: Any, charlie: Any
) -> None:
    # The meeting is held in village A for the whole district; a forum of village B is invited.
    # Its coordinator (posted to village B) is told, opens the link, reads the activity without
    # the organiser's tools, and answers from the home page.
    from django.test import Client

    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind
    from jaga.programs.models import Response

    forum = partners.create_organisation(
        actor=satbinmas, kind=OrgKind.FKPM, name="FKPM Desa B", territory=village_b
    )
    coordinator = UserFactory(username="koordinator", email="k@example.org")
    PostingFactory(
        user=coordinator, role=Role.PARTNER, territory=village_b, organisation_id=forum.pk
    )
    invitation = committed(programs.invite, meeting, actor=satbinmas, organisation=forum)
    note = Notification.objects.get(kind=Kind.INVITATION)
    assert note.user == coordinator and note.email_status == SendStatus.SENT
    browser = Client()
    browser.force_login(coordinator)
    page = browser.get(note.link)
    assert page.status_code == 200 and meeting.title in page.content.decode()
    html = page.content.decode()
    assert f"/program/kegiatan/{meeting.pk}/hasil/" not in html  # no organiser's tools
    assert f"/program/kegiatan/{meeting.pk}/meja-hadir/" not in html
    assert browser.post(note.link, {"person": "1"}).status_code == 404
    assert browser.post(f"/program/kegiatan/{meeting.pk}/hasil/", {}).status_code == 404
    with time_machine.travel(datetime.datetime(2024, 3, 1, 8, tzinfo=datetime.UTC), tick=False):
        home = browser.get("/").content.decode()  # the home lists coming invitations
    assert f"/program/undangan/{invitation.pk}/jawab/" in home
    assert f"/program/undangan/{invitation.pk}/jawab/" in html  # and so does the activity
    answered = browser.post(f"/program/undangan/{invitation.pk}/jawab/", {"response": "accepted"})
    assert answered.status_code == 302
    invitation.refresh_from_db()
    assert invitation.response == Response.ACCEPTED
    # charlie (Polsek Munjungan) still sees nothing of it
    assert client_for_404(charlie, note.link)


def client_for_404(user: Any, path: str) -> bool:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser.get(path).status_code == 404


def test_the_overdue_reminder_follows_each_persons_settings(
    committed: Any, file_report: Any, village_a: Any, alice: Any, bob: Any, sent: Any
) -> None:
    # alice (the assignee) wants overdue reports in the inbox only, bob (Kapolsek) by WhatsApp /
    # SMS only: no e-mail reaches either, however the reminder comes about.
    services.save_preferences(alice, {Kind.OVERDUE: {"inbox"}})
    services.save_preferences(bob, {Kind.OVERDUE: {"message"}})
    start = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        report = file_report(village_a)
    assert report.assignee == alice
    mail.outbox.clear()
    sent.clear()
    with time_machine.travel(start + datetime.timedelta(days=30), tick=False):
        assert committed(desk.remind_overdue) == 1
    assert mail.outbox == []
    assert [to for to, _text in sent] == [bob.phone]
    assert services.unread_count(alice) == 1 and services.unread_count(bob) == 0


def test_a_report_of_a_sensitive_service_is_not_named_outside_jaga(
    committed: Any, file_report: Any, village_a: Any, dewi: Any, sent: Any
) -> None:
    # An e-mail or a WhatsApp message leaves Jaga (a phone's lock screen, a mail provider): "a
    # KDRT report in Tamanan at 21:40" must not travel; the officer opens Jaga to read it.
    from jaga.servicedesk.models import Service

    kdrt = Service.objects.get(code="kdrt")
    assert kdrt.sensitive
    services.save_preferences(dewi, {Kind.NEW_REPORT: {"inbox", "email", "message"}})
    mail.outbox.clear()
    report = committed(file_report, village_a, service=kdrt, answers={"aman": "ya"})
    note = Notification.objects.get(user=dewi)
    mine = [m for m in mail.outbox if m.to == ["dewi@polri.example"]]
    texts = [note.title, note.text, mine[0].subject, mine[0].body]
    texts += [text for to, text in sent if to == dewi.phone]
    assert len(texts) == 5 and all(report.ticket in t or "/layanan/" in t for t in texts[2:])
    for text in texts:
        assert kdrt.name not in text and "KDRT" not in text.upper(), text
