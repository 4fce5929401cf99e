"""Provider callbacks, delivered by hand: duplicated, late, out of order, forged, oversized.

A callback is only a hint. The URL's token decides whether it is recorded at all; what it
claims is believed only once TaskInfo says the same, and nothing it says moves a job back.
The provider is the fake Crun (tests/fakes/crun.py).
"""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from avatars.models import JobStatus, RenderJob
from tests.helpers.callbacks import callback_path, deliver, waiting_job
from tests.helpers.jobs import callbacks, renders, request_speech, status_path, wait_for
from tests.helpers.settling import settle

pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS_PATH = ["queued", "submitting", "submitted", "storing", "succeeded"]


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


def waiting(fake_crun, asset_factory, team, settings) -> RenderJob:
    """A job whose render is done at Crun but which nobody has told yet."""
    return waiting_job(fake_crun, asset_factory, team, "crun", settings)


def delivery(fake_crun, job: RenderJob, **changes: object) -> str:
    """A callback body as Crun sends it, about the job's task as the fake has it now."""
    return fake_crun.callback(fake_crun.tasks[job.provider_task_id], **changes)


def assert_succeeded_once(job: RenderJob, media_root: Path) -> None:
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.error_code == "" and job.error_message == ""
    assert status_path(job)[-2:] == ["storing", "succeeded"]
    assert status_path(job).count("storing") == 1
    files = renders(media_root)
    assert [f.name for f in files] == ["captions.vtt", "poster.jpg", "video.mp4"]
    assert job.video.name.endswith("video.mp4")


# --- duplicates, lateness and order ------------------------------------------------------------


def test_the_same_success_delivered_five_times_is_stored_once(
    acme, asset_factory, fake_crun, embedded_worker, settings, live_server, media_root
):
    job = waiting(fake_crun, asset_factory, acme, settings)
    body = delivery(fake_crun, job)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: deliver(live_server, job, body), range(5)))

    assert [a.status_code for a in answers] == [200] * 5
    job = wait_for(job)
    assert_succeeded_once(job, media_root)
    assert status_path(job) == SUCCESS_PATH
    recorded = callbacks(job)
    assert len(recorded) == 5
    assert {c.data["status"] for c in recorded} == {"succeeded"}
    assert all("reports “succeeded”" in c.message for c in recorded)
    assert 1 <= fake_crun.calls["get"] <= 5
    assert fake_crun.calls["create"] == 1


def test_a_running_callback_after_success_never_moves_the_job_back(
    acme, asset_factory, fake_crun, embedded_worker, settings, live_server, media_root
):
    job = waiting(fake_crun, asset_factory, acme, settings)

    for status in ("success", "running", "pending"):
        assert deliver(live_server, job, delivery(fake_crun, job, status=status)).status_code == 200
    job = wait_for(job)
    assert deliver(live_server, job, delivery(fake_crun, job, status="running")).status_code == 200
    job.refresh_from_db()

    assert_succeeded_once(job, media_root)
    assert status_path(job) == SUCCESS_PATH
    assert [c.data["status"] for c in callbacks(job)] == [
        "succeeded",
        "running",
        "pending",
        "running",
    ]
    assert fake_crun.calls["create"] == 1


def test_a_callback_after_the_poller_finished_the_job_changes_nothing(
    acme, asset_factory, fake_crun, embedded_worker, live_server, media_root
):
    fake_crun.configure(send_webhook=False)
    job = wait_for(request_speech(asset_factory, acme, provider="crun"))
    assert_succeeded_once(job, media_root)
    before = (job.status, job.finished_at, job.video.name, status_path(job), renders(media_root))
    info_calls = fake_crun.calls["get"]

    answer = deliver(live_server, job, delivery(fake_crun, job))

    assert answer.status_code == 200
    settle(fake_crun)
    job.refresh_from_db()
    after = (job.status, job.finished_at, job.video.name, status_path(job), renders(media_root))
    assert after == before
    assert len(callbacks(job)) == 1
    assert fake_crun.calls["get"] == info_calls  # a final job is not even checked again
    assert fake_crun.calls["create"] == 1


# --- deliveries that are not believed ----------------------------------------------------------


