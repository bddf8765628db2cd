"""Outbound requests to typed-in addresses (jaga.core.outbound): what happens before the request.

The peer must be known to be public before anything goes to it, TLS's ClientHello included, and a
name lookup that never answers must cost the caller its timeout, not a worker for ever.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from jaga.core import outbound


@contextmanager
def raw_listener() -> Iterator[dict[str, Any]]:
    """A TCP port on loopback that records every connection and the bytes sent on it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen: dict[str, Any] = {"port": server.getsockname()[1], "connections": 0, "bytes": b""}
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            seen["connections"] += 1
            conn.settimeout(0.5)
            try:
                while chunk := conn.recv(4096):
                    seen["bytes"] += chunk
            except OSError:
                pass
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_https_checks_the_peer_before_the_tls_handshake() -> None:
    with raw_listener() as seen:
        connection = outbound._GuardedHTTPSConnection("127.0.0.1", seen["port"], timeout=2)
        with pytest.raises(outbound.OutboundError) as caught:
            connection.connect()
        time.sleep(0.3)
    assert caught.value.code == "private_address"
    assert seen["bytes"] == b""  # no ClientHello went to the private address


def test_a_name_resolving_only_to_private_addresses_is_not_even_connected_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with raw_listener() as seen:
        port = seen["port"]

        def lookup(host: str, *args: Any, **kwargs: Any) -> list[Any]:
            assert host == "hooks.example.org"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        monkeypatch.setattr(socket, "getaddrinfo", lookup)
        with pytest.raises(outbound.OutboundError) as caught:
            outbound.request(f"https://hooks.example.org:{port}/hook", timeout=2)
        time.sleep(0.3)
    assert caught.value.code == "private_address"
    assert seen["connections"] == 0


def test_a_name_lookup_that_never_answers_ends_with_the_request_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def hanging(*args: Any, **kwargs: Any) -> list[Any]:
        release.wait(60)
        raise OSError("released")

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    try:
        with pytest.raises(outbound.OutboundError) as caught:
            outbound.request("https://slow-dns.example.org/hook", timeout=0.5)
    finally:
        release.set()
    assert caught.value.code == "network"
    assert "slow-dns.example.org" in caught.value.message
    # Not a speed target: the hanging lookup would hold the caller for 60 s without the limit.
    assert time.monotonic() - started < 30


def test_private_addresses_are_still_reachable_when_allowed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with raw_listener() as seen:
        connection = outbound._GuardedHTTPConnection("127.0.0.1", seen["port"], private=True)
        connection.connect()
        connection.sock.sendall(b"ping")
        connection.close()
        time.sleep(0.3)
    assert seen["connections"] == 1 and seen["bytes"] == b"ping"
