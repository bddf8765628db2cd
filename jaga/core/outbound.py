"""Requests Jaga makes to addresses someone typed in (webhook endpoints, Open311 `media_url`).

An address typed by an admin or sent by a client must not turn Jaga into a door to the servers
beside it (SSRF): only `https://`, and the connection is refused when the address it actually
reached is not a public one (loopback, private ranges, link-local such as the cloud metadata
service at 169.254.169.254, carrier-grade NAT, multicast, reserved). A name is resolved within the
request's timeout, and addresses it resolves to that are not public are not connected to at all;
the check is made again on the socket's peer after connecting (before TLS's handshake on
`https://`), so a name that resolves to a public address when checked and to a private one when
used (DNS rebinding) is still refused. Redirects are not followed unless the
caller names the hosts they may lead to. Proxies from the environment are not used (they would
hide the real peer).

`OUTBOUND_ALLOW_PRIVATE` (default: DEBUG) allows `http://` and private addresses, for
development and for tests against a local server.

Transport: urllib (as `jaga.servicedesk.chat.graph`), with connection classes that check the peer.
"""

from __future__ import annotations

import concurrent.futures
import functools
import http.client
import ipaddress
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

# Bytes read at a time: the whole answer must come within the request's time, not each piece.
CHUNK = 16_384


class OutboundError(Exception):
    """A request that was refused before or while it was made; `message` is translated."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes
    url: str
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def allow_private() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False))


def is_public_address(address: str) -> bool:
    """Whether an IP address is a public, routable unicast one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


def check_url(url: str, *, private: bool | None = None) -> urllib.parse.SplitResult:
    """Refuse what can be refused without connecting: other schemes, `http` (unless private
    addresses are allowed), credentials in the address, a literal private IP."""
    private = allow_private() if private is None else private
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise OutboundError("bad_url", _("This is not a valid web address.")) from None
    schemes = {"https", "http"} if private else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise OutboundError("bad_url", _("Only https:// addresses are allowed."))
    if parts.username or parts.password:
        raise OutboundError("bad_url", _("The address may not contain a user name or password."))
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not private and (host == "localhost" or host.endswith((".localhost", ".local"))):
            raise OutboundError(
                "private_address", _("Addresses inside a private network are not allowed.")
            ) from None
    else:
        if not private and not is_public_address(host):
            raise OutboundError(
                "private_address", _("Addresses inside a private network are not allowed.")
            )
    return parts


def _check_peer(sock: socket.socket | None, private: bool) -> None:
    if private or sock is None:
        return
    peer = sock.getpeername()[0]
    if not is_public_address(str(peer)):
        sock.close()
        raise OutboundError(
            "private_address", _("Addresses inside a private network are not allowed.")
        )


# Name lookups run here so that a resolver that never answers costs the caller its timeout, not
# a worker for ever (getaddrinfo itself has no time limit). A lookup still hanging keeps its
# thread; once all are taken, new lookups wait their turn within their own timeout.
_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="jaga-dns")


def resolve(host: str, port: int, timeout: float | None) -> list[Any]:
    """`socket.getaddrinfo` for a TCP connection, given up after `timeout` seconds."""
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(
            _("The name %(host)s was not resolved within %(seconds)s seconds.")
            % {"host": host, "seconds": f"{timeout:g}"}
        ) from None


