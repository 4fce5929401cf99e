"""Waiting for the provider: polling, callbacks and the states they confirm."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from avatars import credits
from avatars.models import JobEvent, RenderJob
from avatars.providers import base, get_provider
from avatars.providers.ratelimit import Throttled
from avatars.render import storing
from avatars.render.states import (
    WAITING_FOR_PROVIDER,
    S,
    duration_text,
    event,
    fail,
    note,
    schedule,
    send,
    send_on_commit,
    transition,
)
from avatars.render.submitting import retry_delay


def poll(job_id: int, reschedule: bool = True) -> None:
    """Ask the provider how a job is doing and act on the answer."""
    job = RenderJob.objects.filter(pk=job_id, status__in=WAITING_FOR_PROVIDER).first()
    if job is None:
        return
    RenderJob.objects.filter(pk=job_id).update(poll_count=F("poll_count") + 1, next_step_at=None)
    if not job.provider_task_id:
        _unanswered_submit(job, reschedule)
        return
    provider = get_provider(job.provider)
    try:
        state = provider.fetch(job.provider_task_id)
    except Throttled as throttled:
        delay = throttled.retry_after or 1.0
        if reschedule:
            schedule(job.pk, "poll_job", delay)
        else:
            send("poll_job", job.pk, delay=delay, reschedule=False)
        return
    except base.ProviderError as error:
        if error.retryable and reschedule and not _past_deadline(job):
            note(job.pk, provider.label, f"Could not ask for the status: {error.message}")
            schedule(job.pk, "poll_job", retry_delay(error, job.poll_count + 1))
        elif not error.retryable or _past_deadline(job):
            fail(job, error, provider.label)
        return
    apply_state(job, state, actor=provider.label)
    if reschedule and not state.status.is_final:
        if _past_deadline(job):
            limit = duration_text(settings.RENDER_DEADLINE_SECONDS)
            if fail(
                job,
                f"The provider did not finish the render within {limit}.",
                "poller",
                code="deadline",
            ):
                cancel_at_provider(job)
            return
        delay = min(settings.POLL_MAX_SECONDS, settings.POLL_FIRST_SECONDS * 1.5**job.poll_count)
        schedule(job.pk, "poll_job", delay)


def _unanswered_submit(job: RenderJob, reschedule: bool) -> None:
    waited = (timezone.now() - (job.submitted_at or job.status_changed_at)).total_seconds()
    if waited < settings.SUBMIT_UNANSWERED_GRACE_SECONDS:
        if reschedule:
            schedule(job.pk, "poll_job", settings.SUBMIT_UNANSWERED_GRACE_SECONDS - waited)
        return
    if transition(
        job.pk,
        S.QUEUED,
        allowed_from=WAITING_FOR_PROVIDER,
        actor="poller",
        message="The provider never reported the unanswered render; sending it again.",
        provider_task_id="",
    ):
        schedule(job.pk, "submit_job", 0)


def _past_deadline(job: RenderJob) -> bool:
    started = job.submitted_at or job.status_changed_at
    return timezone.now() - started > datetime.timedelta(seconds=settings.RENDER_DEADLINE_SECONDS)


def apply_state(job: RenderJob, state: base.TaskState, actor: str) -> None:
    """Move the job as far as a confirmed provider state allows; never backwards."""
    if state.status == base.TaskStatus.RUNNING:
        transition(
            job.pk,
            S.PROCESSING,
            allowed_from=[S.SUBMITTED],
            actor=actor,
            message="The provider is rendering.",
        )
    elif state.status == base.TaskStatus.SUCCEEDED:
        if transition(
            job.pk,
            S.STORING,
            allowed_from=WAITING_FOR_PROVIDER,
            actor=actor,
            message="The provider finished; copying the video into our storage.",
            result_url=state.video_url,
            cost=credits.reported_cost(job.provider, state.cost),
            duration_seconds=state.duration_seconds,
            spoken_words=[list(word) for word in state.words],
        ):
            for said in state.notes:
                note(job.pk, actor, said)
            if state.link_expired():
                # A dead link is not downloaded: ask for a fresh one, as for one found dead.
                storing.renew_link(job, "The provider's link to the video has expired.")
            else:
                send("store_job", job.pk)
    elif state.status == base.TaskStatus.FAILED:
        message = state.error_message or "The provider could not render this video."
        transition(
            job.pk,
            S.FAILED,
            allowed_from=WAITING_FOR_PROVIDER,
            actor=actor,
            message=message,
            error_code=state.error_code or "failed",
            error_message=message,
        )
    elif state.status == base.TaskStatus.CANCELED:
        transition(
            job.pk,
            S.CANCELED,
            allowed_from=WAITING_FOR_PROVIDER,
            actor=actor,
            message="The provider canceled the render.",
        )


def record_callback(
    job: RenderJob, state: base.TaskState | None, body: bytes, problem: str = ""
) -> None:
    """Keep every delivery in the timeline, believed or not."""
    data = {
        "bytes": len(body),
        "task_id": state.task_id if state else "",
        "status": str(state.status) if state else "",
    }
    if state and state.delivery_id:
        data["delivery_id"] = state.delivery_id
    event(
        job.pk,
        JobEvent.Kind.CALLBACK,
        f"{job.provider} callback",
        problem or f"The provider reports “{data['status']}”.",
        data=data,
    )


def on_callback(job: RenderJob, state: base.TaskState) -> None:
    """A delivery is only a hint: confirm it with the provider before acting on it."""
    if job.is_final:
        return
    if not job.provider_task_id:
        adopted = RenderJob.objects.filter(pk=job.pk, provider_task_id="").update(
            provider_task_id=state.task_id
        )
        if adopted:
            note(job.pk, "callback", f"The unanswered submit did start task {state.task_id}.")
    elif state.task_id != job.provider_task_id:
        note(job.pk, "callback", f"Ignored a callback about task {state.task_id}, not ours.")
        return
    send_on_commit("poll_job", job.pk, reschedule=False)


def cancel_at_provider(job: RenderJob) -> None:
    if not job.provider_task_id:
        return
    try:
        get_provider(job.provider).cancel(job.provider_task_id)
    except base.ProviderError as error:
        note(job.pk, job.provider, f"The provider could not be told to stop: {error.message}")
