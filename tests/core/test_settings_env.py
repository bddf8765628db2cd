"""Environment settings: a value that is not understood stops the start instead of meaning "no"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from jaga.settings import envbool, envint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("off", False),
        ("No", False),
        ("", True),
    ],
)
def test_yes_and_no_words(monkeypatch, value, expected):
    monkeypatch.setenv("JAGA_TEST_FLAG", value)
    assert envbool("JAGA_TEST_FLAG", default=True) is expected


@pytest.mark.parametrize("typo", ["ture", "y3s", "enabled", "2"])
def test_a_typo_is_refused_not_read_as_no(monkeypatch, typo):
    monkeypatch.setenv("JAGA_TEST_FLAG", typo)
    with pytest.raises(ImproperlyConfigured, match="JAGA_TEST_FLAG"):
        envbool("JAGA_TEST_FLAG")


def test_whole_numbers(monkeypatch):
    monkeypatch.delenv("JAGA_TEST_INT", raising=False)
    assert envint("JAGA_TEST_INT", 7) == 7
    monkeypatch.setenv("JAGA_TEST_INT", " 12 ")
    assert envint("JAGA_TEST_INT", 7) == 12
    monkeypatch.setenv("JAGA_TEST_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="JAGA_TEST_INT"):
        envint("JAGA_TEST_INT", 7)
