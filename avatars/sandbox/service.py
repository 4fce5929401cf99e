"""The sandbox provider's back office: Crun's tasks, rendered on the CPU, with callbacks.

It plays a well-behaved remote provider inside this process and knows nothing of our
database: it fetches its inputs over HTTP through the SSRF-safe fetcher (inputs.py says from
where), draws the draft (draft.py) and calls back only to this studio's own callback path
(callbacks.py). Each task is a JSON file in SANDBOX_ROOT beside its result, so whichever web
process is asked can answer for it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from avatars import catalog
from avatars.sandbox import callbacks

log = logging.getLogger(__name__)

CREDITS_PER_SECOND = {"720p": 0.025, "1080p": 0.045}
# How long a result link handed out works, as a provider's download links expire: every
# TaskInfo and callback hands out a fresh one.
RESULT_LINK_SECONDS = 24 * 3600
TASK_ID = re.compile(r"task_[0-9a-f]{32}")

Answer = tuple[int, dict[str, Any]]


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
        """The task as Crun reports it, its result links signed afresh."""
        result = self.result
        if result and result.get("media_urls"):
            result = {
                **result,
                "media_urls": [signed_link(url, self.task_id) for url in result["media_urls"]],
            }
        return {
            "task_id": self.task_id,
            "status": self.status,
            "param": self.param,
            "create_at": self.create_at,
            "complete_at": self.complete_at,
            "duration_s": self.duration_s,
            "credits": self.credits,
            "result": result,
        }


class SandboxService:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-render")

    def create_task(self, payload: Any) -> Answer:
        problem = _validate(payload)
        if problem:
            return error(422, problem)
        # The folder is taken now: the render keeps to it even if settings change meanwhile.
        root = _results_dir()
        task = Task(
            task_id=f"task_{uuid.uuid4().hex}",
            param=payload["input"],
            callback_url=payload.get("callback_url") or "",
        )
        _save(task, root)
        self._pool.submit(self._render, task, root)
        return 200, success({"task_id": task.task_id})

    def task_info(self, task_id: str) -> Answer:
        task = _load(task_id, _results_dir())
        if task is None:
            return error(404, "task not found")
        return 200, success(task.as_data())

    def balance(self) -> Answer:
        return 200, success({"balance": 1000})

    def result_path(self, task_id: str, expires: str, signature: str) -> Path | None:
        """The task's video, for whoever holds a signed link to it that has not expired."""
        if not (TASK_ID.fullmatch(task_id) and expires.isdigit()):
            return None
        if int(expires) < time.time() or not hmac.compare_digest(
            signature.encode(), result_signature(task_id, int(expires)).encode()
        ):
            return None
        path = _results_dir() / f"{task_id}.mp4"
        return path if path.exists() else None

    def _render(self, task: Task, root: Path) -> None:
        from avatars.sandbox.draft import DraftRefused, render_draft

        task.status = "running"
        _save(task, root)
        try:
            draft = render_draft(task.param, root / f"{task.task_id}.mp4")
        except DraftRefused as refused:
            log.warning("sandbox task %s failed: %s", task.task_id, refused)
            _finish_failed(task, str(refused))
        except Exception as exc:  # a provider reports failures, it does not crash
            # The renderer only ever sees downloaded files, so no link is in this traceback.
            log.exception("sandbox render %s failed: %s", task.task_id, type(exc).__name__)
            _finish_failed(task, "the sandbox could not render this draft (an internal error)")
        else:
            link = f"{settings.SANDBOX_BASE_URL}/results/{task.task_id}.mp4"
            task.duration_s = round(draft.duration, 2)
            rate = CREDITS_PER_SECOND.get(task.param.get("resolution", "720p"), 0.025)
            task.credits = round(draft.duration * rate, 4)
            task.result = {
                "code": 200,
                "message": "success",
                "media_urls": [link],
                "words": [[word, round(a, 3), round(b, 3)] for word, a, b in draft.words],
            }
            if draft.notes:
                task.result["notes"] = draft.notes
            task.complete_at = int(time.time())
            task.status = "success"
        _save(task, root)
        body = json.dumps(success(task.as_data())).encode()
        callbacks.deliver(task.callback_url, body, task.task_id)


def success(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "message": "success", "data": data}


def error(code: int, message: str) -> Answer:
    return code, {"code": code, "message": message, "data": None}


def signed_link(url: str, task_id: str) -> str:
    """`url` with the expiry and signature that make the sandbox serve it."""
    expires = int(time.time()) + RESULT_LINK_SECONDS
    return f"{url}?expires={expires}&signature={result_signature(task_id, expires)}"


def result_signature(task_id: str, expires: int) -> str:
    """What a result link carries to be served: only the sandbox and its key holders know it."""
    key = settings.SANDBOX_API_KEY.encode()
    return hmac.new(key, f"result:{task_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def _finish_failed(task: Task, message: str) -> None:
    task.status, task.complete_at = "failed", int(time.time())
    task.result = {"code": 501, "message": message, "media_urls": []}


def _validate(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("input"), dict):
        return "input is required"
    given = payload["input"]
    if not isinstance(given.get("image_url"), str) or not given["image_url"]:
        return "input.image_url is required"
    if not (given.get("text") or given.get("audio_url")):
        return "at least one of input.audio_url and input.text is required"
    for name in ("text", "audio_url"):
        if given.get(name) is not None and not isinstance(given[name], str):
            return f"input.{name} must be a string"
    if len(given.get("text") or "") > settings.SCRIPT_MAX_CHARS:
        return f"input.text is longer than {settings.SCRIPT_MAX_CHARS} characters"
    if given.get("resolution", "720p") not in catalog.RESOLUTIONS:
        return "input.resolution must be 720p or 1080p"
    callback_url = payload.get("callback_url") or ""
    if not isinstance(callback_url, str):
        return "callback_url must be a string"
    return callbacks.refusal(callback_url)


def _save(task: Task, root: Path) -> None:
    """Keep the task on disk, so any process serving the sandbox can answer for it."""
    folder = root / "tasks"
    folder.mkdir(exist_ok=True)
    scratch = folder / f".{task.task_id}.{threading.get_ident()}"
    scratch.write_text(json.dumps(asdict(task)))
    scratch.replace(folder / f"{task.task_id}.json")


def _load(task_id: str, root: Path) -> Task | None:
    if not TASK_ID.fullmatch(task_id):
        return None
    try:
        return Task(**json.loads((root / "tasks" / f"{task_id}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _results_dir() -> Path:
    path = Path(settings.SANDBOX_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


service = SandboxService()
