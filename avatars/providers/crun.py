"""Crun's unified task API (shared/providers.md §1)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "prunaai/p-video-avatar"
TIMEOUT = http.TIMEOUT


class CrunProvider(http.HttpProvider):
    name = "crun"
    task_noun = "task"
    id_field = "task_id"
    statuses = {
        "pending": TaskStatus.PENDING,
        "running": TaskStatus.RUNNING,
        "success": TaskStatus.SUCCEEDED,
        "failed": TaskStatus.FAILED,
    }

    def auth_headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    def submit(self, inputs: RenderInputs) -> str:
        given = {
            "image_url": inputs.image_url,
            "text": inputs.text or None,
            "audio_url": inputs.audio_url or None,
            "resolution": inputs.resolution,
            "voice": inputs.voice or None,
            "voice_language": inputs.voice_language or None,
            "voice_prompt": inputs.voice_prompt or None,
            "video_prompt": inputs.video_prompt or None,
            "seed": inputs.seed,
            "disable_safety_filter": False,
        }
        payload = {
            "model": MODEL,
            "callback_url": inputs.callback_url,
            "input": {k: v for k, v in given.items() if v is not None},
        }
        data = self.call("POST", "/api/v1/client/job/CreateTask", json=payload, creates=True)
        task_id = base.task_id_in(data, "task_id")
        if task_id is None:
            raise base.ProtocolError(
                f"{self.who} accepted the render but did not say which task it started.",
                detail=repr(data)[:300],
            )
        return task_id

    def fetch(self, task_id: str) -> TaskState:
        data = self.call("GET", "/api/v1/client/job/TaskInfo", params={"task_id": task_id})
        return self.task_state(data)

    def cancel(self, task_id: str) -> None:
        """Crun documents no way to stop a task; it simply finishes."""

    def balance(self) -> Decimal:
        data = self.call("GET", "/api/v1/client/account/balance")
        return base.money(data.get("balance") if isinstance(data, dict) else None) or Decimal(0)

    def check_connection(self) -> str:
        return f"{self.who} answered; the account balance is {self.balance()} credits."

    # --- its answers -------------------------------------------------------------------

    def error(
        self, response: httpx.Response, document: Any, *, creates: bool
    ) -> base.ProviderError | None:
        """Crun's code is the HTTP status, or only the JSON `code` of a 200 answer."""
        code = response.status_code
        message = ""
        if isinstance(document, dict):
            message = str(document.get("message") or "")
            if code == 200 and document.get("code") not in (None, 200, "200"):
                code = http.whole(document.get("code"), default=500)
        return http.error_for(self, code, message, response) if code != 200 else None

    def answer(self, response: httpx.Response, document: Any) -> Any:
        if not isinstance(document, dict) or "data" not in document:
            raise base.ProtocolError(
                f"{self.who} answered with something that is not its documented JSON.",
                status=response.status_code,
                detail=response.text[:300],
            )
        return document["data"]

    # --- its task object ---------------------------------------------------------------

    def result_link(self, data: dict[str, Any]) -> str:
        urls = _result(data).get("media_urls") or []
        return urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], str) else ""

    def failure_reason(self, data: dict[str, Any]) -> object:
        return _result(data).get("message")

    def task_details(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "cost": base.money(data.get("credits")),
            "duration_seconds": http.number(data.get("duration_s")),
        }

    # --- its callbacks -----------------------------------------------------------------

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Crun does not sign its callbacks: the per-job token in the callback URL is what
        authenticates them, and the status call that follows is what is believed."""
        return ""

    def callback_task(self, document: Any) -> Any:
        """The task, as the body or wrapped as `{"data": {…}}` (deliveries do both)."""
        if isinstance(document, dict) and isinstance(document.get("data"), dict):
            return document["data"]
        return document


def _result(data: dict[str, Any]) -> dict[str, Any]:
    result = data.get("result")
    return result if isinstance(result, dict) else {}
