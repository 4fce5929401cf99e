"""Parts that break on purpose, for the failure drills (tests/test_failure_drills.py).

A private redis-server that can be killed and started again, a TCP proxy in front of
PostgreSQL that refuses and resets connections while told to, an HTTP proxy in front of the
provider that holds status requests, a video server that stalls most way, a tiny filesystem
that fills up, and the invariants every drill ends with.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from io import BufferedIOBase
from pathlib import Path

import httpx
import redis
from django.db.models import FileField

from avatars.models import CreditEntry, JobStatus, RenderJob
from avatars.models.jobs import FINAL_STATUSES
from tests.conftest import stored_files
from tests.fakes.crun import FakeCrun
from tests.fakes.http import Answer, LocalServer, Request, Streamed
from tests.helpers.ports import free_port

HOLD_SECONDS = 30.0  # the longest anything here holds a request, so a test cannot hang


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset, as a crashed server would."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


# --- Redis --------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence: killed, it forgets."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def messages_in(url: str) -> set[bytes]:
    """The ids of the Dramatiq messages the Redis at `url` holds, queued, delayed or taken."""
    client = redis.Redis.from_url(url)
    return {message for key in client.scan_iter("dramatiq:*.msgs") for message in client.hkeys(key)}


# --- PostgreSQL ---------------------------------------------------------------------------------


class RefusingProxy:
    """A TCP proxy to a server (PostgreSQL) that, while refusing, resets every connection it
    carries and every new one, the way a crashed or restarting database does."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = threading.Event()
        self.refused = 0
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @contextlib.contextmanager
    def refuse(self) -> Iterator[None]:
        self.refusing.set()
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for client, server in pairs:
            _reset(client)
            _reset(server)
        try:
            yield
        finally:
            self.refusing.clear()

    def close(self) -> None:
        self._closed.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                self.refused += 1
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._pairs.add((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (server if sock is client else client).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._pairs.discard((client, server))
            _reset(client)
            _reset(server)


# --- HTTP ---------------------------------------------------------------------------------------


class HoldingProxy(LocalServer):
    """An HTTP proxy in front of a provider that, while armed, holds status requests (the
    worker is then inside its poll) until released."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.armed = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()

    def answer(self, request: Request) -> Answer:
        if self.armed.is_set() and "TaskInfo" in request.path:
            self.holding.set()
            self.released.wait(HOLD_SECONDS)
        hop_by_hop = ("host", "content-length", "connection", "transfer-encoding")
        answer = httpx.request(
            request.method,
            f"{self.upstream}{request.target}",
            content=request.raw,
            headers={k: v for k, v in request.headers.items() if k not in hop_by_hop},
            timeout=HOLD_SECONDS,
        )
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in hop_by_hop}
        return answer.status_code, answer.content, headers


class StallingVideo(LocalServer):
    """Serves one video; while stalling, it sends all but its last kilobyte and then waits."""

    def __init__(self, content: bytes) -> None:
        super().__init__()
        self.content = content
        self.stalling = threading.Event()
        self.mostly_sent = threading.Event()

    def answer(self, request: Request) -> Answer:
        return 200, Streamed(len(self.content), self._send), {"Content-Type": "video/mp4"}

    def _send(self, connection: socket.socket, wfile: BufferedIOBase) -> None:
        if not self.stalling.is_set():
            wfile.write(self.content)
            return
        most = len(self.content) - 1024
        wfile.write(self.content[:most])
        self.mostly_sent.set()
        deadline = time.monotonic() + HOLD_SECONDS
        while self.stalling.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        wfile.write(self.content[most:])


# --- a filesystem that fills up -----------------------------------------------------------------


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (needs root); raises PermissionError otherwise."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise PermissionError(done.stderr.strip() or "mount refused")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path, leave: int) -> None:
    """Fill the filesystem at `path` until only about `leave` bytes are free."""
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize
    with (path / "filler").open("wb") as filler:
        filler.write(b"\0" * max(0, free - leave))


# --- what every drill ends with -----------------------------------------------------------------


def assert_settled_once(
    jobs: Iterable[RenderJob],
    crun: FakeCrun,
    media_root: Path,
    scratch: Path,
    expected: str = JobStatus.SUCCEEDED,
) -> None:
    """Every job is in one final state, reached once; the provider was asked to render it
    once; it was charged at most once and its hold settled once; no file is left that no job
    points at, and no download was left most done."""
    referenced = set()
    for job in jobs:
        job.refresh_from_db()
        assert job.status == expected, (job.pk, job.status, job.error_message)
        finals = job.events.filter(kind="status", to_status__in=FINAL_STATUSES)
        assert finals.count() == 1, list(finals.values_list("to_status", "message"))
        started = [t for t in crun.tasks.values() if f"/{job.pk}/" in t.webhook_url]
        assert len(started) == 1, f"job {job.pk} was submitted {len(started)} times"
        kinds = list(job.credit_entries.values_list("kind", flat=True))
        charged = 1 if expected == JobStatus.SUCCEEDED else 0
        assert kinds.count(CreditEntry.Kind.HOLD) == 1
        assert kinds.count(CreditEntry.Kind.RELEASE) == 1
        assert kinds.count(CreditEntry.Kind.CHARGE) == charged
        for field in RenderJob._meta.concrete_fields:
            if isinstance(field, FileField) and getattr(job, field.name):
                referenced.add(media_root / getattr(job, field.name).name)
    kept = set(stored_files(media_root / "renders"))
    assert kept == referenced, f"files no job points at: {sorted(kept - referenced)}"
    assert stored_files(scratch) == [], "a download was left behind"
