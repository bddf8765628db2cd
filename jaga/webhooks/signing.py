"""The `X-Jaga-Signature` header: `t=<unix time>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<t>.<raw body>"` with the endpoint's secret, so a receiver that checks it knows
the body came from Jaga unchanged, and by comparing `t` with its clock (within `TOLERANCE`) that
an old delivery is not being replayed. docs/webhooks.md shows how to check it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE = 300  # seconds


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = TOLERANCE
) -> bool:
    """What a receiver does (and our tests do): the MAC matches and the time is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
