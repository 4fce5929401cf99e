"""A zero-latency Crun on 127.0.0.1 and the video files it serves; no Django here.

CreateTask answers at once, TaskInfo reports every task finished, and the result link
serves a tiny real MP4 from memory. Big files registered with `serve_file` are streamed
from disk with sendfile, and `generated_url` ones are made while they stream, so the server
itself holds none of them in memory.
"""

from __future__ import annotations

import io
import itertools
import json
import struct
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np

CREATE_PATH = "/api/v1/client/job/CreateTask"
INFO_PATH = "/api/v1/client/job/TaskInfo"
API_KEY = "bench"


def tiny_mp4(seconds: float = 0.2, size: int = 64, fps: int = 25) -> bytes:
    """A real H.264 MP4 of a few frames, small enough to serve from memory."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(round(seconds * fps)):
            pixels = np.full((size, size, 3), (index * 40) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def write_padded_mp4(path: Path, total_bytes: int, video: bytes) -> None:
    """A valid MP4 of `total_bytes`: `video` followed by one `free` box that demuxers skip."""
    padding = total_bytes - len(video)
    block = bytes(8 * 1024 * 1024)
    with path.open("wb") as out:
        out.write(video)
        out.write(struct.pack(">I4s", padding, b"free"))
        left = padding - 8
        while left > 0:
            left -= out.write(block[: min(left, len(block))])


class FakeCrun(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, result: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.result = result
        self.files: dict[str, Path] = {}
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="fake-crun", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeCrun:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def serve_file(self, name: str, path: Path) -> str:
        self.files[name] = path
        return f"{self.url}/files/{name}"

    def generated_url(self, size: int) -> str:
        """A link to an MP4 of `size` bytes generated as it streams (at most 4 GB: one box)."""
        return f"{self.url}/generated/{size}"

    def next_task_id(self) -> str:
        with self._lock:
            return f"task_{next(self._ids):08d}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeCrun
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write, and without Nagle, so no 40 ms delayed-ACK stalls.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if urlsplit(self.path).path != CREATE_PATH:
            self._json(404, {"code": 404, "message": "not found", "data": None})
            return
        self.server.calls["CreateTask"] += 1
        task_id = self.server.next_task_id()
        self._json(200, {"code": 200, "message": "success", "data": {"task_id": task_id}})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == INFO_PATH:
            self.server.calls["TaskInfo"] += 1
            task_id = parse_qs(parts.query).get("task_id", [""])[0]
            self._json(200, {"code": 200, "message": "success", "data": _finished(self, task_id)})
        elif parts.path.startswith("/results/"):
            self.server.calls["result"] += 1
            self._send(200, "video/mp4", self.server.result)
        elif parts.path.startswith("/generated/") and parts.path[11:].isdigit():
            self.server.calls["generated"] += 1
            self._generated(int(parts.path[11:]))
        elif parts.path.startswith("/files/") and parts.path[7:] in self.server.files:
            self.server.calls["file"] += 1
            self._sendfile(self.server.files[parts.path[7:]])
        else:
            self._json(404, {"code": 404, "message": "not found", "data": None})

    def _json(self, status: int, body: dict) -> None:
        self._send(status, "application/json", json.dumps(body).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {self.responses[status][0]}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.wfile.write(head + body)

    def _generated(self, size: int) -> None:
        """A valid MP4 of `size` bytes made as it is sent: the result video, then one `free`
        box of zeros, written from one reused block so the server holds none of it."""
        video = self.server.result
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(video + struct.pack(">I4s", size - len(video), b"free"))
        block = memoryview(bytes(1024 * 1024))
        left = size - len(video) - 8
        while left > 0:
            left -= self.wfile.write(block[: min(left, len(block))])

    def _sendfile(self, path: Path) -> None:
        with path.open("rb") as handle:
            size = path.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.connection.sendfile(handle)


def _finished(handler: _Handler, task_id: str) -> dict:
    return {
        "task_id": task_id,
        "status": "success",
        "param": {},
        "create_at": 0,
        "complete_at": 0,
        "duration_s": 0.2,
        "credits": 0.005,
        "result": {
            "code": 200,
            "message": "success",
            "media_urls": [f"{handler.server.url}/results/{task_id}.mp4"],
        },
    }
