"""A fake Lumenfall: the OpenAI-style videos API of shared/providers.md §2.

Besides the shared `Behaviour`, three switches of its own (reset with it):
`plain_videos` answers finished videos in OpenAI's plain shape, without `output.url`, and
serves them from `GET /v1/videos/{id}/content` to our key; `content_elsewhere` makes that
route redirect to the file on another origin instead; `dead_on_arrival` is how many of the
first result links are handed out with an `expires_at` already passed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .server import Answer, FakeProvider, Request, Task

API_KEY = "lmnfl_test_key"
SECRET = "whsec_bHVtZW5mYWxsLXRlc3Qtd2ViaG9vay1zZWNyZXQ="
PRICE_PER_SECOND = 0.03
ERRORS = {
    400: ("invalid_request_error", "INVALID_REQUEST", "image_url must be a reachable image"),
    401: ("authentication_error", "AUTHENTICATION_FAILED", "Invalid API key provided"),
    402: ("billing_error", "INSUFFICIENT_BALANCE", "Your balance is too low for this request"),
    404: ("not_found_error", "MODEL_DISABLED", "The model p-video-avatar is disabled"),
    429: ("rate_limit_error", "RATE_LIMITED", "Too many requests"),
    500: ("api_error", "INTERNAL_ERROR", "Something went wrong"),
    502: ("api_error", "ALL_PROVIDERS_EXHAUSTED", "All upstream providers are busy"),
    503: ("api_error", "SERVICE_UNAVAILABLE", "Down for maintenance"),
}
EVENTS = {"completed": "video.completed", "failed": "video.failed", "cancelled": "video.cancelled"}


class FakeLumenfall(FakeProvider):
    api_key = API_KEY
    created_status = "queued"
    running_status = "in_progress"
    success_status = "completed"
    failed_status = "failed"
    canceled_status = "cancelled"
    gone_status = 410

    def __init__(self, webhook_secret: str = SECRET) -> None:
        super().__init__(webhook_secret)
        self.idempotency: dict[str, str] = {}
        # Held from looking a key up to recording its video, so that a retry arriving while
        # the first create is still finishing finds that video rather than starting another.
        self._idempotency_lock = threading.Lock()

    def reset(self, **behaviour: Any) -> None:
        super().reset(**behaviour)
        self.idempotency = {}
        self.plain_videos = False
        self.content_elsewhere = False
        self.dead_on_arrival = 0

    def answer(self, request: Request) -> Answer:
        method, path = request.method, request.path
        if not self.authorized(request):
            return self.error(401)
        if method == "POST" and path == "/v1/videos":
            if request.query.get("dryRun") == "true":
                self.calls["dry_run"] += 1
                return 200, {"object": "video.estimate", "cost": 0.12, "cost_currency": "USD"}, {}
            return self._create(request.headers, request.body)
        if method == "GET" and path.startswith("/v1/videos/") and path.endswith("/content"):
            return self._content(path.removeprefix("/v1/videos/").removesuffix("/content"))
        if method == "GET" and path.startswith("/v1/videos/"):
            self.calls["get"] += 1
            if error := self.scripted_error("fetch"):
                return error
            task = self.tasks.get(path.removeprefix("/v1/videos/"))
            if task is None:
                return 404, _error("not_found_error", "VIDEO_NOT_FOUND", "No such video"), {}
            return 200, self.describe(task), {}
        return 404, _error("not_found_error", "NOT_FOUND", f"No route {method} {path}"), {}

    def _create(self, headers: dict, body: Any) -> Answer:
        self.calls["create"] += 1
        self.slow_create()
        if error := self.scripted_error("create"):
            return error
        if not isinstance(body, dict) or body.get("model") != "p-video-avatar":
            return 404, _error("not_found_error", "MODEL_NOT_FOUND", "Unknown model"), {}
        if not body.get("image_url") or not (body.get("prompt") or body.get("audio")):
            return self.error(400)
        key = headers.get("idempotency-key", "")
        with self._idempotency_lock:
            existing = self.tasks.get(self.idempotency.get(key, ""))
            if existing is None:
                task = self.start_task("video_", body, body.get("webhook_url") or "")
                if key:
                    self.idempotency[key] = task.id
        if existing is not None:
            return 200, self.describe(existing, link=""), {}
        return 202, self.describe(task, link=""), {}

    def _content(self, video_id: str) -> Answer:
        """OpenAI's `GET /videos/{id}/content`: the finished video's bytes (or a redirect)."""
        self.calls["content"] += 1
        task = self.tasks.get(video_id)
        if task is None or task.status != self.success_status:
            return 404, _error("not_found_error", "VIDEO_NOT_FOUND", "No such video"), {}
        if self.content_elsewhere:
            # "localhost" is this server under another origin than the API's 127.0.0.1.
            elsewhere = self.link(task).replace("//127.0.0.1:", "//localhost:")
            return 302, b"", {"Location": elsewhere, "Content-Type": "text/plain"}
        return 200, self.behaviour.result_bytes, {"Content-Type": "video/mp4"}

    def error(self, status: int) -> Answer:
        kind, code, message = ERRORS.get(status, ("api_error", "ERROR", "error"))
        return status, _error(kind, code, message), {}

    def describe(self, task: Task, *, link: str | None = None) -> dict[str, Any]:
        seconds = 1.0
        video: dict[str, Any] = {
            "id": task.id,
            "object": "video",
            "status": task.status,
            "created_at": task.created_at,
            "model": "p-video-avatar",
            "seconds": str(seconds),
            "size": "1280x720",
        }
        if task.status == self.success_status:
            url = self.link(task) if link is None else link
            dead = link is None and task.links_issued <= self.dead_on_arrival
            video |= {
                "expires_at": int(time.time()) + (-60 if dead else 3600),
                "metadata": {"cost": round(seconds * PRICE_PER_SECOND, 4), "cost_currency": "USD"},
            }
            if not self.plain_videos:
                video["output"] = {"url": url}
        if task.status == self.failed_status:
            video["error"] = {"message": task.error, "code": "GENERATION_FAILED"}
        return video

    def webhook_body(self, task: Task) -> dict[str, Any]:
        # A link that never works: the app must confirm with GET /videos/{id} and use its link.
        data = self.describe(task, link=f"{self.url}/files/{task.id}.mp4?token=webhook")
        return {"type": EVENTS.get(task.status, "video.updated"), "data": data}


def _error(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
