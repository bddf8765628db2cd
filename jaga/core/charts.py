"""Charts that read on a phone: every server-drawn chart is drawn twice, a wide drawing for a
desktop and a narrow one (fewer ticks, larger type) for a phone; jaga.css shows one of them.

The narrow drawing is NARROW user units wide and meant for about 300–440 px on screen, so its
NARROW_FONT px labels render at 11 px or more on a 360 px phone. Print and PDFs use the wide one.
"""

from __future__ import annotations

import math

from django.utils.safestring import SafeString, mark_safe

NARROW = 320  # viewBox width of the phone drawing
NARROW_FONT = 13  # its label size in user units (≈ 12.5 px on a 360 px screen)
WIDE_FONT = 11


def pair(wide: str, narrow: str) -> SafeString:
    """Both drawings in one block; CSS (`.chart-pair`) shows the wide one above 640 px."""
    if not wide and not narrow:
        return mark_safe("")  # noqa: S308 - constant
    return mark_safe(  # noqa: S308 - both drawings are built from escaped text
        f'<div class="chart-pair"><div class="chart-wide">{wide}</div>'
        f'<div class="chart-narrow">{narrow}</div></div>'
    )


def every(count: int, plot_width: float, label_chars: int, font: float) -> int:
    """Label every n-th of `count` evenly spaced ticks so that labels of `label_chars`
    characters at `font` units never touch (about 0.6 em per character plus a gap)."""
    if count <= 1:
        return 1
    need = label_chars * font * 0.62 + font
    room = plot_width / count
    return max(1, math.ceil(need / room))
