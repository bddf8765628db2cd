from __future__ import annotations

import datetime

import pytest
from django.http import Http404

from jaga.accounts.access import STAFF_ROLES, code_in_scope, get_for_user, roles_of, scope_codes
from jaga.territory.models import Population
from tests.factories import PostingFactory

pytestmark = pytest.mark.django_db


def test_each_persona_has_the_scope_of_its_posting(alice, bob, charlie, leader):
    assert scope_codes(alice) == ["35.03.11.1002"]
    assert scope_codes(bob) == ["35.03.11"]
    assert scope_codes(charlie) == ["35.03.02"]
    assert scope_codes(leader) == ["35.03"]
    assert roles_of(alice) == {"bhabin"}


def test_a_bhabin_may_be_posted_to_two_villages(alice, village_b):
    PostingFactory(user=alice, territory=village_b)
    alice._jaga_access = {}
    assert scope_codes(alice) == ["35.03.11.1002", "35.03.11.2001"]


def test_an_expired_posting_gives_no_scope(alice):
    alice.postings.update(valid_to=datetime.date(2021, 1, 1))
    alice._jaga_access = {}
    assert scope_codes(alice) == []


def test_a_narrower_posting_inside_a_broader_one_is_folded(bob, village_a):
    PostingFactory(user=bob, role="bhabin", territory=village_a)
    bob._jaga_access = {}
    assert scope_codes(bob) == ["35.03.11"]


def test_prefix_matching_respects_code_boundaries():
    assert code_in_scope("35.03.11.1002", ["35.03.11"])
    assert code_in_scope("35.03.11", ["35.03.11"])
    assert not code_in_scope("35.03.1", ["35.03.11"])
    assert not code_in_scope("35.03.110", ["35.03.11"])
    assert code_in_scope("91.01", ["*"])


def test_get_for_user_is_404_out_of_scope(alice, charlie, village_a):
    Population.scope_field = "village__code"  # type: ignore[attr-defined]
    Population.scope_roles = STAFF_ROLES  # type: ignore[attr-defined]
    try:
        pop = Population.objects.create(village=village_a, year=2023, count=10, source="t")
        assert get_for_user(Population.objects.all(), alice, pk=pop.pk) == pop
        with pytest.raises(Http404):
            get_for_user(Population.objects.all(), charlie, pk=pop.pk)
        with pytest.raises(Http404):
            get_for_user(Population.objects.all(), alice, pk=pop.pk + 1000)
    finally:
        del Population.scope_field  # type: ignore[attr-defined]
        del Population.scope_roles  # type: ignore[attr-defined]


def test_anonymous_and_inactive_users_see_nothing(alice):
    from django.contrib.auth.models import AnonymousUser

    assert scope_codes(AnonymousUser()) == []
    alice.is_active = False
    assert scope_codes(alice) == []
