"""Provider callbacks delivered by hand, to a job whose render the provider has finished."""

from __future__ import annotations

from typing import Any

import httpx
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from avatars.models import JobStatus, RenderJob
from tests.fakes.server import FakeProvider
from tests.helpers.jobs import request_speech, wait_for
from tests.helpers.waiting import wait_until


def callback_path(job: RenderJob, token: str | None = None, provider: str | None = None) -> str:
    """The job's own callback URL's path, or one with another token or provider."""
    name = provider or job.provider
    return reverse("provider-callback", args=[name, job.pk, token or job.callback_token])


def deliver(
    live_server: LiveServer,
    job: RenderJob,
    body: bytes | str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST `body` to the job's callback URL, as its provider would."""
    return httpx.post(
        live_server.url + callback_path(job),
        content=body,
        headers=headers or {"content-type": "application/json"},
        timeout=10,
    )


def waiting_job(
    fake: FakeProvider, assets: Any, team: Any, provider: str, settings: Any, **behaviour: Any
) -> RenderJob:
    """A job whose render is done at the provider, but which nobody has told yet."""
    settings.POLL_FIRST_SECONDS = 30  # keep the poller out of the way
    fake.configure(**{"send_webhook": False, **behaviour})
    job = request_speech(assets, team, provider=provider)
    job = wait_for(job, lambda j: j.status == JobStatus.SUBMITTED)
    wait_until(lambda: fake.tasks[job.provider_task_id].status == fake.success_status)
    return job
