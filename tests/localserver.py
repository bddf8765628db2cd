"""A real HTTP server on 127.0.0.1 for tests of Jaga's outgoing requests: it records what it
receives and answers what the test tells it to (status, headers, body, a delay, a body that
drips)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the body's ten pieces (a server that drips)


@dataclass
class LocalServer:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    replies: dict[str, Reply] = field(default_factory=dict)
    default: Reply = field(default_factory=Reply)

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def answer(self, path: str, reply: Reply) -> None:
        self.replies[path] = reply


@contextmanager
def local_server() -> Iterator[LocalServer]:
    state = LocalServer("127.0.0.1", 0)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.received.append(
                Received(self.command, self.path, dict(self.headers.items()), body)
            )
            reply = state.replies.get(self.path.split("?")[0], state.default)
            if reply.delay:
                time.sleep(reply.delay)  # the server is slow; the client under test must not wait
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                if not reply.trickle:
                    self.wfile.write(reply.body)
                    return
                step = max(1, len(reply.body) // 10)
                for start in range(0, len(reply.body), step):
                    self.wfile.write(reply.body[start : start + step])
                    self.wfile.flush()
                    time.sleep(reply.trickle)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
