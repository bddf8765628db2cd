"""The demo's public figures: the last twelve closed months of the demo regency are published
(protected and stored) as `jaga report publish --month` would, so the portal opens at once;
`jaga report publish --all --missing` publishes the older ones (about 10 s a month, mostly the
trend fits)."""

from __future__ import annotations

from typing import Any

ORDER = 95  # after every app that writes figures
DEMO_MONTHS = 12


def build(ctx: dict[str, Any]) -> None:
    import time

    from jaga.reports import public

    regency = ctx["regency"]
    started = time.monotonic()
    months = public.closed_months(regency.code)[-DEMO_MONTHS:]
    for month in months:
        public.publish(regency.code, month)
    ctx["stdout"].write(
        f"    public figures: {len(months)} months published in {time.monotonic() - started:.0f} s"
    )
