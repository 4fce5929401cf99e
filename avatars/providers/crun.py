"""Crun's unified task API (shared/providers.md §1)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from avatars.httputil import retry_after_seconds

from . import base
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "prunaai/p-video-avatar"
TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
DEFAULT_RETRY_AFTER = 10.0

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

    def task_state(self, data: Any) -> TaskState:
        if not isinstance(data, dict) or not isinstance(data.get("task_id"), str):
            raise base.ProtocolError(
                f"{self.who}'s answer about the task did not match its documented form.",
                detail=repr(data)[:300],
            )
        status = _STATUSES.get(data.get("status"))
        if status is None:
            raise base.ProtocolError(
                f"{self.who} reported an unknown task status {data.get('status')!r}.",
                detail=repr(data)[:300],
            )
        result = data.get("result") if isinstance(data.get("result"), dict) else {}
        urls = result.get("media_urls") or []
        video_url = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], str) else ""
        error_code, error_message = "", ""
        if status == TaskStatus.FAILED:
            error_code = base.GenerationFailed.code
            error_message = (
                f"{self.who} could not generate this video.{_said(self, result.get('message'))}"
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
            duration_seconds=_float(data.get("duration_s")),
            error_code=error_code,
            error_message=error_message,
        )

    def _call(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise base.Unavailable(f"{self.who} could not be reached.", detail=str(exc)) from None
        except httpx.TimeoutException as exc:
            error = base.NoAnswer if creates else base.Unavailable
            raise error(f"{self.who} did not answer in time.", detail=str(exc)) from None
        except httpx.HTTPError as exc:
            error = base.NoAnswer if creates else base.Unavailable
            raise error(f"The connection to {self.who} broke off.", detail=str(exc)) from None
        try:
            document = response.json()
        except (ValueError, RecursionError):
            document = None
        code = response.status_code
        message = ""
        if isinstance(document, dict):
            message = str(document.get("message") or "")
            if code == 200 and document.get("code") not in (None, 200, "200"):
                code = _int(document.get("code"), default=500)
        if code != 200:
            raise _error(self, code, message, response)
        if not isinstance(document, dict) or "data" not in document:
            raise base.ProtocolError(
                f"{self.who} answered with something that is not its documented JSON.",
                status=response.status_code,
                detail=response.text[:300],
            )
        return document["data"]


def _said(provider: CrunProvider, message: object) -> str:
    return f" {provider.who} said: “{message}”." if message else ""


def _error(
    provider: CrunProvider, code: int, message: str, response: httpx.Response
) -> base.ProviderError:
    who, said = provider.who, _said(provider, message)
    kwargs = {"status": code, "detail": response.text[:300]}
    if code == 401:
        return base.AuthError(
            f"{who} refused our API key. An administrator needs to check it.{said}", **kwargs
        )
    if code == 403:
        return base.AuthError(
            f"{who} says our API key is disabled. An administrator needs to check it.{said}",
            **kwargs,
        )
    if code == 402:
        return base.InsufficientCredits(
            f"The {provider.account} account has run out of credits. An administrator needs to top "
            f"it up; this render was not charged.{said}",
            **kwargs,
        )
    if code == 404:
        return base.NotFound(f"{who} does not know this render.{said}", **kwargs)
    if code in (400, 422):
        return base.InvalidRequest(f"{who} refused the request as invalid.{said}", **kwargs)
    if code == 429:
        return base.RateLimited(
            f"{who} is limiting how fast we send renders.",
            retry_after=retry_after_seconds(response.headers.get("Retry-After"))
            or DEFAULT_RETRY_AFTER,
            **kwargs,
        )
    if code == 455:
        return base.Unavailable(f"{who} is down for maintenance.", **kwargs)
    if code == 501:
        return base.GenerationFailed(f"{who} could not generate this video.{said}", **kwargs)
    if code == 505:
        return base.FeatureDisabled(
            f"This model is switched off on the {provider.account} account. An administrator "
            f"needs to enable it.{said}",
            **kwargs,
        )
    if code >= 500:
        return base.Unavailable(f"{who} had a server error.", **kwargs)
    return base.InvalidRequest(f"{who} refused the request (HTTP {code}).{said}", **kwargs)


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
