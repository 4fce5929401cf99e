"""Lumenfall's OpenAI-style videos API (shared/providers.md §2).

The script goes in `prompt` (the only text field of the create besides the pass-through
ones); an audio clip goes in the pass-through `audio`, and wins when both are given.

A finished video's link is its `output.url`; a video that gives none is read, as OpenAI's
videos API is, from `GET /videos/{id}/content` with our key. `expires_at` says when the
link stops working.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from . import base, http
from .base import RenderInputs, TaskState, TaskStatus

MODEL = "p-video-avatar"
# The IETF draft's name (draft-ietf-httpapi-idempotency-key-header), which OpenAI-style APIs
# such as Lumenfall's follow; the docs only say "an idempotency key".
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 256

# A webhook's event type says how the video ended when its data leaves the status out.
_EVENTS = {"video.completed": "completed", "video.failed": "failed", "video.cancelled": "cancelled"}
_MODEL_MISSING = ("MODEL_NOT_FOUND", "MODEL_DISABLED")


class LumenfallProvider(http.HttpProvider):
    name = "lumenfall"
    task_noun = "video"
    statuses = {
        "queued": TaskStatus.PENDING,
        "in_progress": TaskStatus.RUNNING,
        "completed": TaskStatus.SUCCEEDED,
        "failed": TaskStatus.FAILED,
        "cancelled": TaskStatus.CANCELED,
        "canceled": TaskStatus.CANCELED,
    }
    idempotent_creates = True

    def submit(self, inputs: RenderInputs) -> str:
        key = inputs.idempotency_key[:MAX_IDEMPOTENCY_KEY]
        data = self.call(
            "POST",
            "/videos",
            json=self.payload(inputs),
            headers={IDEMPOTENCY_HEADER: key},
            creates=True,
        )
        video_id = base.task_id_in(data, "id")
        if video_id is None:
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
        return self.task_state(self.call("GET", f"/videos/{quote(task_id, safe='')}"))

    def cancel(self, task_id: str) -> None:
        """Lumenfall documents no way to stop a video; it simply finishes."""

    def check_connection(self) -> str:
        probe = {"model": MODEL, "prompt": "Hello.", "image_url": "https://example.com/a.jpg"}
        estimate = self.call("POST", "/videos", params={"dryRun": "true"}, json=probe)
        cost = base.money(estimate.get("cost") or estimate.get("estimated_cost"))
        priced = f" (a dry run priced at ${cost})" if cost is not None else ""
        return f"{self.who} accepted our key{priced}."

    def content_url(self, video_id: str) -> str:
        """Where the API itself serves a finished video (OpenAI's `GET /videos/{id}/content`)."""
        return f"{self.base_url}/videos/{quote(video_id, safe='')}/content"

    def result_headers(self, url: str) -> dict[str, str]:
        """Our key, for the video the API serves itself; nothing for any other link (a CDN's
        link carries its own signature, and our key must never leave Lumenfall's API)."""
        if url.startswith(f"{self.base_url}/videos/") and url.endswith("/content"):
            return self.auth_headers()
        return {}

    # --- its answers -------------------------------------------------------------------

    def error(
        self, response: httpx.Response, document: Any, *, creates: bool
    ) -> base.ProviderError | None:
        status = response.status_code
        if creates and status == 409:
            # The draft standard's answer while an earlier create with this key is in flight.
            return base.IdempotentNoAnswer(
                f"{self.who} is still working on our earlier request for this render.",
                status=409,
                detail=response.text[:300],
            )
        if status < 400:
            return None
        error = document.get("error") if isinstance(document, dict) else None
        error = error if isinstance(error, dict) else {}
        message, code = str(error.get("message") or ""), str(error.get("code") or "")
        if status == 404 and (creates or code in _MODEL_MISSING):
            return http.model_unavailable(self, message, status=404, detail=response.text[:300])
        return http.error_for(self, status, message, response)

    # --- its video object --------------------------------------------------------------

    def result_link(self, data: dict[str, Any]) -> str:
        output = data.get("output")
        if output is not None and not isinstance(output, dict):
            return ""  # not the documented object: no link
        url = (output or {}).get("url")
        if url is None or url == "":
            return self.content_url(data["id"])
        return url if isinstance(url, str) else ""

    def failure_reason(self, data: dict[str, Any]) -> object:
        error = data.get("error")
        return error.get("message") if isinstance(error, dict) else None

    def task_details(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "cost": _cost(data.get("metadata")),
            "duration_seconds": http.number(data.get("seconds")),
            "link_expires_at": _moment(data.get("expires_at")),
        }

    # --- its webhooks ------------------------------------------------------------------

    def callback_task(self, document: Any) -> Any:
        data = document.get("data") if isinstance(document, dict) else None
        if isinstance(data, dict) and "status" not in data:
            data = {**data, "status": _EVENTS.get(str(document.get("type")))}
        return data


def _cost(metadata: object) -> Decimal | None:
    if not isinstance(metadata, dict):
        return None
    # The ledger is in US dollars: a cost in another currency is priced from the table instead.
    if str(metadata.get("cost_currency") or "USD").upper() != "USD":
        return None
    return base.money(metadata.get("cost"))


def _moment(value: object) -> datetime.datetime | None:
    """A time given as unix seconds (as OpenAI's videos API does) or in ISO 8601, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
