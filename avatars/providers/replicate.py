"""Replicate, the model's home (shared/providers.md §3).

Its outputs are deleted an hour after the prediction, so the result is stored at once (the
store step runs as soon as the job is confirmed done). Replicate documents no idempotency
key: a create that got no answer waits for the prediction's webhook instead of being resent.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "prunaai/p-video-avatar"

_RESETS_IN = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


class ReplicateProvider(http.HttpProvider):
    name = "replicate"
    task_noun = "prediction"
    statuses = {
        "starting": TaskStatus.PENDING,
        "processing": TaskStatus.RUNNING,
        "succeeded": TaskStatus.SUCCEEDED,
        "failed": TaskStatus.FAILED,
        "canceled": TaskStatus.CANCELED,
        # Stopped before it ran (its deadline passed): nothing rendered, nothing billed.
        "aborted": TaskStatus.FAILED,
    }

    def submit(self, inputs: RenderInputs) -> str:
        data = self.call(
            "POST", f"/models/{MODEL}/predictions", json=self.payload(inputs), creates=True
        )
        prediction_id = base.task_id_in(data, "id")
        if prediction_id is None:
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
        return self.task_state(self.call("GET", f"/predictions/{task_id}"))

    def cancel(self, task_id: str) -> None:
        self.call("POST", f"/predictions/{task_id}/cancel")

    def check_connection(self) -> str:
        model = self.call("GET", f"/models/{MODEL}")
        name = f"{model.get('owner', '')}/{model.get('name', '')}".strip("/") or MODEL
        return f"{self.who} accepted our token and knows the model {name}."

    # --- its answers -------------------------------------------------------------------

    def error(
        self, response: httpx.Response, document: Any, *, creates: bool
    ) -> base.ProviderError | None:
        status = response.status_code
        if status < 400:
            return None
        detail = document.get("detail") if isinstance(document, dict) else None
        message = str(detail or "")
        if status == 404 and creates:
            return http.model_unavailable(self, message, status=404, detail=response.text[:300])
        hint = _RESETS_IN.search(message)
        return http.error_for(
            self,
            status,
            message,
            response,
            retry_hint=float(hint.group(1)) if hint else None,
        )

    # --- its prediction object ---------------------------------------------------------

    def result_link(self, data: dict[str, Any]) -> str:
        return _first_url(data.get("output"))

    def failure_reason(self, data: dict[str, Any]) -> object:
        error = data.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error.get("detail")
        return str(error) if error else ""

    def failure(self, data: dict[str, Any]) -> tuple[str, str]:
        if data.get("status") == "aborted":
            return "aborted", (
                f"{self.who} stopped the render before it started, so nothing was charged. "
                "Render it again."
            )
        return super().failure(data)


def _first_url(output: object) -> str:
    if isinstance(output, list) and output:
        output = output[0]
    return output if isinstance(output, str) else ""
