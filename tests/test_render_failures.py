"""Renders that go wrong, end to end: the fake Crun misbehaves the ways Crun documents, the
embedded worker drives the job, and every job ends in one final state with a message a
marketer can act on, a timeline that says what happened, and no second paid submit.
"""

import datetime
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from avatars import fetch, render
from avatars.models import JobStatus, RenderJob
from avatars.providers import get_provider
from avatars.providers.crun import CrunProvider
from tests.fakes import crun
from tests.helpers.jobs import (
    assert_legal_path,
    notes,
    renders,
    request_speech,
    status_events,
    status_path,
    wait_for,
)
from tests.helpers.settling import settle
from tests.helpers.stub_server import Reply, StubServer
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS_PATH = ["queued", "submitting", "submitted", "storing", "succeeded"]


def start(fake_crun, asset_factory, team, **behaviour: object) -> RenderJob:
    """Queue a render with the fake Crun behaving as told."""
    fake_crun.configure(**behaviour)
    return request_speech(asset_factory, team, provider="crun")


def assert_succeeded(job: RenderJob, media_root: Path) -> None:
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.error_code == "" and job.error_message == ""
    assert status_path(job)[-2:] == ["storing", "succeeded"]
    assert status_path(job).count("storing") == 1
    assert job.video and job.poster and job.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert len(renders(media_root)) == 3  # video, poster and captions


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


@pytest.fixture
def short_provider_timeout(fake_crun) -> Iterator[CrunProvider]:
    """The Crun client with a 1 s timeout.

    Monkeypatching avatars.providers.crun.TIMEOUT would not do: it is the default of a
    keyword argument, bound when CrunProvider was defined.
    """
    get_provider.cache_clear()
    provider = get_provider("crun")
    provider.client.timeout = httpx.Timeout(1.0)
    yield provider
    get_provider.cache_clear()


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


# --- CreateTask refused: no render started, nothing to retry -----------------------------------


@pytest.mark.parametrize(
    ("code", "errors_in_json", "error_code", "words"),
    [
        (401, False, "auth", "refused our API key"),
        (403, False, "auth", "API key is disabled"),
        (402, False, "insufficient_credits", "run out of credits"),
        (402, True, "insufficient_credits", "run out of credits"),
        (422, False, "invalid_request", "refused the request as invalid"),
        (501, False, "generation_failed", "could not generate this video"),
        (505, False, "feature_disabled", "switched off"),
    ],
    ids=["401", "403", "402", "402-in-json", "422", "501", "505"],
)
def test_a_refused_submit_fails_the_job_at_once(
    acme,
    asset_factory,
    fake_crun,
    embedded_worker,
    media_root,
    code,
    errors_in_json,
    error_code,
    words,
):
    job = wait_for(
        start(fake_crun, asset_factory, acme, create_error=code, errors_in_json=errors_in_json)
    )

    assert job.status == JobStatus.FAILED
    assert job.error_code == error_code
    assert words in job.error_message
    assert status_path(job) == ["queued", "submitting", "failed"]
    assert status_events(job)[-1].message == job.error_message
    assert job.submit_attempts == 1 and job.provider_task_id == ""
    assert fake_crun.calls["create"] == 1 and not fake_crun.tasks
    assert renders(media_root) == []


def test_running_out_of_credits_tells_the_marketer_what_happened(
    acme, asset_factory, fake_crun, embedded_worker
):
    job = wait_for(start(fake_crun, asset_factory, acme, create_error=402))

    assert job.error_code == "insufficient_credits"
    assert "account has run out of credits" in job.error_message
    assert "administrator" in job.error_message
    assert "not charged" in job.error_message


def test_a_generation_that_fails_at_the_provider_fails_the_job(
    acme, asset_factory, fake_crun, embedded_worker, media_root
):
    job = wait_for(start(fake_crun, asset_factory, acme, fail_generation=True))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "generation_failed"
    assert "could not generate this video" in job.error_message
    assert crun.FakeCrun.failure_message in job.error_message
    assert status_path(job)[:3] == ["queued", "submitting", "submitted"]
    assert status_path(job)[-1] == "failed"
    settle(fake_crun)
    assert job.events.filter(kind="callback").count() == 1
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


