"""Numbers as people read them: rounded, never cut off, in the reader's language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jaga.core.numbers import rounded, say_number, say_percent


@pytest.mark.parametrize(
    ("value", "places", "indonesian", "english"),
    [
        (-21.9, 0, "-22", "-22"),  # Django's number_format said "-21"
        (-0.004, 2, "0,00", "0.00"),  # and "-0,00"
        (2.675, 2, "2,68", "2.68"),  # half away from zero on the decimal a person sees
        (-2.5, 0, "-3", "-3"),
        (0.5, 0, "1", "1"),
        (1234567.5, 0, "1.234.568", "1,234,568"),
        (0.0449, 3, "0,045", "0.045"),
        (7, 1, "7,0", "7.0"),
    ],
)
def test_known_values(value: float, places: int, indonesian: str, english: str) -> None:
    with translation.override("id"):
        assert say_number(value, places) == indonesian
    with translation.override("en"):
        assert say_number(value, places) == english


def test_a_percentage() -> None:
    with translation.override("id"):
        assert say_percent(-21.9) == "-22%"
        assert say_percent(21.94, 1) == "21,9%"


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(finite, st.integers(min_value=0, max_value=4))
def test_rounding_is_within_half_a_unit_and_never_a_negative_zero(
    value: float, places: int
) -> None:
    result = rounded(value, places)
    exact = Decimal(repr(value))
    assert abs(result - exact) <= Decimal(1).scaleb(-places) / 2
    assert result.as_tuple().exponent == -places
    assert not (result.is_zero() and result.is_signed())


@given(finite, st.integers(min_value=0, max_value=4))
def test_the_text_reads_back_as_the_rounded_number(value: float, places: int) -> None:
    with translation.override("id"):
        text = say_number(value, places)
    back = Decimal(text.replace(".", "").replace(",", "."))
    assert back == rounded(value, places)
    if back == 0:
        assert not text.startswith("-")


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.integers(0, 3))
def test_rounding_is_symmetric(value: float, places: int) -> None:
    assert rounded(-value, places) == -rounded(value, places)


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        rounded(float("nan"))
