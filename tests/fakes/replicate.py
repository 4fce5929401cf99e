"""A fake Replicate: the model's prediction API of shared/providers.md §3."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .server import Answer, FakeProvider, Request, Task

API_TOKEN = "r8_test_token"
SECRET = "whsec_cmVwbGljYXRlLXRlc3Qtd2ViaG9vay1zZWNyZXQ="
MODEL_PATH = "/v1/models/prunaai/p-video-avatar"
ERRORS = {
    400: ("Bad request", "The request body is not valid JSON"),
    401: ("Unauthenticated", "You did not pass a valid authentication token"),
    402: ("Payment required", "You have insufficient credit to run this model"),
    404: ("Not found", "The requested resource could not be found"),
    422: ("Input validation failed", "input.image: Does not match format 'uri'"),
    500: ("Internal server error", "Something went wrong"),
    503: ("Service unavailable", "Replicate is temporarily unavailable"),
}


class FakeReplicate(FakeProvider):
    api_key = API_TOKEN
    created_status = "starting"
    running_status = "processing"
    success_status = "succeeded"
    failed_status = "failed"
    canceled_status = "canceled"
    gone_status = 404
    resets_in = 1  # seconds, in the 429 body's "resets in ~Ns"

    def answer(self, request: Request) -> Answer:
        method, path = request.method, request.path
        if not self.authorized(request):
            return self.error(401)
        if method == "POST" and path == f"{MODEL_PATH}/predictions":
            return self._create(request.body)
        if method == "GET" and path == MODEL_PATH:
            self.calls["model"] += 1
            return 200, {"owner": "prunaai", "name": "p-video-avatar", "visibility": "public"}, {}
        if path.startswith("/v1/predictions/"):
            prediction_id, _, action = path.removeprefix("/v1/predictions/").partition("/")
            task = self.tasks.get(prediction_id)
            if method == "POST" and action == "cancel":
                self.calls["cancel"] += 1
                if task is None:
                    return self.error(404)
                self.cancel_task(task)
                return 200, self.describe(task), {}
            if method == "GET" and not action:
                self.calls["get"] += 1
                if error := self.scripted_error("fetch"):
                    return error
                return (200, self.describe(task), {}) if task else self.error(404)
        return self.error(404)

    def _create(self, body: Any) -> Answer:
        self.calls["create"] += 1
        self.slow_create()
        if error := self.scripted_error("create"):
            return error
        given = body.get("input") if isinstance(body, dict) else None
        if not isinstance(given, dict) or not given.get("image"):
            return self.error(422)
        if not (given.get("audio") or given.get("voice_script")):
            return 422, _error("Input validation failed", "audio or voice_script is required"), {}
        webhook = body.get("webhook") or ""
        if webhook and body.get("webhook_events_filter") != ["completed"]:
            return 422, _error("Input validation failed", "expected the completed filter"), {}
        task = self.start_task("pred_", body, webhook)
        return 201, self.describe(task), {}

    def error(self, status: int) -> Answer:
        if status == 429:
            detail = f"Request was throttled. Your rate limit resets in ~{self.resets_in}s."
            return 429, {"detail": detail, "status": 429}, {}
        title, detail = ERRORS.get(status, ("Error", "error"))
        return status, _error(title, detail, status), {}

    def describe(self, task: Task, *, link: str | None = None) -> dict[str, Any]:
        done = task.status in ("succeeded", "failed", "canceled", "aborted")
        return {
            "id": task.id,
            "model": "prunaai/p-video-avatar",
            "version": "hidden",
            "input": task.payload.get("input", {}),
            "logs": "",
            "output": f"{self.url}/files/{task.id}.mp4?token=1"
            if task.status == self.success_status
            else None,
            "error": task.error or None,
            "status": task.status,
            "created_at": datetime.fromtimestamp(task.created_at, UTC).isoformat(),
            "completed_at": datetime.now(UTC).isoformat() if done else None,
            "metrics": {"predict_time": 12.5} if done else {},
            "urls": {
                "get": f"{self.url}/v1/predictions/{task.id}",
                "cancel": f"{self.url}/v1/predictions/{task.id}/cancel",
            },
        }

    def webhook_body(self, task: Task) -> dict[str, Any]:
        return self.describe(task)


def _error(title: str, detail: str, status: int = 422) -> dict[str, Any]:
    return {"title": title, "detail": detail, "status": status}