# --- CreateTask answered with a safe error: resubmitted -----------------------------------------


@pytest.mark.parametrize(
    ("code", "errors_in_json", "words"),
    [
        (455, False, "down for maintenance"),
        (500, False, "server error"),
        (500, True, "server error"),
    ],
    ids=["455", "500", "500-in-json"],
)
def test_a_submit_refused_once_for_a_passing_reason_is_sent_again(
    acme, asset_factory, fake_crun, embedded_worker, media_root, code, errors_in_json, words
):
    job = wait_for(
        start(
            fake_crun,
            asset_factory,
            acme,
            create_error=code,
            create_error_times=1,
            errors_in_json=errors_in_json,
        )
    )

    assert_succeeded(job, media_root)
    assert status_path(job)[:5] == ["queued", "submitting", "queued", "submitting", "submitted"]
    retry = status_events(job)[2]
    assert words in retry.message and "Next try in" in retry.message
    assert retry.data["status"] == code
    # The first CreateTask was answered with an error, so only the second started a task.
    assert fake_crun.calls["create"] == 2 and len(fake_crun.tasks) == 1
    assert job.submit_attempts == 2


def test_a_submit_that_keeps_failing_gives_up_after_the_last_attempt(
    acme, asset_factory, fake_crun, embedded_worker, media_root, settings
):
    settings.SUBMIT_MAX_ATTEMPTS = 3

    job = wait_for(start(fake_crun, asset_factory, acme, create_error=500), timeout=20)

    assert job.status == JobStatus.FAILED
    assert job.error_code == "unavailable"
    assert "server error" in job.error_message
    assert "gave up after 3 attempts" in job.error_message
    assert status_path(job) == ["queued", "submitting"] * 3 + ["failed"]
    assert fake_crun.calls["create"] == 3 and not fake_crun.tasks
    assert renders(media_root) == []


def test_a_submit_that_gave_up_does_not_promise_to_try_again(
    acme, asset_factory, fake_crun, embedded_worker, settings
):
    settings.SUBMIT_MAX_ATTEMPTS = 1

    job = wait_for(start(fake_crun, asset_factory, acme, create_error=455))

    assert job.status == JobStatus.FAILED
    assert "try again" not in job.error_message


@pytest.mark.parametrize("errors_in_json", [False, True], ids=["http-status", "json-code"])
def test_a_rate_limited_submit_waits_as_told_then_succeeds(
    acme, asset_factory, fake_crun, embedded_worker, media_root, errors_in_json
):
    job = wait_for(
        start(
            fake_crun,
            asset_factory,
            acme,
            create_error=429,
            create_error_times=1,
            retry_after=1,
            errors_in_json=errors_in_json,
        )
    )

    assert_succeeded(job, media_root)
    events = status_events(job)
    assert [e.to_status for e in events[:4]] == ["queued", "submitting", "queued", "submitting"]
    requeued, resubmitted = events[2], events[3]
    assert "limiting how fast" in requeued.message and "Next try in 1 s" in requeued.message
    waited = (resubmitted.created_at - requeued.created_at).total_seconds()
    assert waited >= 0.9, f"resubmitted after {waited:.2f} s, not the 1 s Crun asked for"
    assert fake_crun.calls["create"] == 2 and len(fake_crun.tasks) == 1


# --- CreateTask unanswered: the render may have started ----------------------------------------


