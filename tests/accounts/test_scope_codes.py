"""Scope codes, generated (hypothesis): a territory lies in a scope when the scope's code is the
territory's code or a prefix of it at a segment boundary; the SQL filter (`codes_q`, with the
distribution key's `key_q`) selects exactly the rows that `code_in_scope` says, on the real
territory table."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.accounts.access import ALL_CODES, code_in_scope, codes_q
from jaga.territory.models import Territory

# Segments that are string prefixes of one another ("1" of "10", "35" of "350"), so a filter that
# matched on string prefixes instead of segments would be caught.
SEGMENTS = ["1", "10", "11", "35", "350", "03"]
codes = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(".".join)


def by_segments(code: str, scopes: list[str]) -> bool:
    parts = code.split(".")
    return any(s == ALL_CODES or parts[: len(s.split("."))] == s.split(".") for s in scopes)


@given(code=codes, scopes=st.lists(codes | st.just(ALL_CODES), max_size=4))
def test_a_code_is_in_scope_at_segment_boundaries_only(code, scopes):
    assert code_in_scope(code, scopes) == by_segments(code, scopes)


@pytest.fixture(scope="module")
def territory_codes(django_db_setup, django_db_blocker) -> list[tuple[str, str]]:
    with django_db_blocker.unblock():
        return list(Territory.objects.values_list("code", "regency_code"))


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_sql_filter_selects_what_code_in_scope_says(data, territory_codes):
    assert territory_codes, "the test database holds the territory"
    real = [c for c, _ in territory_codes]
    scopes = data.draw(
        st.lists(
            st.sampled_from(real) | st.sampled_from(["35", "35.0", "35.03.1", ALL_CODES]),
            max_size=3,
        )
    )
    found = set(Territory.objects.filter(codes_q(scopes, "code")).values_list("code", flat=True))
    assert found == {c for c in real if code_in_scope(c, scopes)}, scopes
    # With the distribution key: the rows that carry one (a regency and everything in it; the
    # scoped tables' rows all lie in villages) are the same.
    keyed = Territory.objects.exclude(regency_code="").filter(
        codes_q(scopes, "code", "regency_code")
    )
    found = set(keyed.values_list("code", flat=True))
    assert found == {c for c, r in territory_codes if r and code_in_scope(c, scopes)}, scopes
