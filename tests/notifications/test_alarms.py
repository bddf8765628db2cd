"""The monthly alarm run tells each new early-warning alarm once, to the village's officers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jaga.accounts.models import Role
from jaga.notifications import alarms
from jaga.notifications.models import Kind, Notification, RaisedAlarm
from tests.analytics.conftest import LAST_MONTH, frozen, panel_months, villages  # noqa: F401
from tests.analytics.test_warning import surge  # noqa: F401
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
    new = committed(alarms.raise_alarms, "35.03", LAST_MONTH)
    assert {a["category_code"] for a in new if a["village_code"] == village_a.code} == {
        "pencurian",
        "",
    }
    told = Notification.objects.filter(kind=Kind.ALARM, territory_code=village_a.code)
    assert {n.user.username for n in told} == {"alice", "bob"}
    assert all(village_a.name in n.title for n in told)
    # charlie hears only of alarms in his own district, if any.
    for note in Notification.objects.filter(user=charlie):
        assert note.territory_code.startswith("35.03.02.")
    assert RaisedAlarm.objects.count() == len(new)

    # The next run (the same month, or the job run twice) tells nothing again.
    before = Notification.objects.count()
    assert committed(alarms.raise_alarms, "35.03", LAST_MONTH) == []
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
    committed(alarms.raise_alarms, "35.03", LAST_MONTH)
    assert not Notification.objects.filter(user=leader).exists()


def test_the_command(frozen: Any, surge: Any, alice: Any, committed: Any) -> None:  # noqa: F811
    out = io.StringIO()
    committed(
        call_command,
        "notifications",
        "alarms",
        "--regency",
        "35.03",
        "--month",
        "2026-10",
        stdout=out,
    )
    assert "new alarm" in out.getvalue()
    assert Notification.objects.filter(user=alice, kind=Kind.ALARM).exists()
    with pytest.raises(CommandError):
        call_command("notifications", "alarms", "--regency", "99.99", stdout=out)
    with pytest.raises(CommandError):
        call_command("notifications", "alarms", "--regency", "35.03", "--month", "x", stdout=out)
