"""The sandbox provider's back office: tasks, a render thread and callbacks, Crun-style.

It plays a remote provider inside this process: it knows nothing of our database, fetches
its inputs over HTTP from the URLs it is given and calls back over HTTP. Each task is also
kept as a JSON file beside its result, so whichever web process is asked can answer for
it. `Behaviour` makes it misbehave on demand (every Crun error code, rate limiting, slowness,
duplicate and late callbacks, odd result links) so demos and tests use the same fake.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from avatars import catalog

log = logging.getLogger(__name__)

CREDITS_PER_SECOND = {"720p": 0.025, "1080p": 0.045}
ERROR_MESSAGES = {
    401: "unauthorized",
    402: "insufficient credits",
    403: "api key disabled",
    404: "task not found",
    422: "validation error",
    429: "rate limited",
    455: "service under maintenance",
    500: "internal server error",
    501: "generation failed",
    505: "feature disabled",
}


@dataclass
class Behaviour:
    """How the sandbox behaves; the default is a well-behaved provider."""

    create_error: int | None = None  # answer CreateTask with this Crun code…
    create_error_times: int | None = None  # …this many times (None: always)
    info_error: int | None = None
    info_error_times: int | None = None
    errors_in_json: bool = False  # HTTP 200 with the code in the JSON instead of the status
    retry_after: float | None = 1.0  # sent with 429
    create_delay: float = 0.0  # seconds before CreateTask answers
    render_delay: float = 0.0  # extra seconds a render takes
    fail_generation: bool = False  # the task ends failed with code 501
    send_callback: bool = True
    callback_copies: int = 1
    callback_delay: float = 0.0
    result_url: str | None = None  # report this link instead of the real result
    result_bytes: bytes | None = None  # serve these bytes instead of rendering (fast fakes)


@dataclass
class Task:
    task_id: str
    param: dict[str, Any]
    callback_url: str
    status: str = "pending"
    create_at: int = field(default_factory=lambda: int(time.time()))
    complete_at: int | None = None
    duration_s: float | None = None
    credits: float | None = None
    result: dict[str, Any] | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status,
            "param": self.param,
            "create_at": self.create_at,
            "complete_at": self.complete_at,
            "duration_s": self.duration_s,
            "credits": self.credits,
            "result": self.result,
        }


TASK_ID = re.compile(r"task_[0-9a-z_]{1,40}")


class SandboxService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-render")
        self.reset()

    def reset(self, behaviour: Behaviour | None = None) -> None:
        with self._lock:
            self.behaviour = behaviour or Behaviour()
            self.tasks: dict[str, Task] = {}
            self.calls: Counter[str] = Counter()
            self._error_counts: Counter[str] = Counter()

    def configure(self, **changes: Any) -> None:
        with self._lock:
            self.behaviour = replace(self.behaviour, **changes)

    # --- the API ------------------------------------------------------------------------------

    def create_task(self, payload: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.calls["CreateTask"] += 1
        behaviour = self.behaviour
        if behaviour.create_delay:
            time.sleep(behaviour.create_delay)
        if error := self._scripted_error(
            "create", behaviour.create_error, behaviour.create_error_times
        ):
            return error
        problem = _validate(payload)
        if problem:
            return self._error(422, problem)
        with self._lock:
            task = Task(
                # Unique across processes: several web workers may serve the sandbox at once.
                task_id=f"task_{uuid.uuid4().hex[:8]}{next(self._ids):04d}",
                param=payload["input"],
                callback_url=payload.get("callback_url") or "",
            )
            self.tasks[task.task_id] = task
        _save(task)
        self._pool.submit(self._render, task.task_id)
        return 200, {"code": 200, "message": "success", "data": {"task_id": task.task_id}}, {}

    def task_info(self, task_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.calls["TaskInfo"] += 1
        behaviour = self.behaviour
        if error := self._scripted_error("info", behaviour.info_error, behaviour.info_error_times):
            return error
        task = self.tasks.get(task_id) or _load(task_id)
        if task is None:
            return self._error(404, "task not found")
        return 200, {"code": 200, "message": "success", "data": task.as_data()}, {}

    def balance(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.calls["balance"] += 1
        return 200, {"code": 200, "message": "success", "data": {"balance": 1000}}, {}

    def result_path(self, task_id: str) -> Path | None:
        path = _results_dir() / f"{task_id}.mp4"
        known = task_id in self.tasks or _load(task_id) is not None
        return path if known and path.exists() else None

    def _scripted_error(
        self, call: str, code: int | None, times: int | None
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if code is None:
            return None
        with self._lock:
            if times is not None and self._error_counts[call] >= times:
                return None
            self._error_counts[call] += 1
        return self._error(code, ERROR_MESSAGES.get(code, "error"))

    def _error(self, code: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {}
        if code == 429 and self.behaviour.retry_after is not None:
            headers["Retry-After"] = f"{self.behaviour.retry_after:g}"
        body = {"code": code, "message": message, "data": None}
        return (200 if self.behaviour.errors_in_json else code), body, headers

    # --- the "GPU" ----------------------------------------------------------------------------

    def _render(self, task_id: str) -> None:
        task = self.tasks[task_id]
        behaviour = self.behaviour
        task.status = "running"
        _save(task)
        try:
            if behaviour.render_delay:
                time.sleep(behaviour.render_delay)
            if behaviour.fail_generation:
                raise RenderRefused("the model could not animate this portrait")
            duration, notes = self._produce_video(task, behaviour)
        except RenderRefused as refused:
            task.status, task.complete_at = "failed", int(time.time())
            task.result = {"code": 501, "message": str(refused), "media_urls": []}
        except Exception as exc:  # a provider reports failures, it does not crash
            log.exception("sandbox render %s failed", task_id)
            task.status, task.complete_at = "failed", int(time.time())
            task.result = {"code": 501, "message": f"render error: {exc}", "media_urls": []}
        else:
            url = behaviour.result_url or f"{settings.SANDBOX_BASE_URL}/results/{task_id}.mp4"
            task.duration_s = round(duration, 2)
            rate = CREDITS_PER_SECOND.get(task.param.get("resolution", "720p"), 0.025)
            task.credits = round(duration * rate, 4)
            task.result = {"code": 200, "message": "success", "media_urls": [url]}
            if notes:
                task.result["notes"] = notes
            task.complete_at = int(time.time())
            task.status = "success"
        _save(task)
        if behaviour.send_callback and task.callback_url:
            self._call_back(task, behaviour)

    def _produce_video(self, task: Task, behaviour: Behaviour) -> tuple[float, list[str]]:
        """Render the task's video; its length and what the draft could not do as asked."""
        out = _results_dir() / f"{task.task_id}.mp4"
        if behaviour.result_bytes is not None:
            out.write_bytes(behaviour.result_bytes)
            return 1.0, []
        from avatars.sandbox.draft import render_draft

        rendered = render_draft(task.param, out)
        return rendered.duration, rendered.notes

    def _call_back(self, task: Task, behaviour: Behaviour) -> None:
        if behaviour.callback_delay:
            time.sleep(behaviour.callback_delay)
        body = json.dumps({"code": 200, "message": "success", "data": task.as_data()})
        for _ in range(behaviour.callback_copies):
            try:
                httpx.post(
                    task.callback_url,
                    content=body,
                    headers={"content-type": "application/json"},
                    timeout=10,
                )
            except httpx.HTTPError as exc:
                log.warning("sandbox callback for %s failed: %s", task.task_id, exc)


class RenderRefused(Exception):
    pass


def _validate(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("input"), dict):
        return "input is required"
    given = payload["input"]
    if not given.get("image_url"):
        return "input.image_url is required"
    if not (given.get("text") or given.get("audio_url")):
        return "at least one of input.audio_url and input.text is required"
    if given.get("resolution", "720p") not in catalog.RESOLUTIONS:
        return "input.resolution must be 720p or 1080p"
    return ""


def _save(task: Task) -> None:
    """Keep the task on disk too, so any process serving the sandbox can answer for it."""
    folder = _results_dir() / "tasks"
    folder.mkdir(exist_ok=True)
    scratch = folder / f".{task.task_id}.{threading.get_ident()}"
    scratch.write_text(json.dumps(asdict(task)))
    scratch.replace(folder / f"{task.task_id}.json")


def _load(task_id: str) -> Task | None:
    if not TASK_ID.fullmatch(task_id):
        return None
    try:
        return Task(**json.loads((_results_dir() / "tasks" / f"{task_id}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _results_dir() -> Path:
    path = Path(settings.SANDBOX_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


service = SandboxService()
