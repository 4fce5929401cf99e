"""A render from request to stored video, over real HTTP against the sandbox provider."""

import av
import pytest

from avatars.models import JobStatus
from tests.pipeline import request_speech, status_path, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_render_succeeds_by_callback(acme, asset_factory, sandbox, embedded_worker):
    job = wait_for(request_speech(asset_factory, acme))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert status_path(job) == ["queued", "submitting", "submitted", "storing", "succeeded"]
    assert job.events.filter(kind="callback").count() == 1
    assert sandbox.calls["CreateTask"] == 1
    with av.open(job.video.path) as container:
        assert abs(container.duration / 1e6 - job.duration_seconds) < 0.1
    assert job.duration_seconds > 1 and job.width == 1280 and job.height == 720
    assert job.cost is not None and job.poster


def test_a_render_succeeds_by_polling_when_no_callback_comes(
    acme, asset_factory, sandbox, embedded_worker
):
    # Still rendering when the first poll (released by the worker within a second) asks.
    sandbox.configure(send_callback=False, render_delay=2.5)

    job = wait_for(request_speech(asset_factory, acme))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.events.filter(kind="callback").count() == 0
    assert sandbox.calls["TaskInfo"] >= 2
    assert "processing" in status_path(job)
