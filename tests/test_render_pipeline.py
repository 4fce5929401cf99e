"""A render from request to stored video, over real HTTP: by the sandbox provider's real
offline renderer, and by polling the fake Crun when no callback comes."""

import av
import pytest

from avatars.models import JobStatus
from tests.helpers.jobs import assert_legal_path, callbacks, request_speech, status_path, wait_for
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_render_succeeds_by_callback(acme, asset_factory, sandbox, embedded_worker):
    job = wait_for(request_speech(asset_factory, acme, provider="sandbox"))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    # A poller may see the render running, or finished, before the callback arrives: the
    # path may or may not pass through "processing", but every step in it is a legal one.
    assert_legal_path(job)
    assert status_path(job)[:3] == ["queued", "submitting", "submitted"]
    assert status_path(job)[-2:] == ["storing", "succeeded"]
    assert job.submit_attempts == 1 and status_path(job).count("submitting") == 1
    # The sandbox calls back as its render ends; the poller may have finished the job first.
    wait_until(lambda: callbacks(job))
    (callback,) = callbacks(job)
    assert callback.message == "The provider reports “succeeded”."
    assert callback.data["task_id"] == job.provider_task_id
    assert not job.events.filter(kind="note", message__startswith="Ignored").exists()
    with av.open(job.video.path) as container:
        assert abs(container.duration / 1e6 - job.duration_seconds) < 0.1
    assert job.duration_seconds > 1 and job.width == 1280 and job.height == 720
    assert job.cost is not None and job.poster


def test_a_render_succeeds_by_polling_when_no_callback_comes(
    acme, asset_factory, fake_crun, embedded_worker
):
    # Still rendering when the first poll (released by the worker within a second) asks.
    fake_crun.configure(send_webhook=False, render_delay=2.5)

    job = wait_for(request_speech(asset_factory, acme, provider="crun"))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.events.filter(kind="callback").count() == 0
    assert fake_crun.calls["get"] >= 2
    assert "processing" in status_path(job)
    assert fake_crun.calls["create"] == 1