def _connect(
    address: tuple[str, int], timeout: Any, source_address: Any = None, *, private: bool
) -> socket.socket:
    """`socket.create_connection` with a time limit on the name lookup, and without even a
    connection attempt to an address that is not public (the peer is checked again after)."""
    host, port = address
    seconds = timeout if isinstance(timeout, int | float) else None
    candidates = resolve(host, port, seconds)
    if not private:
        candidates = [c for c in candidates if is_public_address(str(c[4][0]))]
        if not candidates:
            raise OutboundError(
                "private_address", _("Addresses inside a private network are not allowed.")
            )
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in candidates:
        sock = socket.socket(family, kind, proto)
        try:
            if seconds is not None:
                sock.settimeout(seconds)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for {host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, private: bool = False, **kwargs: Any) -> None:
        self._private = private
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect, private=private)

    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self._private)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, private: bool = False, **kwargs: Any) -> None:
        self._private = private
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect, private=private)

    def connect(self) -> None:
        # The TCP connection first, its peer checked, and only then the TLS handshake: not even
        # a ClientHello goes to an address that is not public. (HTTPSConnection.connect, split.)
        http.client.HTTPConnection.connect(self)
        _check_peer(self.sock, self._private)
        server_hostname = self._tunnel_host or self.host  # type: ignore[attr-defined]
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=server_hostname
        )


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, private: bool) -> None:
        super().__init__()
        self._private = private

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_GuardedHTTPConnection, private=self._private), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, private: bool) -> None:
        super().__init__()
        self._private = private

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            functools.partial(_GuardedHTTPSConnection, private=self._private),
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def __init__(self, hosts: frozenset[str], private: bool, seen: list[str]) -> None:
        super().__init__()
        self._hosts = hosts
        self._private = private
        self._seen = seen

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        parts = check_url(newurl, private=self._private)
        if (parts.hostname or "").lower() not in self._hosts:
            raise OutboundError(
                "redirect_refused",
                _("The address redirects to another host (%(host)s), which is not allowed.")
                % {"host": parts.hostname},
            )
        self._seen.append(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx answer is returned to the caller as it is


def _read_until(response: Any, limit: int, deadline: float, timeout: float) -> bytes:
    """Read at most `limit` bytes, giving up at `deadline`: the socket's timeout bounds each
    wait, so a server that sends a byte now and then would otherwise hold the caller for ever."""
    chunks: list[bytes] = []
    got = 0
    while got < limit:
        if time.monotonic() > deadline:
            raise OutboundError(
                "too_slow",
                _("The server took longer than %(seconds)s seconds to answer.")
                % {"seconds": f"{timeout:g}"},
            )
        # read1: what has arrived (one receive at most), not a wait for the whole chunk.
        chunk = response.read1(min(CHUNK, limit - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
    max_bytes: int = 1_000_000,
    redirect_hosts: Iterable[str] = (),
) -> Answer:
    """Make one request and return the answer (any status, 4xx and 5xx included).

    Raises OutboundError for a refused address or redirect, an answer over `max_bytes`, an
    answer not complete within `timeout` seconds of the start (`code` "too_slow"), and network
    failures and timeouts (`code` "network"). Redirects are followed (at most three)
    only to `redirect_hosts`; without them a 3xx is returned as it is.
    """
    deadline = time.monotonic() + timeout
    private = allow_private()
    check_url(url, private=private)
    seen: list[str] = []
    hosts = frozenset(h.lower() for h in redirect_hosts)
    redirect: urllib.request.BaseHandler = (
        _RedirectHandler(hosts, private, seen) if hosts else _NoRedirect()
    )
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.UnknownHandler(),
        _HTTPHandler(private),
        _HTTPSHandler(private),
        urllib.request.HTTPDefaultErrorHandler(),
        redirect,
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    req = urllib.request.Request(  # noqa: S310 - scheme checked by check_url
        url, data=body, headers=dict(headers or {}), method=method
    )
    try:
        response = opener.open(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc
    except OutboundError:
        raise
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, OutboundError):
            raise reason from None
        raise OutboundError(
            "network", _("The server could not be reached: %(reason)s") % {"reason": reason}
        ) from None
    try:
        with response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise OutboundError("too_large", _("The answer is too large."))
            data = _read_until(response, max_bytes + 1, deadline, timeout)
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise OutboundError(
            "network", _("The server could not be reached: %(reason)s") % {"reason": exc}
        ) from None
    if len(data) > max_bytes:
        raise OutboundError("too_large", _("The answer is too large."))
    return Answer(
        status=int(response.status or 0),
        headers=response.headers,
        body=data,
        url=response.geturl(),
        redirects=seen,
    )
