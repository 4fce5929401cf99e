"""The render pipeline through Redis and separate `dramatiq` worker processes, as in production.

The worker processes share the test database and reach the sandbox on the live server and
the fake Crun; a test may kill one with SIGKILL. Skipped as a whole when Redis is not
reachable.
"""

import datetime
from pathlib import Path

import dramatiq
import pytest
import redis
from django.utils import timezone

from avatars import render
from avatars.models import JobStatus, RenderJob
from tests.helpers.jobs import (
    assert_legal_path,
    callbacks,
    renders,
    request_speech,
    status_path,
    wait_for,
)
from tests.helpers.waiting import wait_until
from tests.pipeline import REDIS_URL


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if not _redis_answers():
    pytest.skip(
        f"Redis does not answer at {REDIS_URL} (set TEST_REDIS_URL to use another server)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.django_db(transaction=True)

# Worker processes take a second or two to boot before they consume anything.
TIMEOUT = 30


def assert_succeeded_once(job: RenderJob, media_root: Path) -> None:
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.error_code == "" and job.error_message == ""
    assert_legal_path(job)
    path = status_path(job)
    assert path[:3] == ["queued", "submitting", "submitted"]
    assert path[-2:] == ["storing", "succeeded"]
    assert path.count("submitting") == 1 and path.count("storing") == 1
    assert [f.name for f in renders(media_root)] == ["captions.vtt", "poster.jpg", "video.mp4"]


def test_a_render_succeeds_by_callback(acme, asset_factory, sandbox, redis_workers, media_root):
    redis_workers.start()

    job = wait_for(request_speech(asset_factory, acme, provider="sandbox"), timeout=TIMEOUT)

    assert_succeeded_once(job, media_root)
    # The sandbox calls back as its render ends; a poller may have finished the job first.
    wait_until(lambda: callbacks(job))
    (callback,) = callbacks(job)
    assert callback.message == "The provider reports “succeeded”."
    assert callback.data["task_id"] == job.provider_task_id
    assert job.duration_seconds > 1 and (job.width, job.height) == (1280, 720)
    assert Path(job.video.path).stat().st_size > 0
    assert job.submit_attempts == 1


def test_a_render_succeeds_by_polling(acme, asset_factory, fake_crun, redis_workers, media_root):
    fake_crun.configure(send_webhook=False, render_delay=1.5)
    redis_workers.start()

    job = wait_for(request_speech(asset_factory, acme, provider="crun"), timeout=TIMEOUT)

    assert_succeeded_once(job, media_root)
    assert "processing" in status_path(job)
    assert job.events.filter(kind="callback").count() == 0
    assert fake_crun.calls["get"] >= 2
    assert fake_crun.calls["create"] == 1


def test_a_render_fails_when_the_account_has_no_credits(
    acme, asset_factory, fake_crun, redis_workers, media_root
):
    fake_crun.configure(create_error=402)
    redis_workers.start()

    job = wait_for(request_speech(asset_factory, acme, provider="crun"), timeout=TIMEOUT)

    assert job.status == JobStatus.FAILED
    assert job.error_code == "insufficient_credits"
    assert "run out of credits" in job.error_message
    assert status_path(job) == ["queued", "submitting", "failed"]
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


def test_duplicated_callbacks_store_the_video_once(
    acme, asset_factory, fake_crun, redis_workers, media_root
):
    fake_crun.configure(webhook_copies=5)
    redis_workers.start(threads=4)

    job = wait_for(request_speech(asset_factory, acme, provider="crun"), timeout=TIMEOUT)
    fake_crun.join()  # every delivery answered, so every poll they asked for is sent…
    for queue in ("submits", "polls", "stores"):
        dramatiq.get_broker().join(queue)  # …and handled
    assert job.events.filter(kind="callback").count() == 5
    job.refresh_from_db()

    assert_succeeded_once(job, media_root)
    assert fake_crun.calls["create"] == 1


def test_a_job_stranded_by_a_killed_worker_is_finished_by_reconcile(
    acme, asset_factory, fake_crun, redis_workers, media_root
):
    fake_crun.configure(render_delay=3, send_webhook=False)
    first = redis_workers.start()
    job = wait_for(
        request_speech(asset_factory, acme, provider="crun"),
        lambda j: j.status in (JobStatus.SUBMITTED, JobStatus.PROCESSING),
        timeout=TIMEOUT,
    )

    redis_workers.kill(first)

    # The render finishes at the provider, but nobody is left to ask.
    job.refresh_from_db()
    stuck, events = job.status, job.events.count()
    fake_crun.join()
    assert fake_crun.tasks[job.provider_task_id].status == "success"
    job.refresh_from_db()
    assert job.status == stuck and stuck in (JobStatus.SUBMITTED, JobStatus.PROCESSING)
    assert job.events.count() == events

    counts = render.reconcile(now=timezone.now() + datetime.timedelta(minutes=10))
    redis_workers.start()

    assert counts[stuck] == 1
    job = wait_for(job, timeout=TIMEOUT)
    assert_succeeded_once(job, media_root)
    assert fake_crun.calls["create"] == 1
    assert job.submit_attempts == 1


def test_a_job_whose_worker_died_mid_submit_adopts_the_render_it_started(
    acme, asset_factory, fake_crun, redis_workers, media_root
):
    fake_crun.configure(create_delay=2)
    first = redis_workers.start()
    job = wait_for(
        request_speech(asset_factory, acme, provider="crun"),
        lambda j: j.status == JobStatus.SUBMITTING,
        timeout=TIMEOUT,
    )
    wait_until(lambda: fake_crun.calls["create"] == 1)

    redis_workers.kill(first)

    # Crun got the request: it renders and calls back, but the job never heard the answer.
    wait_until(lambda: job.events.filter(kind="callback").exists())
    (task_id,) = fake_crun.tasks
    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTING
    assert job.provider_task_id == task_id  # adopted from the callback

    counts = render.reconcile(now=timezone.now() + datetime.timedelta(minutes=10))
    redis_workers.start()

    assert counts[JobStatus.SUBMITTING] == 1
    job = wait_for(job, timeout=TIMEOUT)
    assert_succeeded_once(job, media_root)
    assert "The submitting worker stopped" in job.events.get(to_status="submitted").message
    assert fake_crun.calls["create"] == 1
    assert job.provider_task_id == task_id
