"""Renders through Lumenfall where its API is OpenAI's videos API, end to end against the fake.

A finished video without `output.url` is copied from `GET /videos/{id}/content` with our key
(which reaches nobody else and is kept nowhere); a link whose `expires_at` has passed is
never downloaded: the job asks once for a fresh one, and fails saying so when there is none;
a thin webhook naming only the video makes the job ask for its status.
"""

import json

import httpx
import pytest
from django.urls import reverse

from avatars.models import CreditEntry, JobEvent, JobStatus, RenderJob, WebhookDelivery
from tests.conftest import stored_files
from tests.fakes import lumenfall
from tests.fakes.lumenfall import FakeLumenfall
from tests.helpers.jobs import request_speech, status_path, wait_for
from tests.helpers.standard_webhooks import signed
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


def render(fake: FakeLumenfall, assets, team, **behaviour: object) -> RenderJob:
    fake.configure(send_webhook=False, **behaviour)
    return wait_for(request_speech(assets, team, provider="lumenfall"))


def file_requests(fake: FakeLumenfall) -> list:
    return [r for r in fake.requests if r.path.startswith("/files/")]


def content_requests(fake: FakeLumenfall) -> list:
    return [r for r in fake.requests if r.path.endswith("/content")]


def stored_anywhere(job: RenderJob) -> str:
    rows = [
        *RenderJob.objects.filter(pk=job.pk).values(),
        *JobEvent.objects.filter(job=job).values(),
    ]
    return json.dumps(rows, default=str)


# --- the video served by the API itself ------------------------------------------------------


def test_a_video_given_only_by_its_content_route_is_copied_with_our_key(
    acme, asset_factory, fake_lumenfall, embedded_worker, media_root
):
    fake_lumenfall.plain_videos = True

    job = render(fake_lumenfall, asset_factory, acme)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert [f.name for f in stored_files(media_root / "renders")] == [
        "captions.vtt",
        "poster.jpg",
        "video.mp4",
    ]
    assert job.result_url == f"{fake_lumenfall.url}/v1/videos/{job.provider_task_id}/content"
    (content,) = content_requests(fake_lumenfall)
    assert content.headers["authorization"] == f"Bearer {lumenfall.API_KEY}"
    assert lumenfall.API_KEY not in stored_anywhere(job)
    assert CreditEntry.objects.get(job=job, kind="charge").amount == job.cost


def test_our_key_does_not_follow_the_content_route_to_another_server(
    acme, asset_factory, fake_lumenfall, embedded_worker
):
    fake_lumenfall.plain_videos = True
    fake_lumenfall.content_elsewhere = True

    job = render(fake_lumenfall, asset_factory, acme)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    (content,) = content_requests(fake_lumenfall)
    (elsewhere,) = file_requests(fake_lumenfall)
    assert content.headers["authorization"] == f"Bearer {lumenfall.API_KEY}"
    assert elsewhere.headers["host"].startswith("localhost:")
    assert "authorization" not in elsewhere.headers


# --- links past their expiry ------------------------------------------------------------------


def test_a_link_past_its_expiry_is_not_downloaded_and_a_fresh_one_is_asked_for(
    acme, asset_factory, fake_lumenfall, embedded_worker
):
    # The first link is handed out already expired, and it is dead indeed.
    fake_lumenfall.dead_on_arrival = 1

    job = render(fake_lumenfall, asset_factory, acme, expired_links=1)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert [r.query["token"] for r in file_requests(fake_lumenfall)] == ["2"]
    (fresh,) = job.events.filter(kind="note", data__fresh_link=True)
    assert fresh.message == (
        "The provider's link to the video has expired. Copying from a fresh link."
    )
    assert job.result_url.endswith("token=2")
    assert status_path(job)[-2:] == ["storing", "succeeded"]


def test_a_video_whose_links_are_all_expired_fails_saying_to_render_it_again(
    acme, asset_factory, fake_lumenfall, embedded_worker, media_root
):
    fake_lumenfall.dead_on_arrival = 99

    job = render(fake_lumenfall, asset_factory, acme)

    assert job.status == JobStatus.FAILED
    assert job.error_code == "expired"
    assert job.error_message == (
        "The provider's link to the video expired before we could copy it, and the provider "
        "has no fresh link to it. Render it again."
    )
    assert file_requests(fake_lumenfall) == []
    assert status_path(job)[-2:] == ["storing", "failed"]
    assert stored_files(media_root / "renders") == []
    assert not CreditEntry.objects.filter(job=job, kind="charge").exists()


# --- thin webhooks ----------------------------------------------------------------------------


def test_a_thin_webhook_naming_only_the_video_makes_the_job_ask_and_finish(
    acme, asset_factory, fake_lumenfall, embedded_worker, settings, live_server
):
    settings.POLL_FIRST_SECONDS = 30  # keep the poller out of the way
    fake_lumenfall.configure(send_webhook=False)
    job = request_speech(asset_factory, acme, provider="lumenfall")
    job = wait_for(job, lambda j: j.status == JobStatus.SUBMITTED)
    wait_until(lambda: fake_lumenfall.tasks[job.provider_task_id].status == "completed")
    body = json.dumps({"type": "video.completed", "data": {"id": job.provider_task_id}}).encode()
    path = reverse("provider-callback", args=["lumenfall", job.pk, job.callback_token])

    answer = httpx.post(
        live_server.url + path,
        content=body,
        headers=signed(body, lumenfall.SECRET, delivery_id="msg_thin"),
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    job = wait_for(job)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    (callback,) = job.events.filter(kind="callback")
    assert callback.data["delivery_id"] == "msg_thin"
    assert callback.data["task_id"] == job.provider_task_id
    assert WebhookDelivery.objects.filter(job=job, delivery_id="msg_thin").exists()
    # The status call the hint prompted is what gave the link that was copied.
    assert fake_lumenfall.calls["get"] >= 1 and job.result_url.endswith("token=1")
