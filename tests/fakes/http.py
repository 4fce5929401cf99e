"""The one HTTP server of the tests: 127.0.0.1, a thread per connection, every request kept.

A subclass answers each request in `answer` with a status, a body and headers; the body is
JSON-able data (sent as application/json), raw bytes (sent as they are, with the headers
given), or `Streamed` (written straight to the socket, for bodies too big to hold).
Connections stay open between requests (HTTP/1.1) and each answer leaves in one write with
Nagle off, so a benchmark measures the client rather than 40 ms delayed ACKs.
`join_requests` waits until no request is being answered, for tests that assert nothing else
happened.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

# The longest a test waits for a fake to fall quiet: long enough for a busy machine, short
# enough that a fake which never does is a failure rather than a hung run.
QUIET_TIMEOUT = 60.0


@dataclass
class Request:
    method: str
    target: str  # the path with its query, as sent
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: Any  # the JSON, else the raw bytes; None when there was none
    raw: bytes


@dataclass(frozen=True)
class Streamed:
    """A body written to the socket by `write(connection, wfile)`: `length` bytes in all."""

    length: int
    write: Callable[[socket.socket, BufferedIOBase], None]


Answer = tuple[int, Any, dict[str, str]]


class LocalServer:
    """Subclasses answer requests; this serves them on 127.0.0.1 and remembers them."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._busy = 0
        self._quiet = threading.Condition()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def handle(self, request: Request) -> Answer:
        """Where every request goes first; a base class may route some before `answer`."""
        return self.answer(request)

    def join_requests(self, timeout: float = QUIET_TIMEOUT) -> None:
        """Wait until no request is being answered."""
        with self._quiet:
            if not self._quiet.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError(f"{type(self).__name__} still answering after {timeout} s")

    def _serve(self, handler: _Handler) -> None:
        with self._quiet:
            self._busy += 1
        try:
            request = _read(handler)
            self.requests.append(request)
            status, body, headers = self.handle(request)
            _write(handler, status, body, headers)
        finally:
            with self._quiet:
                self._busy -= 1
                self._quiet.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LocalServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self) -> None:
        try:
            self.server.owner._serve(self)
        except OSError:
            self.close_connection = True  # the client gave up waiting, which some tests want

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def _read(handler: _Handler) -> Request:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    try:
        body: Any = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        body = raw
    parts = urlsplit(handler.path)
    return Request(
        method=handler.command,
        target=handler.path,
        path=parts.path,
        query={name: values[-1] for name, values in parse_qs(parts.query).items()},
        headers={name.lower(): value for name, value in handler.headers.items()},
        body=body,
        raw=raw,
    )


def _write(handler: _Handler, status: int, body: Any, headers: dict[str, str]) -> None:
    if isinstance(body, Streamed):
        data, length = b"", body.length
    elif isinstance(body, bytes):
        data, length = body, len(body)
    else:
        data = json.dumps(body).encode()
        length = len(data)
        headers = {"Content-Type": "application/json", **headers}
    headers = {**headers, "Content-Length": str(length)}
    reason = handler.responses.get(status, ("",))[0]
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    handler.wfile.write(f"{head}\r\n".encode() + data)
    if isinstance(body, Streamed):
        body.write(handler.connection, handler.wfile)
