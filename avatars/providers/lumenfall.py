"""Lumenfall's OpenAI-style videos API (shared/providers.md §2).

The script goes in `prompt` (the only text field of the create besides the pass-through
ones); an audio clip goes in the pass-through `audio`, and wins when both are given.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "p-video-avatar"
# The IETF draft's name (draft-ietf-httpapi-idempotency-key-header), which OpenAI-style APIs
# such as Lumenfall's follow; the docs only say "an idempotency key".
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 256

_STATUSES = {
    "queued": TaskStatus.PENDING,
    "in_progress": TaskStatus.RUNNING,
    "completed": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
    "cancelled": TaskStatus.CANCELED,
    "canceled": TaskStatus.CANCELED,
}
# A webhook's event type says how the video ended when its data leaves the status out.
_EVENTS = {"video.completed": "completed", "video.failed": "failed", "video.cancelled": "cancelled"}
_MODEL_MISSING = ("MODEL_NOT_FOUND", "MODEL_DISABLED")


class LumenfallProvider(http.BearerProvider):
    name = "lumenfall"
    label = "Lumenfall"
    who = "Lumenfall"
    account = "Lumenfall"

    def submit(self, inputs: RenderInputs) -> str:
        key = inputs.idempotency_key[:MAX_IDEMPOTENCY_KEY]
        data = self._call(
            "POST",
            "/videos",
            json=self.payload(inputs),
            headers={IDEMPOTENCY_HEADER: key},
            creates=True,
        )
        video_id = data.get("id") if isinstance(data, dict) else None
        if not video_id or not isinstance(video_id, str):
            raise base.ProtocolError(
                f"{self.who} accepted the render but did not say which video it started.",
                detail=repr(data)[:300],
            )
        return video_id

    def payload(self, inputs: RenderInputs) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": MODEL,
            "prompt": "" if inputs.audio_url else inputs.text,
            "image_url": inputs.image_url,
            "resolution": inputs.resolution,
            "seed": inputs.seed,
            # Deliveries we cannot verify would only be refused: leave them out.
            "webhook_url": inputs.callback_url if self.webhook_secret else None,
            "audio": inputs.audio_url or None,
            "voice": inputs.voice or None,
            "voice_language": inputs.voice_language or None,
            "voice_prompt": inputs.voice_prompt or None,
            "video_prompt": inputs.video_prompt or None,
            "disable_safety_filter": False,
        }
        return {k: v for k, v in payload.items() if v is not None}

    def fetch(self, task_id: str) -> TaskState:
        return self.task_state(self._call("GET", f"/videos/{task_id}"))

    def callback_task(self, document: Any) -> Any:
        data = document.get("data") if isinstance(document, dict) else None
        if isinstance(data, dict) and "status" not in data:
            data = {**data, "status": _EVENTS.get(str(document.get("type")))}
        return data

    def cancel(self, task_id: str) -> None:
        """Lumenfall documents no way to stop a video; it simply finishes."""

    def check_connection(self) -> str:
        probe = {"model": MODEL, "prompt": "Hello.", "image_url": "https://example.com/a.jpg"}
        estimate = self._call("POST", "/videos", params={"dryRun": "true"}, json=probe)
        cost = base.money(estimate.get("cost") or estimate.get("estimated_cost"))
        priced = f" (a dry run priced at ${cost})" if cost is not None else ""
        return f"{self.who} accepted our key{priced}."

    def task_state(self, data: Any) -> TaskState:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise base.ProtocolError(
                f"{self.who}'s answer about the video did not match its documented form.",
                detail=repr(data)[:300],
            )
        raw = data.get("status")
        status = _STATUSES.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise base.ProtocolError(
                f"{self.who} reported an unknown video status {raw!r}.",
                detail=repr(data)[:300],
            )
        output = data.get("output") if isinstance(data.get("output"), dict) else {}
        url = output.get("url")
        video_url = url if isinstance(url, str) else ""
        error_code, error_message = "", ""
        if status == TaskStatus.FAILED:
            error = data.get("error") if isinstance(data.get("error"), dict) else {}
            error_code = base.GenerationFailed.code
            error_message = (
                f"{self.who} could not generate this video.{http.said(self, error.get('message'))}"
            )
        elif status == TaskStatus.SUCCEEDED and not video_url:
            raise base.ProtocolError(
                f"{self.who} said the video is ready but gave no link to it.",
                detail=repr(data)[:300],
            )
        return TaskState(
            task_id=data["id"],
            status=status,
            video_url=video_url,
            cost=_cost(data.get("metadata")),
            duration_seconds=http.number(data.get("seconds")),
            error_code=error_code,
            error_message=error_message,
        )

    def _call(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        response = http.send(
            self, self.client, method, path, creates=creates, idempotent=creates, **kwargs
        )
        document = http.json_body(response)
        if creates and response.status_code == 409:
            # The draft standard's answer while an earlier create with this key is in flight.
            raise base.IdempotentNoAnswer(
                f"{self.who} is still working on our earlier request for this render.",
                status=409,
                detail=response.text[:300],
            )
        if response.status_code >= 400:
            error = document.get("error") if isinstance(document, dict) else None
            error = error if isinstance(error, dict) else {}
            message, code = str(error.get("message") or ""), str(error.get("code") or "")
            if response.status_code == 404 and (creates or code in _MODEL_MISSING):
                raise http.model_unavailable(self, message, status=404, detail=response.text[:300])
            raise http.error_for(self, response.status_code, message, response)
        return self.documented(response, document)


def _cost(metadata: object) -> Decimal | None:
    if not isinstance(metadata, dict):
        return None
    # The ledger is in US dollars: a cost in another currency is priced from the table instead.
    if str(metadata.get("cost_currency") or "USD").upper() != "USD":
        return None
    return base.money(metadata.get("cost"))
