"""The client's address, the one function that rate limits and login protection key on.

Behind a reverse proxy every request comes from the proxy's address (REMOTE_ADDR), so the limits
would lump all clients together. When `JAGA_TRUSTED_PROXY_HEADER` names the header that the proxy
sets (e.g. `X-Forwarded-For`) and `JAGA_TRUSTED_PROXY_COUNT` says how many proxies of ours stand in
front of Jaga, the client is the address that the outermost of our proxies appended: the
`count`-th entry from the right. Entries further left were written by the client and are ignored.
With `JAGA_TRUSTED_PROXY_IPS` set, the header is honoured only on requests that arrive from one of
those networks. Without a header setting the header is never read: anyone can send one.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _meta_name(header: str) -> str:
    name = header.strip().upper().replace("-", "_")
    if name in {"REMOTE_ADDR", ""}:
        return "REMOTE_ADDR"
    return name if name.startswith("HTTP_") else "HTTP_" + name


def _valid(address: str) -> str | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "203.0.113.9:51234"
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _from_trusted_peer(peer: str) -> bool:
    networks = getattr(settings, "JAGA_TRUSTED_PROXY_IPS", [])
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def client_ip(request: Any) -> str:
    """The address of the client that sent `request` (never empty: "unknown" at worst)."""
    meta = getattr(request, "META", {}) or {}
    peer = _valid(str(meta.get("REMOTE_ADDR") or "")) or "unknown"
    header = _meta_name(getattr(settings, "JAGA_TRUSTED_PROXY_HEADER", "") or "")
    if header == "REMOTE_ADDR" or not _from_trusted_peer(peer):
        return peer
    count = max(1, int(getattr(settings, "JAGA_TRUSTED_PROXY_COUNT", 1)))
    entries = [e for e in str(meta.get(header) or "").split(",") if e.strip()]
    if len(entries) < count:
        # The request did not pass through all of our proxies: the header is not ours.
        return peer
    return _valid(entries[-count]) or peer


def client_ip_for_axes(request: Any) -> str | None:
    """`client_ip` for django-axes, which stores addresses in an IP column: None when unknown
    (e.g. Django's test client's force_login, which builds a request without an address)."""
    address = client_ip(request)
    return None if address == "unknown" else address
