"""jaga.core.prepared: the same rows as the queryset, compiled once."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from jaga.accounts.models import Posting
from jaga.core.prepared import Prepared
from jaga.territory.models import Level, Territory

pytestmark = pytest.mark.django_db


def test_same_rows_as_the_queryset_and_compiled_once(village_a: Territory) -> None:
    villages = Prepared(
        Territory, lambda code: Territory.objects.filter(code=code, level=Level.VILLAGE), str
    )
    code = Territory.objects.filter(level=Level.VILLAGE).order_by("code").first().code
    expected = Territory.objects.filter(code=code, level=Level.VILLAGE).first()
    assert villages.first(code) == expected
    assert villages.first(code).name == expected.name
    assert villages.all(code) == [expected]
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        assert villages.first(code) == expected
        assert villages.first("no-such-code") is None
        assert villages.all(code) == [expected]  # each of first() and all() compiled once


def test_select_related_and_key(alice: Any) -> None:
    postings = Prepared(
        Posting,
        lambda user_id, on: (
            Posting.objects.active(on)
            .filter(user_id=user_id)
            .select_related("user", "territory")
            .order_by("id")
        ),
        int,
    )
    today = datetime.date.today()
    expected = list(Posting.objects.active(today).filter(user_id=alice.pk).order_by("id"))
    found = postings.all(alice.pk, key=today)
    assert found == expected and found
    assert found[0].user.username == alice.username  # read with the posting, as select_related
    assert "user" in found[0]._state.fields_cache
    assert postings.all(alice.pk, key=datetime.date(1990, 1, 1)) == []


def test_values_must_be_plain() -> None:
    with pytest.raises(TypeError):
        Prepared(Territory, lambda on: Territory.objects.filter(valid_from=on), datetime.date)
    villages = Prepared(Territory, lambda code: Territory.objects.filter(code=code), str)
    with pytest.raises(TypeError):
        villages.all(3503)
