"""A fake Crun: the unified task API of shared/providers.md §1, and a zero-latency one.

`FakeCrun` renders each task in a thread of its own and calls back (the base class calls
them webhooks; with no webhook secret it signs none, as Crun signs none). `CrunBehaviour`
adds Crun's own ways of going wrong to the shared ones: error codes sent as the JSON `code`
of an HTTP 200, and answers without the reported cost. `InstantCrun` is the benchmarks'
Crun: every task is finished the moment it is created, nothing calls back, and it also
serves big files from disk (sendfile) or generated as they stream, holding none of them in
memory.
"""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass
from io import BufferedIOBase
from pathlib import Path
from typing import Any

from .http import Streamed
from .server import Answer, Behaviour, FakeProvider, Request, Task

API_KEY = "crun_test_key"
CREATE_PATH = "/api/v1/client/job/CreateTask"
INFO_PATH = "/api/v1/client/job/TaskInfo"
BALANCE_PATH = "/api/v1/client/account/balance"
CREDITS_PER_SECOND = {"720p": 0.025, "1080p": 0.045}
SECONDS = 1.0  # the length of every result (tests/files.py's mp4_bytes() lasts a second)
BALANCE = 1000
# Crun's error codes, each with what its body's `message` says, as shared/providers.md lists them.
CODES = (
    "401 unauthorized · 402 insufficient credits · 403 key disabled · 404 not found · "
    "422 validation error · 429 rate limited · 455 maintenance · 500 server error · "
    "501 generation failed · 505 feature disabled"
)
MESSAGES = {
    int(code): words for code, _, words in (c.strip().partition(" ") for c in CODES.split("·"))
}
RESOLUTIONS = ("720p", "1080p")


@dataclass
class CrunBehaviour(Behaviour):
    errors_in_json: bool = False  # HTTP 200 with the error's code in the JSON instead
    report_cost: bool = True  # a finished task carries its `credits`


class FakeCrun(FakeProvider):
    behaviour: CrunBehaviour
    behaviour_class = CrunBehaviour
    api_key = API_KEY
    created_status = "pending"
    running_status = "running"
    success_status = "success"
    failed_status = "failed"

    def answer(self, request: Request) -> Answer:
        method, path = request.method, request.path
        if request.headers.get("x-api-key") != self.api_key:
            return self.error(401)
        if method == "POST" and path == CREATE_PATH:
            return self.create(request.body)
        if method == "GET" and path == INFO_PATH:
            self.calls["get"] += 1
            if error := self.scripted_error("fetch"):
                return error
            task = self.tasks.get(request.query.get("task_id", ""))
            return (200, _success(self.describe(task)), {}) if task else self.error(404)
        if method == "GET" and path == BALANCE_PATH:
            self.calls["balance"] += 1
            return 200, _success({"balance": BALANCE}), {}
        return self.error(404)

    def create(self, body: Any) -> Answer:
        self.calls["create"] += 1
        self.slow_create()
        if error := self.scripted_error("create"):
            return error
        if problem := _invalid(body):
            return self.error(422, problem)
        task = self.start_task("task_", body, body.get("callback_url") or "")
        return 200, _success({"task_id": task.id}), {}

    def error(self, status: int, message: str = "") -> Answer:
        body = {"code": status, "message": message or MESSAGES.get(status, "error"), "data": None}
        return (200 if self.behaviour.errors_in_json else status), body, {}

    def describe(self, task: Task, *, link: str | None = None) -> dict[str, Any]:
        param = task.payload.get("input") or {}
        data: dict[str, Any] = {
            "task_id": task.id,
            "status": task.status,
            "param": param,
            "create_at": task.created_at,
            "complete_at": task.finished_at,
            "duration_s": None,
            "credits": None,
            "result": None,
        }
        if task.status == self.success_status:
            credits = self.cost(task) if self.behaviour.report_cost else None
            url = self.link(task) if link is None else link
            result = {"code": 200, "message": "success", "media_urls": [url]}
            data |= {"duration_s": SECONDS, "credits": credits, "result": result}
        elif task.status == self.failed_status:
            data["result"] = {"code": 501, "message": task.error, "media_urls": []}
        return data

    def cost(self, task: Task) -> float:
        """What the task costs at Crun's list price: what a finished task reports."""
        resolution = (task.payload.get("input") or {}).get("resolution", "720p")
        return round(SECONDS * CREDITS_PER_SECOND.get(resolution, 0.025), 4)

    def webhook_body(self, task: Task) -> dict[str, Any]:
        return _success(self.describe(task))

    def callback(self, task: Task, **changes: Any) -> str:
        """A callback body as Crun sends it about `task` as it is now, with `changes` made
        to the task's fields."""
        return json.dumps(_success(self.describe(task) | changes))