def test_a_success_claim_for_a_task_still_running_is_not_believed(
    acme, asset_factory, fake_crun, embedded_worker, live_server, media_root
):
    fake_crun.configure(render_delay=2.0)
    job = wait_for(
        request_speech(asset_factory, acme, provider="crun"),
        lambda j: j.status == JobStatus.PROCESSING,
        timeout=10,
    )
    forged = {
        "data": {
            "task_id": job.provider_task_id,
            "status": "success",
            "result": {"code": 200, "media_urls": ["http://10.0.0.1/forged.mp4"]},
        }
    }
    info_calls = fake_crun.calls["get"]

    assert deliver(live_server, job, json.dumps(forged)).status_code == 200

    # The delivery made us ask TaskInfo, which says the render is still running.
    settle(fake_crun, renders=False)
    assert fake_crun.calls["get"] > info_calls
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING and job.result_url == ""
    job = wait_for(job)
    assert_succeeded_once(job, media_root)
    assert job.result_url.startswith(f"{fake_crun.url}/files/{job.provider_task_id}.mp4?")
    assert status_path(job) == [*SUCCESS_PATH[:3], "processing", *SUCCESS_PATH[3:]]
    assert len(callbacks(job)) == 2  # the forged one and Crun's own
    assert fake_crun.calls["create"] == 1


def test_a_callback_about_another_task_is_ignored(
    acme, asset_factory, fake_crun, embedded_worker, settings, live_server, media_root
):
    job = waiting(fake_crun, asset_factory, acme, settings)

    answer = deliver(live_server, job, delivery(fake_crun, job, task_id="task_99999999"))

    assert answer.status_code == 200
    notes = list(job.events.filter(kind="note").values_list("message", flat=True))
    assert notes == ["Ignored a callback about task task_99999999, not ours."]
    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTED
    assert deliver(live_server, job, delivery(fake_crun, job)).status_code == 200
    job = wait_for(job)
    assert_succeeded_once(job, media_root)
    assert fake_crun.calls["create"] == 1


@pytest.mark.parametrize(
    ("body", "answer", "words"),
    [
        (b"{" + b" " * 10_000_000 + b"}", 413, "Refused a callback larger than 256000 bytes."),
        (b"task finished, trust me", 400, "Refused a callback: The callback body is not JSON."),
        (b'{"data": {"status": "success"}}', 400, "did not match its documented form"),
    ],
    ids=["10MB", "not-json", "no-task-id"],
)
def test_a_delivery_that_cannot_be_read_is_refused_and_recorded(
    acme,
    asset_factory,
    fake_crun,
    embedded_worker,
    settings,
    live_server,
    media_root,
    body,
    answer,
    words,
):
    job = waiting(fake_crun, asset_factory, acme, settings)
    path_before = status_path(job)

    response = Client().post(callback_path(job), data=body, content_type="application/json")

    assert response.status_code == answer
    (refused,) = callbacks(job)
    assert words in refused.message
    assert refused.data["task_id"] == "" and refused.data["status"] == ""
    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTED and status_path(job) == path_before
    # A genuine delivery afterwards still works.
    assert deliver(live_server, job, delivery(fake_crun, job)).status_code == 200
    job = wait_for(job)
    assert_succeeded_once(job, media_root)
    assert fake_crun.calls["create"] == 1


def test_a_deeply_nested_delivery_is_refused_and_recorded(
    acme, asset_factory, fake_crun, embedded_worker, settings, live_server
):
    job = waiting(fake_crun, asset_factory, acme, settings)

    response = Client(raise_request_exception=False).post(
        callback_path(job), data=b"[" * 100_000, content_type="application/json"
    )
    recorded = len(callbacks(job))
    deliver(live_server, job, delivery(fake_crun, job))
    wait_for(job)

    assert response.status_code == 400
    assert recorded == 1


# --- who may call back -------------------------------------------------------------------------


def test_only_the_jobs_own_callback_url_is_listened_to(
    acme, asset_factory, fake_crun, embedded_worker, live_server, media_root
):
    job = wait_for(request_speech(asset_factory, acme, provider="crun"))
    assert_succeeded_once(job, media_root)
    settle(fake_crun)
    events = job.events.count()
    body = delivery(fake_crun, job, status="failed")
    wrong = [
        callback_path(job, token="x" * len(job.callback_token)),
        callback_path(job, token=job.callback_token[:-1]),
        reverse("provider-callback", args=["crun", job.pk + 1000, job.callback_token]),
        callback_path(job, provider="lumenfall"),
    ]

    answers = [
        httpx.post(live_server.url + path, content=body, timeout=10).status_code for path in wrong
    ]

    assert answers == [404, 404, 404, 404]
    assert job.events.count() == events
    assert len(callbacks(job)) == 1  # Crun's own delivery
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert fake_crun.calls["create"] == 1


def test_a_callback_url_only_accepts_post(acme, asset_factory, fake_crun, embedded_worker):
    job = wait_for(request_speech(asset_factory, acme, provider="crun"))
    settle(fake_crun)
    events = job.events.count()

    client = Client()
    assert client.get(callback_path(job)).status_code == 405
    assert client.put(callback_path(job), data=b"{}").status_code == 405

    assert job.events.count() == events
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert fake_crun.calls["create"] == 1
