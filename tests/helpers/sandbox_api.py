"""Calling the sandbox's HTTP API as its adapter does, and waiting for its tasks to end."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from tests.helpers.waiting import wait_until

CREATE = "/api/v1/client/job/CreateTask"
INFO = "/api/v1/client/job/TaskInfo"


def client() -> httpx.Client:
    """The sandbox at SANDBOX_BASE_URL, with its key."""
    return httpx.Client(
        base_url=settings.SANDBOX_BASE_URL, headers={"x-api-key": settings.SANDBOX_API_KEY}
    )


def create(api: httpx.Client, **given: Any) -> httpx.Response:
    """CreateTask with `given` as its input (and `callback_url`, if given, beside it)."""
    callback_url = given.pop("callback_url", "")
    body = {"model": "prunaai/p-video-avatar", "callback_url": callback_url, "input": given}
    return api.post(CREATE, json=body)


def final_task(api: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    """Wait for the created task's render to end: its status is written after every fetch."""
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["task_id"]
    seen: dict[str, Any] = {}

    def finished() -> bool:
        seen.update(api.get(INFO, params={"task_id": task_id}).json()["data"])
        return seen["status"] in ("success", "failed")

    wait_until(finished, timeout=60)
    return seen
