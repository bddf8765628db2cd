"""The demo's public figures: every closed month of the demo regency is published (protected
and stored) as `jaga report publish --all` would, so the portal opens at once."""

from __future__ import annotations

from typing import Any

ORDER = 95  # after every app that writes figures


def build(ctx: dict[str, Any]) -> None:
    import time

    from jaga.reports import public

    regency = ctx["regency"]
    started = time.monotonic()
    months = public.closed_months(regency.code)
    for month in months:
        public.publish(regency.code, month)
    ctx["stdout"].write(
        f"  public figures: {len(months)} months published in {time.monotonic() - started:.0f} s"
    )
