"""Sending a queued job to its provider, with retries, waits and fallback."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from avatars import catalog, routing
from avatars.campaigns import outcomes as campaign_outcomes
from avatars.catalog import PROVIDER_LABELS
from avatars.media_urls import media_url
from avatars.models import RenderJob
from avatars.providers import base, get_provider
from avatars.providers.ratelimit import Throttled
from avatars.render.states import S, duration_text, fail, schedule, transition

log = logging.getLogger("avatars.render")


def submit(job_id: int) -> None:
    """Hand a queued job to its provider, exactly once."""
    if held := campaign_outcomes.held_back(job_id):
        _hold_back(job_id, held)
        return
    if not transition(
        job_id,
        S.SUBMITTING,
        allowed_from=[S.QUEUED],
        actor="worker",
        message="Sending to the provider.",
        submit_attempts=F("submit_attempts") + 1,
    ):
        return
    job = RenderJob.objects.select_related("avatar", "voice", "audio_clip", "script_revision").get(
        pk=job_id
    )
    if job.avatar.consent_withdrawn_at is not None:
        # Requested as the consent was being withdrawn: the withdrawal's sweep missed it.
        transition(
            job.pk,
            S.CANCELED,
            allowed_from=[S.SUBMITTING],
            actor="worker",
            message="Not sent: the person portrayed withdrew their consent.",
        )
        return
    provider = get_provider(job.provider)
    try:
        task_id = provider.submit(render_inputs(job))
    except Throttled as throttled:
        _wait_for_a_slot(job, throttled)
        return
    except base.ProviderError as error:
        _submit_failed(job, error)
        return
    if transition(
        job.pk,
        S.SUBMITTED,
        allowed_from=[S.SUBMITTING],
        actor=provider.label,
        message=f"The provider started task {task_id}.",
        provider_task_id=task_id,
        submitted_at=timezone.now(),
    ):
        schedule(job.pk, "poll_job", settings.POLL_FIRST_SECONDS)


def _hold_back(job_id: int, why: str) -> None:
    """A paused campaign's render waits in the queue for its resume (which sends it again);
    a canceled campaign's is canceled, its hold released."""
    if why == "canceled":
        transition(
            job_id,
            S.CANCELED,
            allowed_from=[S.QUEUED],
            actor="worker",
            message="Not sent: its campaign was canceled.",
        )


def _wait_for_a_slot(job: RenderJob, throttled: Throttled) -> None:
    """Nothing was sent, so this try counts neither as an attempt nor as a failure."""
    delay = throttled.retry_after or 1.0
    _requeue(
        job,
        get_provider(job.provider).label,
        f"{throttled.message} Next try in {duration_text(delay)}.",
        delay,
        submit_attempts=F("submit_attempts") - 1,
    )


def _requeue(job: RenderJob, actor: str, message: str, delay: float, **fields: Any) -> None:
    """Put the job being submitted back in the queue, to be sent again after `delay`."""
    if transition(
        job.pk, S.QUEUED, allowed_from=[S.SUBMITTING], actor=actor, message=message, **fields
    ):
        schedule(job.pk, "submit_job", delay)


def _submit_failed(job: RenderJob, error: base.ProviderError) -> None:
    label = get_provider(job.provider).label
    detail = {"code": error.code, "status": error.status, "detail": error.detail}
    if error.retryable and not error.safe_to_resubmit:
        # The provider may have started the render: wait for its callback instead of paying twice.
        grace = settings.SUBMIT_UNANSWERED_GRACE_SECONDS
        if transition(
            job.pk,
            S.SUBMITTED,
            allowed_from=[S.SUBMITTING],
            actor=label,
            message=f"{error.message} Waiting up to {duration_text(grace)} for the provider to "
            "report the render before sending it again.",
            submitted_at=timezone.now(),
            data=detail,
        ):
            schedule(job.pk, "poll_job", grace)
        return
    attempts = job.submit_attempts
    if error.retryable and attempts < settings.SUBMIT_MAX_ATTEMPTS:
        delay = retry_delay(error, attempts)
        _requeue(
            job, label, f"{error.message} Next try in {duration_text(delay)}.", delay, data=detail
        )
        return
    if error.retryable:
        plural = "s" if attempts != 1 else ""
        error = type(error)(f"{error.message} We gave up after {attempts} attempt{plural}.")
    following = routing.next_provider(job, error)
    if following is None:
        fail(job, error, label)
    else:
        _fall_back(job, following, error, label, detail)


def _fall_back(
    job: RenderJob, following: str, error: base.ProviderError, label: str, detail: dict[str, Any]
) -> None:
    """Send the job to the next provider of its team; the hold placed on request stays."""
    _requeue(
        job,
        label,
        f"{error.message} Moving the render to {PROVIDER_LABELS[following]}, next in the team's "
        "list of providers; its credit hold stays as it is.",
        0,
        data={**detail, "fallback_from": job.provider, "fallback_to": following},
        provider=following,
        submit_attempts=0,
    )


def retry_delay(error: base.ProviderError, attempt: int) -> float:
    """How long to wait before trying again after a retryable error: what the provider asked
    for (a 429's or a 503's Retry-After) where it said, else a backoff that doubles with each
    attempt, up to POLL_MAX_SECONDS."""
    if error.retry_after is not None:
        return error.retry_after
    return min(settings.POLL_MAX_SECONDS, 2.0 * 2 ** max(0, attempt - 1))


def render_inputs(job: RenderJob) -> base.RenderInputs:
    age = settings.INPUT_URL_MAX_AGE
    callback = reverse("provider-callback", args=[job.provider, job.pk, job.callback_token])
    inputs: dict[str, Any] = {
        "image_url": media_url(job.avatar.image, max_age=age, absolute=True),
        "resolution": job.resolution,
        "callback_url": f"{settings.PUBLIC_BASE_URL}{callback}",
        "idempotency_key": f"avatar-studio-{job.key.hex}",
        "video_prompt": job.video_prompt,
        "seed": job.seed,
    }
    clip, voice, revision = job.audio_clip, job.voice, job.script_revision
    if clip is not None:
        inputs["audio_url"] = media_url(clip.file, max_age=age, absolute=True)
    elif voice is not None and revision is not None:
        inputs["text"] = job.text
        inputs["voice"] = voice.provider_voice
        inputs["voice_language"] = catalog.LANGUAGES[revision.language].label
        inputs["voice_prompt"] = voice.style_prompt
    else:
        # Requests are validated to have one or the other: this is a job edited by hand.
        raise ValueError(f"Render #{job.pk} has neither an audio clip nor a script and voice.")
    return base.RenderInputs(**inputs)
