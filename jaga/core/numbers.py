"""Numbers as people read them: rounded (never cut off) and in the reader's language.

Django's `number_format` cuts digits off instead of rounding (−21.9 with no decimals gives "−21",
−0.004 with two gives "−0,00"). `say_number` rounds half away from zero on the decimal value a
person sees (2.675 → 2.68, not the binary float's 2.67), never shows a negative zero, and then
formats for the active language (0,25 in Indonesian, 0.25 in English).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format


def rounded(value: float | int | Decimal, places: int = 0) -> Decimal:
    """`value` rounded half away from zero to `places` decimals; −0 becomes 0."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        result = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, OverflowError):
        raise ValueError(f"not a finite number: {value!r}") from None
    if result.is_zero():
        result = abs(result)
    return result


def say_number(value: float | int | Decimal, places: int = 0, *, grouping: bool = True) -> str:
    """The number rounded to `places` decimals in the reader's language ("1.235", "-21,9")."""
    return number_format(rounded(value, places), places, force_grouping=grouping)


def say_percent(value: float | int | Decimal, places: int = 0) -> str:
    """A percentage, rounded: "22%", "-21,9%"."""
    return say_number(value, places) + "%"
