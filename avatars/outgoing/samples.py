"""What each event's payload looks like, for automation tools that list triggers (Zapier's
"sample data") and for the docs."""

from __future__ import annotations

from typing import Any

from avatars.outgoing.endpoints import EVENTS

_RENDER: dict[str, Any] = {
    "id": 42,
    "status": "succeeded",
    "status_label": "Succeeded",
    "team": "acme",
    "avatar": 7,
    "script": 3,
    "script_revision": 2,
    "voice": 5,
    "audio_clip": None,
    "variables": {"first_name": "Ada"},
    "text": "Hello Ada, welcome aboard.",
    "resolution": "720p",
    "provider": "crun",
    "estimated_cost": "0.1200",
    "cost": "0.1150",
    "error": "",
    "review": "pending",
    "requested_by": "api:acme:CRM sync",
    "created_at": "2026-12-01T09:30:00Z",
    "finished_at": "2026-12-01T09:31:12Z",
    "duration_seconds": 2.3,
    "video": "https://studio.example/m/…/",
    "poster": "https://studio.example/m/…/",
    "captions": "https://studio.example/m/…/",
    "timeline": [],
}
_CAMPAIGN = {"id": 9, "name": "December welcome", "status": "finished", "paused_reason": ""}


def sample(event_type: str) -> dict[str, Any]:
    """A payload of `event_type` as deliveries carry it (KeyError for an unknown type)."""
    if event_type not in EVENTS:
        raise KeyError(event_type)
    if event_type == "render.failed":
        data: dict[str, Any] = {
            "render": {**_RENDER, "status": "failed", "status_label": "Failed", "cost": None,
                       "error": "The provider could not find a face in the portrait."}
        }  # fmt: skip
    elif event_type.startswith("render."):
        stage = "video" if event_type != "render.approved" else "request"
        data = {"render": _RENDER, "stage": stage, "reason": ""}
        if event_type == "render.succeeded":
            data = {"render": _RENDER}
    elif event_type == "campaign.sample_ready":
        data = {"campaign": {**_CAMPAIGN, "status": "sampling"}, "renders": [41, 42]}
    elif event_type == "campaign.paused":
        data = {"campaign": {**_CAMPAIGN, "status": "paused", "paused_reason": "Paused by ada."}}
    elif event_type == "campaign.completed":
        data = {"campaign": _CAMPAIGN}
    else:
        data = {"team": "acme", "threshold": 90, "percent": 91, "budget": "100.00",
                "committed": "91.20", "month": "2026-12"}  # fmt: skip
    return {"type": event_type, "timestamp": "2026-12-01T09:31:12Z", "data": data}
