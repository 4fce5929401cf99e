"""Renders through Lumenfall and Replicate, end to end against their fakes over real HTTP.

The fakes speak each contract, sign their webhooks and misbehave on demand; the embedded
worker drives the job. Every job ends in one final state with one paid render at most, a
timeline that says what happened, and its video copied before the provider's link dies.
"""

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from avatars import render
from avatars.models import CreditEntry, JobStatus, RenderJob, WebhookDelivery
from tests.fakes import FakeProvider
from tests.helpers.callbacks import deliver, waiting_job
from tests.helpers.jobs import (
    assert_legal_path,
    callbacks,
    notes,
    renders,
    request_speech,
    status_path,
    wait_for,
)
from tests.helpers.settling import settle
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS_PATH = ["queued", "submitting", "submitted", "storing", "succeeded"]
COST = {"lumenfall": Decimal("0.0300"), "replicate": Decimal("0.0250")}


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


@pytest.fixture(params=["lumenfall", "replicate"])
def provider(request) -> str:
    return request.param


@pytest.fixture
def fake(provider, request) -> FakeProvider:
    return request.getfixturevalue(f"fake_{provider}")


def start(fake: FakeProvider, assets, team, provider: str, **behaviour: object) -> RenderJob:
    fake.configure(**behaviour)
    return request_speech(assets, team, provider=provider)


def assert_stored_once(job: RenderJob, media_root: Path, provider: str) -> None:
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.error_code == "" and job.error_message == ""
    assert status_path(job).count("storing") == 1 and status_path(job)[-1] == "succeeded"
    assert [f.name for f in renders(media_root)] == ["captions.vtt", "poster.jpg", "video.mp4"]
    assert job.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert job.cost == COST[provider]
    ledger = CreditEntry.objects.filter(job=job)
    assert sorted(ledger.values_list("kind", flat=True)) == ["charge", "hold", "release"]
    assert ledger.get(kind="charge").amount == COST[provider]


# --- success --------------------------------------------------------------------------------


