"""The one chart module: every chart is inline SVG drawn on the server (readable without
JavaScript, in print and in PDFs) and drawn twice, a wide drawing for a desktop and a narrow one
(fewer ticks, larger type) for a phone; jaga.css shows one of them, print and PDFs the wide one.

The narrow drawing is NARROW user units wide and meant for about 300–440 px on screen, so its
NARROW_FONT px labels render at 11 px or more on a 360 px phone.

Kinds: `column_chart` (monthly columns: counts, rates, stacks, a trend line; `Columns` draws
one drawing of it, e.g. the portal's phone-sized chart with withheld marks), `bar_chart`
(grouped bars for print), `rate_bars` (a row per group), `line_chart`, `sparkline`,
`event_study_chart`. Primitives (scales, axes, tick thinning, legends, markers) are in `draw`.
"""

from jaga.core.charts.columns import Columns, Part, bar_chart, column_chart
from jaga.core.charts.draw import NARROW, NARROW_FONT, WIDE_FONT, every, nice_max, pair, pct
from jaga.core.charts.lines import event_study_chart, line_chart, sparkline
from jaga.core.charts.rows import rate_bars

__all__ = [
    "Columns",
    "NARROW",
    "NARROW_FONT",
    "WIDE_FONT",
    "Part",
    "bar_chart",
    "column_chart",
    "event_study_chart",
    "every",
    "line_chart",
    "nice_max",
    "pair",
    "pct",
    "rate_bars",
    "sparkline",
]
