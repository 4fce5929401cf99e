"""Replicate, the model's home (shared/providers.md §3).

Its outputs are deleted an hour after the prediction, so the result is stored at once (the
store step runs as soon as the job is confirmed done). Replicate documents no idempotency
key: a create that got no answer waits for the prediction's webhook instead of being resent.
"""

from __future__ import annotations

import re
from typing import Any

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "prunaai/p-video-avatar"

_STATUSES = {
    "starting": TaskStatus.PENDING,
    "processing": TaskStatus.RUNNING,
    "succeeded": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
    "canceled": TaskStatus.CANCELED,
    # Stopped before it ran (its deadline passed): nothing rendered, nothing billed.
    "aborted": TaskStatus.FAILED,
}
_RESETS_IN = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


class ReplicateProvider(http.BearerProvider):
    name = "replicate"
    label = "Replicate"
    who = "Replicate"
    account = "Replicate"

    def submit(self, inputs: RenderInputs) -> str:
        data = self._call(
            "POST", f"/models/{MODEL}/predictions", json=self.payload(inputs), creates=True
        )
        prediction_id = data.get("id")
        if not prediction_id or not isinstance(prediction_id, str):
            raise base.ProtocolError(
                f"{self.who} accepted the render but did not say which prediction it started.",
                detail=repr(data)[:300],
            )
        return prediction_id

    def payload(self, inputs: RenderInputs) -> dict[str, Any]:
        given = {
            "image": inputs.image_url,
            "audio": inputs.audio_url or None,
            "voice_script": None if inputs.audio_url else inputs.text or None,
            "voice": inputs.voice or None,
            "voice_language": inputs.voice_language or None,
            "voice_prompt": inputs.voice_prompt or None,
            "video_prompt": inputs.video_prompt or None,
            "resolution": inputs.resolution,
            "seed": inputs.seed,
            "disable_safety_filter": False,
        }
        payload: dict[str, Any] = {"input": {k: v for k, v in given.items() if v is not None}}
        # Deliveries we cannot verify would only be refused: leave them out.
        if self.webhook_secret and inputs.callback_url:
            payload["webhook"] = inputs.callback_url
            payload["webhook_events_filter"] = ["completed"]
        return payload

    def fetch(self, task_id: str) -> TaskState:
        return self.task_state(self._call("GET", f"/predictions/{task_id}"))

    def cancel(self, task_id: str) -> None:
        self._call("POST", f"/predictions/{task_id}/cancel")

    def check_connection(self) -> str:
        model = self._call("GET", f"/models/{MODEL}")
        name = f"{model.get('owner', '')}/{model.get('name', '')}".strip("/") or MODEL
        return f"{self.who} accepted our token and knows the model {name}."

    def task_state(self, data: Any) -> TaskState:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise base.ProtocolError(
                f"{self.who}'s answer about the prediction did not match its documented form.",
                detail=repr(data)[:300],
            )
        raw = data.get("status")
        status = _STATUSES.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise base.ProtocolError(
                f"{self.who} reported an unknown prediction status {raw!r}.",
                detail=repr(data)[:300],
            )
        video_url = _first_url(data.get("output"))
        error_code, error_message = "", ""
        if raw == "aborted":
            error_code = "aborted"
            error_message = (
                f"{self.who} stopped the render before it started, so nothing was charged. "
                "Render it again."
            )
        elif status == TaskStatus.FAILED:
            error_code = base.GenerationFailed.code
            error_message = (
                f"{self.who} could not generate this video.{http.said(self, _error(data))}"
            )
        elif status == TaskStatus.SUCCEEDED and not video_url:
            raise base.ProtocolError(
                f"{self.who} said the prediction succeeded but gave no video link.",
                detail=repr(data)[:300],
            )
        return TaskState(
            task_id=data["id"],
            status=status,
            video_url=video_url,
            error_code=error_code,
            error_message=error_message,
        )

    def _call(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        response = http.send(self, self.client, method, path, creates=creates, **kwargs)
        document = http.json_body(response)
        if response.status_code >= 400:
            detail = document.get("detail") if isinstance(document, dict) else None
            message = str(detail or "")
            if response.status_code == 404 and creates:
                raise http.model_unavailable(self, message, status=404, detail=response.text[:300])
            hint = _RESETS_IN.search(message)
            raise http.error_for(
                self,
                response.status_code,
                message,
                response,
                retry_hint=float(hint.group(1)) if hint else None,
            )
        return self.documented(response, document)


def _first_url(output: object) -> str:
    if isinstance(output, list) and output:
        output = output[0]
    return output if isinstance(output, str) else ""


def _error(data: dict[str, Any]) -> str:
    error = data.get("error")
    if isinstance(error, dict):
        error = error.get("message") or error.get("detail")
    return str(error) if error else ""
