"""Crun's unified task API (shared/providers.md §1)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "prunaai/p-video-avatar"
TIMEOUT = http.TIMEOUT

_STATUSES = {
    "pending": TaskStatus.PENDING,
    "running": TaskStatus.RUNNING,
    "success": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
}


class CrunProvider:
    name = "crun"
    label = "Crun"
    # How messages for people name this provider and its account.
    who = "Crun"
    account = "Crun"

    def __init__(self, base_url: str, api_key: str, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers={"x-api-key": api_key}
        )

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def submit(self, inputs: RenderInputs) -> str:
        payload = {
            "model": MODEL,
            "callback_url": inputs.callback_url,
            "input": {
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
            },
        }
        payload["input"] = {k: v for k, v in payload["input"].items() if v is not None}
        data = self._call("POST", "/api/v1/client/job/CreateTask", json=payload, creates=True)
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if not task_id or not isinstance(task_id, str):
            raise base.ProtocolError(
                f"{self.who} accepted the render but did not say which task it started.",
                detail=repr(data)[:300],
            )
        return task_id

    def fetch(self, task_id: str) -> TaskState:
        data = self._call("GET", "/api/v1/client/job/TaskInfo", params={"task_id": task_id})
        return self.task_state(data)

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> TaskState:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise base.CallbackRejected("The callback body is not JSON.") from None
        if isinstance(document, dict) and isinstance(document.get("data"), dict):
            document = document["data"]
        try:
            return self.task_state(document)
        except base.ProtocolError as exc:
            raise base.CallbackRejected(exc.message) from None

    def cancel(self, task_id: str) -> None:
        """Crun documents no way to stop a task; it simply finishes."""

    def balance(self) -> Decimal:
        data = self._call("GET", "/api/v1/client/account/balance")
        return base.money(data.get("balance") if isinstance(data, dict) else None) or Decimal(0)

    def check_connection(self) -> str:
        return f"{self.who} answered; the account balance is {self.balance()} credits."

    def task_state(self, data: Any) -> TaskState:
        if not isinstance(data, dict) or not isinstance(data.get("task_id"), str):
            raise base.ProtocolError(
                f"{self.who}'s answer about the task did not match its documented form.",
                detail=repr(data)[:300],
            )
        raw = data.get("status")
        # Only strings are looked up: a list or object there is unhashable, not a status.
        status = _STATUSES.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise base.ProtocolError(
                f"{self.who} reported an unknown task status {repr(raw)[:80]}.",
                detail=repr(data)[:300],
            )
        result = data.get("result") if isinstance(data.get("result"), dict) else {}
        urls = result.get("media_urls") or []
        video_url = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], str) else ""
        error_code, error_message = "", ""
        if status == TaskStatus.FAILED:
            error_code = base.GenerationFailed.code
            error_message = (
                f"{self.who} could not generate this video.{http.said(self, result.get('message'))}"
            )
        elif status == TaskStatus.SUCCEEDED and not video_url:
            raise base.ProtocolError(
                f"{self.who} said the render succeeded but gave no video link.",
                detail=repr(data)[:300],
            )
        return TaskState(
            task_id=data["task_id"],
            status=status,
            video_url=video_url,
            cost=base.money(data.get("credits")),
            duration_seconds=http.number(data.get("duration_s")),
            error_code=error_code,
            error_message=error_message,
        )

    def _call(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        response = http.send(self, self.client, method, path, creates=creates, **kwargs)
        document = http.json_body(response)
        code = response.status_code
        message = ""
        if isinstance(document, dict):
            message = str(document.get("message") or "")
            if code == 200 and document.get("code") not in (None, 200, "200"):
                code = http.whole(document.get("code"), default=500)
        if code != 200:
            raise http.error_for(self, code, message, response)
        if not isinstance(document, dict) or "data" not in document:
            raise base.ProtocolError(
                f"{self.who} answered with something that is not its documented JSON.",
                status=response.status_code,
                detail=response.text[:300],
            )
        return document["data"]
