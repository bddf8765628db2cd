"""The monthly alarm run tells each new early-warning alarm once, to the village's officers."""

from __future__ import annotations

from typing import Any

import pytest

from jaga.accounts.models import Role
from jaga.analytics.models import RaisedAlarm
from jaga.analytics.services import record_alarms
from jaga.notifications.models import Kind, Notification
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