def test_a_submit_without_an_answer_waits_for_the_task_it_started(
    acme, asset_factory, fake_crun, embedded_worker, media_root, settings, short_provider_timeout
):
    # Long enough for the slow CreateTask to finish and its render to call back.
    settings.SUBMIT_UNANSWERED_GRACE_SECONDS = 20

    job = wait_for(start(fake_crun, asset_factory, acme, create_delay=2.0), timeout=20)

    assert_succeeded(job, media_root)
    assert status_path(job) == SUCCESS_PATH
    unanswered = status_events(job)[2]
    assert "did not answer in time" in unanswered.message
    assert "before sending it again" in unanswered.message
    (task_id,) = fake_crun.tasks
    assert job.provider_task_id == task_id
    assert f"The unanswered submit did start task {task_id}." in notes(job)
    assert fake_crun.calls["create"] == 1 and job.submit_attempts == 1


# --- waiting for the render ----------------------------------------------------------------------


def test_status_checks_that_fail_for_a_while_do_not_fail_the_job(
    acme, asset_factory, fake_crun, embedded_worker, media_root
):
    job = wait_for(
        start(
            fake_crun,
            asset_factory,
            acme,
            send_webhook=False,
            fetch_error=500,
            fetch_error_times=3,
            render_delay=0.5,
        ),
        timeout=20,
    )

    assert_succeeded(job, media_root)
    failed_checks = [n for n in notes(job) if n.startswith("Could not ask for the status")]
    assert len(failed_checks) == 3
    assert all("server error" in n for n in failed_checks)
    assert fake_crun.calls["get"] >= 4
    assert fake_crun.calls["create"] == 1