def test_a_render_succeeds_by_webhook(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    job = wait_for(start(fake, asset_factory, acme, provider))

    assert_stored_once(job, media_root, provider)
    # A poll may find the render running or done before the webhook comes: the path may or
    # may not pass through "processing", but each of its steps is a legal one.
    assert_legal_path(job)
    assert status_path(job)[:3] == SUCCESS_PATH[:3]
    settle(fake)
    (callback,) = callbacks(job)
    assert callback.data["delivery_id"] == f"msg_{job.provider_task_id}"
    assert "reports “succeeded”" in callback.message
    assert fake.calls["create"] == 1 and list(fake.tasks) == [job.provider_task_id]
    assert WebhookDelivery.objects.filter(job=job).count() == 1


def test_a_lumenfall_create_carries_the_jobs_idempotency_key(
    acme, asset_factory, fake_lumenfall, embedded_worker
):
    job = wait_for(start(fake_lumenfall, asset_factory, acme, "lumenfall"))

    (create,) = [r for r in fake_lumenfall.requests if r.path == "/v1/videos"]
    assert create.headers["idempotency-key"] == f"avatar-studio-{job.key.hex}"
    assert create.body["webhook_url"].endswith(
        f"/callbacks/lumenfall/{job.pk}/{job.callback_token}/"
    )


def test_a_render_succeeds_by_polling_when_no_webhook_comes(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    # Still rendering when the first poll (released by the worker within a second) asks.
    job = start(fake, asset_factory, acme, provider, send_webhook=False, render_delay=2.5)
    job = wait_for(job)

    assert_stored_once(job, media_root, provider)
    assert_legal_path(job)
    assert status_path(job)[:3] == SUCCESS_PATH[:3]
    assert "processing" in status_path(job)
    assert callbacks(job) == []
    assert fake.calls["get"] >= 2 and fake.calls["create"] == 1


# --- errors -----------------------------------------------------------------------------------

REFUSED = [
    # provider, create error, typed code, words
    ("lumenfall", 400, "invalid_request", "refused the request as invalid"),
    ("lumenfall", 401, "auth", "refused our API key"),
    ("lumenfall", 402, "insufficient_credits", "Lumenfall account has run out of credits"),
    ("lumenfall", 404, "feature_disabled", "switched off on the Lumenfall account"),
    ("replicate", 401, "auth", "refused our API key"),
    ("replicate", 402, "insufficient_credits", "Replicate account has run out of credits"),
    ("replicate", 422, "invalid_request", "refused the request as invalid"),
]


@pytest.mark.parametrize(
    ("provider", "code", "error_code", "words"),
    REFUSED,
    ids=[f"{row[0]}-{row[1]}" for row in REFUSED],
)
def test_a_refused_create_fails_the_job_at_once_with_the_reason(
    acme, asset_factory, fake, provider, embedded_worker, media_root, code, error_code, words
):
    job = wait_for(start(fake, asset_factory, acme, provider, create_error=code))

    assert job.status == JobStatus.FAILED
    assert job.error_code == error_code
    assert words in job.error_message
    assert "Traceback" not in job.error_message
    assert status_path(job) == ["queued", "submitting", "failed"]
    assert fake.calls["create"] == 1 and not fake.tasks
    assert renders(media_root) == []
    assert CreditEntry.objects.get(job=job, kind="release").amount < 0


PASSING = [
    ("lumenfall", 429, "limiting how fast"),
    ("lumenfall", 500, "server error"),
    ("lumenfall", 502, "All upstream providers are busy"),
    ("lumenfall", 503, "server error"),
    ("replicate", 429, "limiting how fast"),
    ("replicate", 500, "server error"),
    ("replicate", 503, "temporarily unavailable"),
]


@pytest.mark.parametrize(
    ("provider", "code", "words"), PASSING, ids=[f"{row[0]}-{row[1]}" for row in PASSING]
)
def test_a_create_refused_once_for_a_passing_reason_is_sent_again(
    acme, asset_factory, fake, provider, embedded_worker, media_root, code, words
):
    job = wait_for(
        start(fake, asset_factory, acme, provider, create_error=code, create_error_times=1)
    )

    assert_stored_once(job, media_root, provider)
    assert status_path(job)[:4] == ["queued", "submitting", "queued", "submitting"]
    retry = job.events.filter(kind="status").order_by("pk")[2]
    assert words in retry.message and "Next try in" in retry.message
    assert fake.calls["create"] == 2 and len(fake.tasks) == 1


def test_replicates_429_without_retry_after_waits_as_its_body_says(
    acme, asset_factory, fake_replicate, embedded_worker, media_root
):
    job = wait_for(
        start(
            fake_replicate,
            asset_factory,
            acme,
            "replicate",
            create_error=429,
            create_error_times=1,
            retry_after=None,
        )
    )

    assert_stored_once(job, media_root, "replicate")
    requeued, resubmitted = job.events.filter(kind="status").order_by("pk")[2:4]
    assert "Next try in 1 second" in requeued.message
    assert (resubmitted.created_at - requeued.created_at).total_seconds() >= 0.9


def test_a_lumenfall_create_without_an_answer_is_sent_again_and_makes_one_video(
    acme, asset_factory, fake_lumenfall, embedded_worker, media_root, short_timeout
):
    job = wait_for(
        start(
            fake_lumenfall, asset_factory, acme, "lumenfall", create_delay=1.5, create_delay_times=1
        )
    )

    assert_stored_once(job, media_root, "lumenfall")
    unanswered = job.events.filter(kind="status").order_by("pk")[2]
    assert "did not answer in time" in unanswered.message and "Next try" in unanswered.message
    # Both creates carried the job's key, so the second returned the video the first started.
    assert fake_lumenfall.calls["create"] == 2 and len(fake_lumenfall.tasks) == 1


def test_a_replicate_create_without_an_answer_waits_for_its_webhook(
    acme, asset_factory, fake_replicate, embedded_worker, media_root, short_timeout, settings
):
    settings.SUBMIT_UNANSWERED_GRACE_SECONDS = 20

    job = wait_for(start(fake_replicate, asset_factory, acme, "replicate", create_delay=1.5))

    assert_stored_once(job, media_root, "replicate")
    assert status_path(job) == SUCCESS_PATH
    assert "before sending it again" in job.events.filter(kind="status").order_by("pk")[2].message
    assert f"The unanswered submit did start task {job.provider_task_id}." in notes(job)
    assert fake_replicate.calls["create"] == 1


@pytest.fixture
def short_timeout(fake_lumenfall, fake_replicate):
    """The registry's clients with a 1 s timeout, so a slow create goes unanswered."""
    from avatars.providers import get_provider

    for name in ("lumenfall", "replicate"):
        get_provider(name).client.timeout = httpx.Timeout(1.0)
    yield
    get_provider.cache_clear()


def test_status_checks_that_fail_for_a_while_do_not_fail_the_job(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    job = wait_for(
        start(
            fake,
            asset_factory,
            acme,
            provider,
            send_webhook=False,
            fetch_error=503,
            fetch_error_times=2,
            render_delay=0.5,
        )
    )

    assert_stored_once(job, media_root, provider)
    assert len([n for n in notes(job) if n.startswith("Could not ask for the status")]) == 2


def test_a_status_check_refused_for_our_key_fails_the_job(
    acme, asset_factory, fake, provider, embedded_worker
):
    job = wait_for(start(fake, asset_factory, acme, provider, send_webhook=False, fetch_error=401))

    assert job.status == JobStatus.FAILED and job.error_code == "auth"


def test_a_failed_generation_fails_the_job_with_the_providers_message(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    job = wait_for(start(fake, asset_factory, acme, provider, fail_generation=True))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "generation_failed"
    who = provider.capitalize()
    assert job.error_message == (
        f"{who} could not generate this video. {who} said: “the model found no face to animate”."
    )
    assert renders(media_root) == []
    assert not CreditEntry.objects.filter(job=job, kind="charge").exists()


def test_an_aborted_prediction_fails_the_job(acme, asset_factory, fake_replicate, embedded_worker):
    job = wait_for(start(fake_replicate, asset_factory, acme, "replicate", end_status="aborted"))

    assert job.status == JobStatus.FAILED and job.error_code == "aborted"
    assert "stopped the render before it started" in job.error_message


def test_a_prediction_canceled_at_replicate_cancels_the_job(
    acme, asset_factory, fake_replicate, embedded_worker
):
    job = wait_for(start(fake_replicate, asset_factory, acme, "replicate", end_status="canceled"))

    assert job.status == JobStatus.CANCELED
    assert status_path(job)[-1] == "canceled"


# --- webhooks that must not be believed --------------------------------------------------------


@pytest.mark.parametrize("signature", ["bad", "missing", "stale", "future"])
def test_a_webhook_with_a_bad_missing_or_stale_signature_is_refused_and_changes_nothing(
    acme, asset_factory, fake, provider, embedded_worker, settings, live_server, signature
):
    job = waiting_job(fake, asset_factory, acme, provider, settings)
    body, headers = fake.webhook(fake.tasks[job.provider_task_id], signature=signature)
    before = (status_path(job), fake.calls["get"])

    answer = deliver(live_server, job, body, headers)

    assert answer.status_code == 401
    settle(fake)
    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTED and job.result_url == ""
    assert (status_path(job), fake.calls["get"]) == before
    (refused,) = callbacks(job)
    assert refused.message.startswith("Refused a callback: ")
    assert refused.data["status"] == "" and refused.data["task_id"] == ""
    assert not WebhookDelivery.objects.exists()


def test_webhooks_the_fake_signs_wrongly_are_refused_and_polling_finishes_the_job(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    job = wait_for(start(fake, asset_factory, acme, provider, signature="stale"))

    assert_stored_once(job, media_root, provider)
    (refused,) = callbacks(job)
    assert "more than 5 minutes old" in refused.message


def test_a_replayed_webhook_changes_nothing(
    acme, asset_factory, fake, provider, embedded_worker, settings, live_server, media_root
):
    job = waiting_job(fake, asset_factory, acme, provider, settings)
    body, headers = fake.webhook(fake.tasks[job.provider_task_id])
    assert deliver(live_server, job, body, headers).status_code == 200
    job = wait_for(job)
    assert_stored_once(job, media_root, provider)
    before = (status_path(job), fake.calls["get"], job.finished_at)

    answer = deliver(live_server, job, body, headers)

    assert answer.status_code == 200 and answer.json() == {"ok": True, "repeated": True}
    settle(fake)
    job.refresh_from_db()
    assert (status_path(job), fake.calls["get"], job.finished_at) == before
    _, replay = callbacks(job)
    assert replay.message.startswith(f"Ignored a repeated delivery {headers['webhook-id']}")
    assert WebhookDelivery.objects.filter(job=job).count() == 1
    assert_stored_once(job, media_root, provider)


@pytest.mark.parametrize("same_id", [True, False], ids=["retries-of-one-message", "three-messages"])
def test_a_webhook_delivered_three_times_stores_the_video_once(
    acme, asset_factory, fake, provider, embedded_worker, media_root, same_id
):
    job = start(fake, asset_factory, acme, provider, webhook_copies=3, webhook_same_id=same_id)
    wait_until(lambda: len(callbacks(job)) == 3)
    job = wait_for(job)
    settle(fake)

    assert_stored_once(job, media_root, provider)
    assert_legal_path(job)
    assert status_path(job)[:3] == SUCCESS_PATH[:3]
    repeated = [c for c in callbacks(job) if c.message.startswith("Ignored a repeated delivery")]
    assert len(repeated) == (2 if same_id else 0)
    assert WebhookDelivery.objects.filter(job=job).count() == (1 if same_id else 3)
    assert fake.calls["create"] == 1


# --- the output link expiring -----------------------------------------------------------------


def test_an_expired_lumenfall_link_is_fetched_again_once(
    acme, asset_factory, fake_lumenfall, embedded_worker, media_root
):
    job = wait_for(
        start(fake_lumenfall, asset_factory, acme, "lumenfall", send_webhook=False, expired_links=1)
    )

    assert_stored_once(job, media_root, "lumenfall")
    (fresh,) = [n for n in notes(job) if "Copying from a fresh link" in n]
    assert "no longer available" in fresh and "token" not in fresh
    assert job.result_url.endswith("token=2")


def test_a_link_that_stays_expired_fails_the_job_clearly(
    acme, asset_factory, fake, provider, embedded_worker, media_root
):
    job = wait_for(start(fake, asset_factory, acme, provider, send_webhook=False, expired_links=9))

    assert job.status == JobStatus.FAILED
    assert job.error_code == "expired"
    assert job.error_message.startswith(
        "The provider's link to the video expired before we could copy it"
    )
    assert job.error_message.endswith("Render it again.")
    assert status_path(job)[-2:] == ["storing", "failed"]
    assert renders(media_root) == []
    assert not CreditEntry.objects.filter(job=job, kind="charge").exists()


# --- people changing their mind ---------------------------------------------------------------


def test_canceling_a_replicate_render_cancels_the_prediction(
    acme, asset_factory, fake_replicate, embedded_worker, media_root
):
    job = start(fake_replicate, asset_factory, acme, "replicate", render_delay=5)
    wait_for(job, lambda j: j.status == JobStatus.PROCESSING, timeout=10)

    assert render.cancel(job.pk, None)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert fake_replicate.calls["cancel"] == 1
    cancel = [r for r in fake_replicate.requests if r.path.endswith("/cancel")]
    assert cancel[0].path == f"/v1/predictions/{job.provider_task_id}/cancel"
    assert fake_replicate.tasks[job.provider_task_id].status == "canceled"
    assert CreditEntry.objects.get(job=job, kind="release").amount < 0
    assert renders(media_root) == []


def test_canceling_a_lumenfall_render_keeps_the_job_canceled_when_it_finishes(
    acme, asset_factory, fake_lumenfall, embedded_worker, media_root
):
    job = start(fake_lumenfall, asset_factory, acme, "lumenfall", render_delay=1)
    wait_for(job, lambda j: j.status == JobStatus.PROCESSING, timeout=10)

    assert render.cancel(job.pk, None)
    settle(fake_lumenfall)  # the render finishes and its webhook is delivered
    job.refresh_from_db()

    assert callbacks(job)
    assert job.status == JobStatus.CANCELED
    assert renders(media_root) == []
