"""A posting is dated by its start: nobody is posted to a village a pemekaran ended from its end
on (the villages that replaced it are named); a posting there from before is still corrected and
ended."""

from __future__ import annotations

import datetime

import pytest

from jaga.accounts import services
from jaga.accounts.models import Posting, Role
from jaga.core.errors import DomainError
from tests.conftest import ENDED_ON, SPLIT_OFF, VILLAGE_A
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_nobody_is_posted_to_an_ended_village_from_its_end_on(alice, ended_village, admin_user):
    newcomer = UserFactory(username="dewi")
    with pytest.raises(DomainError) as err:
        services.create_posting(
            newcomer, Role.BHABIN, ended_village, actor=admin_user, valid_from=ENDED_ON
        )
    assert err.value.code == "village_ended"
    assert f"({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)" in str(err.value.message)
    assert f"Tamanan Baru ({SPLIT_OFF})" in str(err.value.message)
    assert not Posting.objects.filter(user=newcomer).exists()
    # Alice's posting there, from 2020, is corrected and ended as before.
    posting = Posting.objects.get(user=alice)
    changed = services.change_posting(
        posting,
        actor=admin_user,
        role=Role.BHABIN,
        territory=ended_village,
        unit=None,
        valid_from=posting.valid_from,
        valid_to=ENDED_ON - datetime.timedelta(days=1),
        organisation_id=None,
    )
    assert changed.valid_to == ENDED_ON - datetime.timedelta(days=1)
    # Moving its start past the end is a new placement: refused.
    with pytest.raises(DomainError):
        services.change_posting(
            posting,
            actor=admin_user,
            role=Role.BHABIN,
            territory=ended_village,
            unit=None,
            valid_from=ENDED_ON,
            valid_to=None,
            organisation_id=None,
        )
