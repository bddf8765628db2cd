"""The monthly alarm run tells each new early-warning alarm once, to the village's officers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from jaga.accounts.models import Role
from jaga.analytics.models import RaisedAlarm
from jaga.analytics.services import record_alarms
from jaga.core.links import absolute_url
from jaga.incidents.models import Category
from jaga.notifications import services
from jaga.notifications.models import Kind, Notification
from tests.analytics.conftest import (  # noqa: F401
    LAST_MONTH,
    frozen,
    panel_months,
    plant_surge,
    surge,
    villages,
)
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_alarms_are_told_once_to_the_village_and_its_district(
    frozen: Any,  # noqa: F811
    surge: Any,  # noqa: F811
    village_a: Any,
    village_c: Any,
    alice: Any,
    bob: Any,
    charlie: Any,
    committed: Any,
) -> None:
    new = committed(record_alarms, "35.03", LAST_MONTH)
    assert "pencurian" in {a.category_code for a in new if a.village_id == village_a.pk}
    told = Notification.objects.filter(kind=Kind.ALARM, territory_code=village_a.code)
    assert {n.user.username for n in told} == {"alice", "bob"}
    assert all(village_a.name in n.title for n in told)
    # charlie hears only of alarms in his own district, if any.
    for note in Notification.objects.filter(user=charlie):
        assert note.territory_code.startswith("35.03.02.")
    assert RaisedAlarm.objects.count() == len(new)

    # The next run (the same month, or the job run twice) tells nothing again.
    before = Notification.objects.count()
    assert committed(record_alarms, "35.03", LAST_MONTH) == []
    assert Notification.objects.count() == before


def test_a_regency_leader_posting_is_not_a_recipient_of_village_alarms(
    frozen: Any,  # noqa: F811
    surge: Any,  # noqa: F811
    village_a: Any,
    regency: Any,
    committed: Any,
) -> None:
    leader = UserFactory(username="kapolres")
    PostingFactory(user=leader, role=Role.LEADER, territory=regency)
    committed(record_alarms, "35.03", LAST_MONTH)
    assert not Notification.objects.filter(user=leader).exists()


@pytest.fixture
def kdrt_surge(plant_surge: Any) -> None:  # noqa: F811
    """Village A's domestic-violence incidents jump in the last two months."""
    plant_surge("kdrt")


def _texts_out(user: Any, sent: list[tuple[str, str]]) -> list[str]:
    """What left Jaga for `user` (e-mail subjects and bodies, WhatsApp/SMS) and the inbox's."""
    texts = [t for n in Notification.objects.filter(user=user) for t in (n.title, n.text)]
    for m in mail.outbox:
        if m.to == [user.email]:
            texts += [m.subject, m.body]
    return texts + [text for to, text in sent if to == user.phone]


def test_an_alarm_of_a_sensitive_category_is_not_named_outside_jaga(
    frozen: Any,  # noqa: F811
    kdrt_surge: None,
    village_a: Any,
    alice: Any,
    bob: Any,
    committed: Any,
    sent: list[tuple[str, str]],
) -> None:
    # "Early warning: domestic violence in Desa Tamanan" on a phone's lock screen or at a mail
    # provider names what happened in a small village: the text stays neutral, the link leads to
    # Jaga, where the signed-in officer reads the category.
    kdrt = Category.objects.get(code="kdrt")
    for user in (alice, bob):
        services.save_preferences(user, {Kind.ALARM: {"inbox", "email", "message"}})
    mail.outbox.clear()
    new = committed(record_alarms, "35.03", LAST_MONTH)
    assert "kdrt" in {a.category_code for a in new if a.village_id == village_a.pk}
    for user in (alice, bob):
        texts = _texts_out(user, sent)
        assert len(texts) >= 5  # inbox title and text, e-mail subject and body, a message
        for text in texts:
            for word in (kdrt.name_id, kdrt.name_en, "kdrt", "rumah tangga"):
                assert word.lower() not in text.lower(), text
        assert any(village_a.name in t for t in texts)
        assert any(re.search(r"sekitar \d+,\d\.", t) for t in texts)  # 2,3 in Indonesian
        link = absolute_url(reverse("analytics:alarms")) + f"?territory={village_a.code}"
        assert any(link in t for t in texts)
    # The signed-in officer sees the category on the page the message links to.
    page = client_for(alice).get(f"/analitik/peringatan/?territory={village_a.code}")
    assert kdrt.name_id in page.content.decode()


def test_the_category_is_checked_again_when_the_message_is_written(village_a: Any, db: Any) -> None:
    # An event flagged not sensitive (a service marked sensitive since, a child category of a
    # sensitive service's) is still not named; a plain category is.
    from jaga.core.events import ALARM_RAISED, Event

    def compose(code: str, sensitive: bool = False) -> str:
        data = {"category": code, "category_name": code, "sensitive": sensitive}
        with translation.override("id"):
            title, text, _link = services.compose(Event(ALARM_RAISED, village_a.code, "", "", data))
        return title + " " + text

    child = Category.objects.create(
        code="kdrt_psikis",
        name_id="KDRT psikis",
        name_en="Psychological domestic violence",
        parent=Category.objects.get(code="kdrt"),
        group="konvensional",
    )
    assert "kdrt" not in compose("kdrt").lower()
    assert "psikis" not in compose(child.code) and "kdrt" not in compose(child.code).lower()
    assert Category.objects.get(code="pencurian").name_id in compose("pencurian")
    assert Category.objects.get(code="pencurian").name_id not in compose("pencurian", True)
    assert "Semua kategori" in compose("")