class InstantCrun(FakeCrun):
    """A zero-latency Crun: every task is done when created, and nothing calls back."""

    def __init__(self, result: bytes) -> None:
        super().__init__()
        self.configure(result_bytes=result)
        self.files: dict[str, Path] = {}

    def create(self, body: Any) -> Answer:
        self.calls["create"] += 1
        task = self.new_task("task_", body if isinstance(body, dict) else {}, "")
        task.status = self.success_status
        return 200, _success({"task_id": task.id}), {}

    def link(self, task: Task) -> str:
        return f"{self.url}/files/{task.id}.mp4?token=1"

    def handle(self, request: Request) -> Answer:
        name = request.path.rpartition("/")[2]
        if request.path.startswith("/disk/") and name in self.files:
            self.calls["file"] += 1
            return 200, _sendfile(self.files[name]), {"Content-Type": "video/mp4"}
        if request.path.startswith("/generated/") and name.isdigit():
            self.calls["generated"] += 1
            body = _generated(self.behaviour.result_bytes, int(name))
            return 200, body, {"Content-Type": "video/mp4"}
        return super().handle(request)

    def file_url(self, name: str, path: Path) -> str:
        """A link to the file at `path`, sent from disk with sendfile."""
        self.files[name] = path
        return f"{self.url}/disk/{name}"

    def generated_url(self, size: int) -> str:
        """A link to an MP4 of `size` bytes generated as it streams (at most 4 GB: one box)."""
        return f"{self.url}/generated/{size}"


def _success(data: Any) -> dict[str, Any]:
    return {"code": 200, "message": "success", "data": data}


def _invalid(payload: Any) -> str:
    """The first of the contract's rules the create's payload breaks ("" when none)."""
    given = payload.get("input") if isinstance(payload, dict) else None
    if not isinstance(given, dict):
        return "input is required"
    rules = [
        (bool(given.get("image_url")), "input.image_url is required"),
        (bool(given.get("text") or given.get("audio_url")), "input.text or input.audio_url"),
        (given.get("resolution", "720p") in RESOLUTIONS, "input.resolution: 720p or 1080p"),
    ]
    return next((broken for kept, broken in rules if not kept), "")


def _sendfile(path: Path) -> Streamed:
    def send(connection: socket.socket, wfile: BufferedIOBase) -> None:
        wfile.flush()
        with path.open("rb") as handle:
            connection.sendfile(handle)

    return Streamed(path.stat().st_size, send)


def _generated(video: bytes, size: int) -> Streamed:
    """A valid MP4 of `size` bytes made as it is sent: `video`, then one `free` box of zeros
    written from one reused block."""

    def send(connection: socket.socket, wfile: BufferedIOBase) -> None:
        wfile.write(video + struct.pack(">I4s", size - len(video), b"free"))
        block = memoryview(bytes(1024 * 1024))
        left = size - len(video) - 8
        while left > 0:
            left -= wfile.write(block[: min(left, len(block))])

    return Streamed(size, send)