def test_a_render_that_never_finishes_fails_at_the_deadline(
    acme, asset_factory, fake_crun, embedded_worker, media_root, settings
):
    settings.RENDER_DEADLINE_SECONDS = 2

    job = wait_for(
        start(fake_crun, asset_factory, acme, render_delay=6, send_webhook=False), timeout=20
    )

    assert job.status == JobStatus.FAILED
    assert job.error_code == "deadline"
    assert "did not finish the render" in job.error_message
    # A first poll late enough finds the deadline passed before it sees the render running.
    assert_legal_path(job)
    assert status_path(job)[:3] == ["queued", "submitting", "submitted"]
    assert status_path(job)[-1] == "failed"
    waited = (job.finished_at - job.submitted_at).total_seconds()
    assert 2 <= waited < 6  # at the deadline, before the render could have ended
    # The provider finishing later changes nothing.
    wait_until(lambda: fake_crun.tasks[job.provider_task_id].status == "success")
    render.poll(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_url == ""
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


def test_the_deadline_message_states_the_real_deadline(
    acme, asset_factory, fake_crun, embedded_worker, settings
):
    settings.RENDER_DEADLINE_SECONDS = 1

    job = wait_for(start(fake_crun, asset_factory, acme, render_delay=2, send_webhook=False))
    wait_until(lambda: fake_crun.tasks[job.provider_task_id].status == "success")

    assert job.error_code == "deadline"
    assert "within 1 second." in job.error_message


def test_an_absurd_cost_from_the_provider_does_not_strand_the_job(
    acme, asset_factory, fake_crun, embedded_worker, monkeypatch
):
    monkeypatch.setattr(crun, "CREDITS_PER_SECOND", {"720p": 1e30, "1080p": 1e30})

    job = wait_for(start(fake_crun, asset_factory, acme), timeout=6)

    assert job.is_final


# --- storing the result: untrusted links and files ----------------------------------------------


@pytest.mark.parametrize(
    ("result_url", "words"),
    [
        ("http://10.0.0.1/x.mp4", "private or internal network address (10.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data/", "private or internal network address"),
        ("file:///etc/passwd", "Only http and https links"),
    ],
    ids=["private", "metadata", "file"],
)
def test_a_result_link_into_our_network_is_refused(
    acme, asset_factory, fake_crun, embedded_worker, media_root, settings, result_url, words
):
    settings.FETCH_ALLOW_PRIVATE = False

    job = wait_for(start(fake_crun, asset_factory, acme, result_url=result_url))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "refused"
    assert "video link was refused" in job.error_message
    assert words in job.error_message
    assert status_path(job)[-2:] == ["storing", "failed"]
    assert job.result_url == result_url
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


def test_a_result_link_redirecting_into_our_network_is_refused(
    acme, asset_factory, fake_crun, embedded_worker, media_root, settings, monkeypatch, stub_server
):
    settings.FETCH_ALLOW_PRIVATE = False
    # The stub is on loopback too: let the first hop through so the redirect is what is checked.
    real = fetch.is_public_address
    checked = []

    def first_hop_is_public(ip):
        checked.append(ip)
        return len(checked) == 1 or real(ip)

    monkeypatch.setattr(fetch, "is_public_address", first_hop_is_public)
    stub_server.reply = Reply(302, headers={"Location": f"{stub_server.url}/internal/admin.mp4"})

    job = wait_for(start(fake_crun, asset_factory, acme, result_url=f"{stub_server.url}/v.mp4"))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "refused"
    assert "video link was refused" in job.error_message
    assert "/internal/admin.mp4 leads to a private or internal network address" in (
        job.error_message
    )
    assert stub_server.paths == ["/v.mp4"]
    assert status_path(job)[-2:] == ["storing", "failed"]
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


def test_a_result_that_is_not_a_video_is_not_stored(
    acme, asset_factory, fake_crun, embedded_worker, media_root
):
    page = b"<html><body>Please sign in to download this file.</body></html>"

    job = wait_for(start(fake_crun, asset_factory, acme, result_bytes=page))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "not_a_video"
    assert "not a video" in job.error_message
    assert "HTML web page" in job.error_message
    assert status_path(job)[-2:] == ["storing", "failed"]
    assert not job.video and not job.poster
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []


# --- people changing their mind ------------------------------------------------------------------


def test_a_canceled_render_stays_canceled_when_the_provider_finishes(
    acme, asset_factory, fake_crun, embedded_worker, media_root
):
    job = start(fake_crun, asset_factory, acme, render_delay=1.5)
    wait_for(job, lambda j: j.status == JobStatus.PROCESSING, timeout=10)

    assert render.cancel(job.pk, None)
    # The provider carries on, finishes and calls back: too late.
    settle(fake_crun)
    job.refresh_from_db()

    assert job.status == JobStatus.CANCELED
    assert job.error_code == "" and job.result_url == ""
    assert status_path(job) == ["queued", "submitting", "submitted", "processing", "canceled"]
    assert job.events.get(kind="callback").data["status"] == "succeeded"
    assert fake_crun.tasks[job.provider_task_id].status == "success"
    assert fake_crun.calls["create"] == 1
    assert renders(media_root) == []
    assert not render.cancel(job.pk, None)


# --- answers that leave us unsure ----------------------------------------------------------------


def test_a_create_answer_without_a_task_id_waits_for_the_render_it_may_have_started(
    acme, asset_factory, fake_crun, embedded_worker, media_root, monkeypatch
):
    real = fake_crun.create

    def forgetful(body):
        status, answer, headers = real(body)
        return status, {**answer, "data": {}}, headers

    monkeypatch.setattr(fake_crun, "create", forgetful)

    job = wait_for(start(fake_crun, asset_factory, acme), timeout=10)

    settle(fake_crun)
    assert fake_crun.calls["create"] == 1 and len(fake_crun.tasks) == 1
    assert job.events.filter(kind="callback").count() == 1
    assert_succeeded(job, media_root)


def test_the_reconcile_sweep_respects_a_retry_after(
    acme, asset_factory, fake_crun, embedded_worker, media_root
):
    job = start(
        fake_crun, asset_factory, acme, create_error=429, create_error_times=1, retry_after=300
    )
    wait_for(job, lambda j: status_path(j)[-2:] == ["submitting", "queued"])

    # The sweep runs a minute later, well inside the five minutes Crun asked for.
    render.reconcile(now=timezone.now() + datetime.timedelta(seconds=61))
    settle(fake_crun)
    calls = fake_crun.calls["create"]
    render.cancel(job.pk, None)
    job.refresh_from_db()

    assert calls == 1
    assert job.status == JobStatus.CANCELED
