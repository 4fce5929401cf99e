"""The render job lifecycle: the only code that changes RenderJob.status.

Every change is a conditional update under a row lock and writes a JobEvent, so a
redelivered message, a duplicate callback or a poller racing a callback can never submit
twice, store twice or move a job backwards. Actors call the step functions here with a
job id; each step re-reads the job and does nothing when the job has moved on.
"""

from __future__ import annotations

import datetime
import errno
import logging
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from avatars import captions, catalog, credits, fetch, review, routing, scripts, video
from avatars.media_urls import media_url
from avatars.models import (
    AudioClip,
    Avatar,
    JobEvent,
    JobStatus,
    RenderJob,
    Script,
    ScriptRevision,
    Team,
    Voice,
)
from avatars.models.jobs import ACTIVE_STATUSES, FINAL_STATUSES
from avatars.providers import LABELS, base, get_provider
from avatars.providers.ratelimit import Throttled

log = logging.getLogger(__name__)

S = JobStatus
WAITING_FOR_PROVIDER = (S.SUBMITTED, S.PROCESSING)
SCRATCH_IDLE_SECONDS = 600


class RenderRequestError(Exception):
    """A render request that cannot be sent, with a message per form field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class RenderRequest:
    team: Team
    user: AbstractBaseUser | None
    avatar: Avatar
    script: Script | None = None
    voice: Voice | None = None
    audio_clip: AudioClip | None = None
    variables: dict[str, str] = field(default_factory=dict)
    resolution: str = "720p"
    seed: int | None = None
    video_prompt: str = ""
    provider: str = ""
    # A free sandbox preview rather than a paid render.
    draft: bool = False
    # Render exactly this revision of the script, not its latest (sending a draft on).
    revision: ScriptRevision | None = None
    # The preview this render is sent on from.
    from_draft: RenderJob | None = None


# --- requesting -------------------------------------------------------------------------------


def validate(request: RenderRequest) -> dict[str, str]:
    """Everything wrong with a request, by field, in words for the person asking."""
    errors = _speech_problems(request)
    if problem := _avatar_problem(request):
        errors["avatar"] = problem
    if request.resolution not in catalog.RESOLUTIONS:
        errors["resolution"] = "Choose 720p or 1080p."
    name = routing.chosen_provider(request.team, request.provider)
    try:
        provider = get_provider(name)
    except KeyError:
        errors["provider"] = f"There is no provider called “{name}”."
    else:
        if not provider.configured:
            errors["provider"] = f"{provider.label} is not configured here."
    return errors


def _avatar_problem(request: RenderRequest) -> str:
    avatar = request.avatar
    if avatar.team_id != request.team.pk:
        return "Pick an avatar from your team's library."
    if not avatar.has_valid_consent:
        status = avatar.consent_status().label.lower()
        return f"“{avatar}” cannot be rendered: {status}. Record the person's consent first."
    if avatar.archived:
        return f"“{avatar}” is archived. Unarchive it to render with it."
    return ""


def _speech_problems(request: RenderRequest) -> dict[str, str]:
    team_id = request.team.pk
    if request.audio_clip is not None:
        if request.script is not None or request.voice is not None:
            return {"audio_clip": "Choose a script with a voice, or an audio clip, not both."}
        if request.audio_clip.team_id != team_id:
            return {"audio_clip": "Pick an audio clip from your team's library."}
        return {}
    if request.script is None:
        return {"script": "Choose a script (with a voice) or an audio clip."}
    errors = {}
    if request.script.team_id != team_id:
        errors["script"] = "Pick a script from your team's library."
    names = (
        scripts.variables(request.revision.text) if request.revision else request.script.variables
    )
    missing = [n for n in names if not request.variables.get(n, "").strip()]
    if missing:
        errors["variables"] = "Fill in " + ", ".join(f"{{{{{n}}}}}" for n in missing) + "."
    if request.voice is None:
        errors["voice"] = "Choose a voice to speak the script."
    elif request.voice.team_id != team_id:
        errors["voice"] = "Pick a voice from your team's library."
    return errors


def request_render(request: RenderRequest, *, parent: RenderJob | None = None) -> RenderJob:
    """Validate, price and hold a render, then queue it (or wait for an Editor's approval).

    The submit message goes out only once the job and its hold are committed. Raises
    RenderRequestError, with a "budget" error when the team's budget cannot cover it.
    """
    errors = validate(request)
    if errors:
        raise RenderRequestError(errors)
    revision, text = None, ""
    if request.script is not None:
        revision = request.revision or request.script.revisions.order_by("-number").first()
        text = fill_variables(revision.text, request.variables)
    provider = routing.chosen_provider(request.team, request.provider)
    free = request.draft
    try:
        with transaction.atomic():
            job = RenderJob.objects.create(
                team=request.team,
                requested_by=request.user,
                parent=parent,
                root=(parent.root or parent) if parent else None,
                avatar=request.avatar,
                script_revision=revision,
                voice=request.voice if revision else None,
                audio_clip=request.audio_clip,
                variables={
                    k: request.variables[k]
                    for k in (scripts.variables(revision.text) if revision else [])
                    if k in request.variables
                },
                text=text,
                resolution=request.resolution,
                seed=request.seed,
                video_prompt=request.video_prompt,
                provider=provider,
                estimated_cost=Decimal(0) if free else estimate(request, text),
                is_draft=free,
                draft=request.from_draft,
            )
            if not free:
                credits.reserve(job, request.user)
            _start(job, request.user)
    except credits.BudgetExceeded as refused:
        raise RenderRequestError({"budget": str(refused)}) from None
    return job


def _start(job: RenderJob, user: AbstractBaseUser | None) -> None:
    approval = credits.needs_approval(job)
    status = S.AWAITING_APPROVAL if approval else S.QUEUED
    RenderJob.objects.filter(pk=job.pk).update(status=status)
    job.status = status
    message = (
        f"Render requested; at about {credits.dollars(job.estimated_cost)} it needs an Editor's "
        f"approval (the team's threshold is {credits.dollars(job.team.approval_threshold)})."
        if approval
        else "Render requested."
    )
    _event(job.pk, JobEvent.Kind.STATUS, _actor(user), message, user=user, to_status=status)
    credits.record(
        credits.AuditEntry.Action.RENDER_REQUESTED,
        job.team,
        user,
        job=job,
        amount=job.estimated_cost,
        detail=f"Render #{job.pk} of {job.avatar} on {job.provider}",
    )
    if approval:
        review.notify_approvers(job)
    else:
        _send_on_commit("submit_job", job.pk)


def requested_message(job: RenderJob) -> str:
    """What to tell the person who just asked for a render."""
    if job.status == S.AWAITING_APPROVAL:
        return (
            f"Render #{job.pk} waits for an Editor's approval: at about "
            f"{credits.dollars(job.estimated_cost)} it is over {job.team}'s threshold of "
            f"{credits.dollars(job.team.approval_threshold)}."
        )
    if job.is_draft:
        return f"Draft #{job.pk} is rendering in the sandbox, free of charge."
    return f"Render #{job.pk} is on its way."


def fill_variables(text: str, values: dict[str, str]) -> str:
    return scripts.VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)).strip(), text)


def estimate(request: RenderRequest, text: str) -> Decimal:
    """What the render will cost, from the clip's measured or the script's estimated length."""
    clip = request.audio_clip
    seconds = credits.estimated_seconds(
        text=text,
        language=request.script.language if request.script else "en-US",
        audio_seconds=clip.duration_seconds if clip is not None else None,
    )
    provider = routing.chosen_provider(request.team, request.provider)
    return credits.price(provider, request.resolution, seconds)


def approve(job_id: int, user: AbstractBaseUser) -> bool:
    """An Editor lets a render over the team's threshold go ahead."""
    if not transition(
        job_id,
        S.QUEUED,
        allowed_from=[S.AWAITING_APPROVAL],
        actor=_actor(user),
        user=user,
        message="Approved.",
        approved_by=user,
        approved_at=timezone.now(),
    ):
        return False
    job = RenderJob.objects.select_related("team").get(pk=job_id)
    credits.record(
        credits.AuditEntry.Action.RENDER_APPROVED,
        job.team,
        user,
        job=job,
        amount=job.estimated_cost,
        detail=f"Render #{job.pk}",
    )
    _send("submit_job", job_id)
    return True


def reject(job_id: int, user: AbstractBaseUser, reason: str = "") -> bool:
    """An Editor turns a render down; its hold is released."""
    message = f"Not approved: {reason}" if reason else "Not approved."
    if not transition(
        job_id,
        S.CANCELED,
        allowed_from=[S.AWAITING_APPROVAL],
        actor=_actor(user),
        user=user,
        message=message,
    ):
        return False
    job = RenderJob.objects.select_related("team").get(pk=job_id)
    credits.record(
        credits.AuditEntry.Action.RENDER_REJECTED,
        job.team,
        user,
        job=job,
        amount=job.estimated_cost,
        detail=reason,
    )
    return True


# --- the state machine ------------------------------------------------------------------------


def transition(
    job_id: int,
    to: JobStatus,
    *,
    allowed_from: Iterable[JobStatus],
    actor: str,
    message: str = "",
    user: AbstractBaseUser | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move a job to `to` if it is in one of `allowed_from`; record why. False if it was not."""
    allowed = [str(status) for status in allowed_from]
    now = timezone.now()
    with transaction.atomic():
        current = (
            RenderJob.objects.select_for_update()
            .filter(pk=job_id)
            .values_list("status", flat=True)
            .first()
        )
        if current not in allowed:
            return False
        if to in (S.SUCCEEDED, S.FAILED, S.CANCELED):
            fields.setdefault("finished_at", now)
        updated = RenderJob.objects.filter(pk=job_id, status=current).update(
            status=to, status_changed_at=now, **fields
        )
        if not updated:
            return False
        if to in FINAL_STATUSES:
            credits.settle(job_id, to)
            review.notify_finished(job_id, to)
        _event(
            job_id,
            JobEvent.Kind.STATUS,
            actor,
            message,
            user=user,
            data=data,
            from_status=current,
            to_status=to,
        )
    log.info("job %s: %s -> %s (%s)", job_id, current, to, message, extra={"job_id": job_id})
    return True


def _event(job_id: int, kind: str, actor: str, message: str = "", **fields: Any) -> JobEvent:
    fields["data"] = fields.get("data") or {}
    return JobEvent.objects.create(job_id=job_id, kind=kind, actor=actor, message=message, **fields)


def note(job_id: int, actor: str, message: str, **data: Any) -> None:
    _event(job_id, JobEvent.Kind.NOTE, actor, message, data=data)


def _actor(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "system"


def _fail(job: RenderJob, error: base.ProviderError | str, actor: str, code: str = "") -> bool:
    message = error.message if isinstance(error, base.ProviderError) else error
    code = code or (error.code if isinstance(error, base.ProviderError) else "failed")
    return transition(
        job.pk,
        S.FAILED,
        allowed_from=ACTIVE_STATUSES,
        actor=actor,
        message=message,
        error_code=code,
        error_message=message,
    )


# --- submitting -------------------------------------------------------------------------------


def submit(job_id: int) -> None:
    """Hand a queued job to its provider, exactly once."""
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
        _schedule(job.pk, "poll_job", settings.POLL_FIRST_SECONDS)


def _wait_for_a_slot(job: RenderJob, throttled: Throttled) -> None:
    """Nothing was sent, so this try counts neither as an attempt nor as a failure."""
    delay = throttled.retry_after or 1.0
    if transition(
        job.pk,
        S.QUEUED,
        allowed_from=[S.SUBMITTING],
        actor=get_provider(job.provider).label,
        message=f"{throttled.message} Next try in {_duration(delay)}.",
        submit_attempts=F("submit_attempts") - 1,
    ):
        _schedule(job.pk, "submit_job", delay)


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
            message=f"{error.message} Waiting up to {_duration(grace)} for the provider to report "
            "the render before sending it again.",
            submitted_at=timezone.now(),
            data=detail,
        ):
            _schedule(job.pk, "poll_job", grace)
        return
    attempts = job.submit_attempts
    if error.retryable and attempts < settings.SUBMIT_MAX_ATTEMPTS:
        delay = retry_delay(error, attempts)
        if transition(
            job.pk,
            S.QUEUED,
            allowed_from=[S.SUBMITTING],
            actor=label,
            message=f"{error.message} Next try in {_duration(delay)}.",
            data=detail,
        ):
            _schedule(job.pk, "submit_job", delay)
        return
    if error.retryable:
        plural = "s" if attempts != 1 else ""
        error = type(error)(f"{error.message} We gave up after {attempts} attempt{plural}.")
    following = routing.next_provider(job, error)
    if following is None:
        _fail(job, error, label)
    else:
        _fall_back(job, following, error, label, detail)


def _fall_back(
    job: RenderJob, following: str, error: base.ProviderError, label: str, detail: dict[str, Any]
) -> None:
    """Send the job to the next provider of its team; the hold placed on request stays."""
    if transition(
        job.pk,
        S.QUEUED,
        allowed_from=[S.SUBMITTING],
        actor=label,
        message=f"{error.message} Moving the render to {LABELS[following]}, next in the team's "
        "list of providers; its credit hold stays as it is.",
        data={**detail, "fallback_from": job.provider, "fallback_to": following},
        provider=following,
        submit_attempts=0,
    ):
        _schedule(job.pk, "submit_job", 0)


def retry_delay(error: base.ProviderError, attempt: int) -> float:
    if isinstance(error, base.RateLimited) and error.retry_after is not None:
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
    if job.audio_clip_id:
        inputs["audio_url"] = media_url(job.audio_clip.file, max_age=age, absolute=True)
    else:
        inputs["text"] = job.text
        inputs["voice"] = job.voice.provider_voice
        inputs["voice_language"] = catalog.LANGUAGES[job.script_revision.language].label
        inputs["voice_prompt"] = job.voice.style_prompt
    return base.RenderInputs(**inputs)


# --- waiting for the provider -----------------------------------------------------------------


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
            _schedule(job.pk, "poll_job", delay)
        else:
            _send("poll_job", job.pk, delay=delay, reschedule=False)
        return
    except base.ProviderError as error:
        if error.retryable and reschedule and not _past_deadline(job):
            note(job.pk, provider.label, f"Could not ask for the status: {error.message}")
            _schedule(job.pk, "poll_job", retry_delay(error, job.poll_count + 1))
        elif not error.retryable or _past_deadline(job):
            _fail(job, error, provider.label)
        return
    apply_state(job, state, actor=provider.label)
    if reschedule and not state.status.is_final:
        if _past_deadline(job):
            limit = _duration(settings.RENDER_DEADLINE_SECONDS)
            if _fail(
                job,
                f"The provider did not finish the render within {limit}.",
                "poller",
                code="deadline",
            ):
                _cancel_at_provider(job)
            return
        delay = min(settings.POLL_MAX_SECONDS, settings.POLL_FIRST_SECONDS * 1.5**job.poll_count)
        _schedule(job.pk, "poll_job", delay)


def _unanswered_submit(job: RenderJob, reschedule: bool) -> None:
    waited = (timezone.now() - (job.submitted_at or job.status_changed_at)).total_seconds()
    if waited < settings.SUBMIT_UNANSWERED_GRACE_SECONDS:
        if reschedule:
            _schedule(job.pk, "poll_job", settings.SUBMIT_UNANSWERED_GRACE_SECONDS - waited)
        return
    if transition(
        job.pk,
        S.QUEUED,
        allowed_from=WAITING_FOR_PROVIDER,
        actor="poller",
        message="The provider never reported the unanswered render; sending it again.",
        provider_task_id="",
    ):
        _schedule(job.pk, "submit_job", 0)


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
            cost=state.cost,
            duration_seconds=state.duration_seconds,
        ):
            for said in state.notes:
                note(job.pk, actor, said)
            _send("store_job", job.pk)
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
    _event(
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
    _send_on_commit("poll_job", job.pk, reschedule=False)


# --- storing the result -----------------------------------------------------------------------


def store(job_id: int) -> None:
    """Copy the provider's video into our storage, check it and finish the job."""
    job = RenderJob.objects.filter(pk=job_id, status=S.STORING).first()
    if job is None:
        return
    with tempfile.TemporaryDirectory(prefix=f"render-{job_id}-", dir=scratch_root()) as scratch:
        try:
            downloaded = fetch.download(
                job.result_url,
                Path(scratch),
                max_bytes=settings.RESULT_MAX_BYTES,
                allow_private=settings.FETCH_ALLOW_PRIVATE,
            )
            info = video.probe_video(downloaded.path)
            poster = video.poster_jpeg(downloaded.path)
        except fetch.FetchFailed as error:
            _download_failed(job, error)
            return
        except fetch.FetchGone as error:
            _link_expired(job, error)
            return
        except fetch.FetchRefused as error:
            _fail(job, f"The provider's video link was refused: {error}", "storage", "refused")
            return
        except video.NotAVideo as error:
            message = f"The provider sent back something that is not a video: {error}"
            _fail(job, message, "storage", "not_a_video")
            return
        except OSError as error:
            _not_stored(job, error)
            return
        try:
            _finish(job, downloaded.path, info, poster)
        except OSError as error:
            _not_stored(job, error)
            return
    # Parts of an earlier try that was killed while saving.
    _remove_unreferenced(job)


def _not_stored(job: RenderJob, error: OSError) -> None:
    """Our own storage refused the video (full, most likely): keep no part of it."""
    _remove_unreferenced(job)
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    reason = "our video storage is full" if full else f"our video storage failed ({error})"
    message = (
        f"The finished video could not be kept: {reason}. An administrator needs to free or "
        "fix the storage; then render it again. This render was not charged."
    )
    _fail(job, message, "storage", "storage_full" if full else "storage_error")


def _remove_unreferenced(job: RenderJob) -> None:
    """Delete the files in the job's result folder that its row does not point at."""
    file_fields = [
        f.name for f in RenderJob._meta.concrete_fields if isinstance(f, models.FileField)
    ]
    keep = set(RenderJob.objects.filter(pk=job.pk).values_list(*file_fields).first() or ())
    storage = job.video.storage
    folder = str(PurePosixPath(job.video.field.generate_filename(job, "x")).parent)
    try:
        names = storage.listdir(folder)[1]
    except FileNotFoundError:
        return
    for name in names:
        if f"{folder}/{name}" not in keep:
            storage.delete(f"{folder}/{name}")


def scratch_root() -> Path:
    root = Path(settings.RESULT_SCRATCH_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return root


def sweep_scratch(now: datetime.datetime) -> int:
    """Remove downloads that a killed worker left behind: nothing has written to them for
    longer than any live download may pause (its read timeout)."""
    idle_since = now.timestamp() - SCRATCH_IDLE_SECONDS
    removed = 0
    for folder in scratch_root().glob("render-*"):
        touched = [p.stat().st_mtime for p in (folder, *folder.rglob("*"))]
        if max(touched) < idle_since:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _download_failed(job: RenderJob, error: fetch.FetchFailed) -> None:
    RenderJob.objects.filter(pk=job.pk).update(store_attempts=F("store_attempts") + 1)
    attempts = job.store_attempts + 1
    if attempts >= settings.STORE_MAX_ATTEMPTS:
        message = f"The video could not be downloaded from the provider: {error}"
        _fail(job, message, "storage", "download_failed")
        return
    delay = error.retry_after or min(60.0, 5.0 * 2**attempts)
    note(
        job.pk, "storage", f"Could not download the video yet ({error}); next try in {delay:.0f} s."
    )
    _send("store_job", job.pk, delay=delay)


def _link_expired(job: RenderJob, error: fetch.FetchGone) -> None:
    """Ask the provider once for a fresh link to a finished video whose link has expired."""
    expired = "The provider's link to the video expired before we could copy it"
    if job.events.filter(kind=JobEvent.Kind.NOTE, data__fresh_link=True).exists():
        message = f"{expired}, and so did the fresh link it gave. Render it again."
        _fail(job, message, "storage", "expired")
        return
    try:
        state = get_provider(job.provider).fetch(job.provider_task_id)
    except Throttled as throttled:
        _send("store_job", job.pk, delay=throttled.retry_after)
        return
    except base.ProviderError as problem:
        if problem.retryable:
            _download_failed(job, fetch.FetchFailed(f"{error} {problem.message}"))
        else:
            message = f"{expired}, and asking for a fresh link failed: {problem.message}"
            _fail(job, message, "storage", "expired")
        return
    fresh = state.video_url if state.status == base.TaskStatus.SUCCEEDED else ""
    if not fresh or fresh == job.result_url:
        message = f"{expired}, and the provider has no fresh link to it. Render it again."
        _fail(job, message, "storage", "expired")
    elif RenderJob.objects.filter(pk=job.pk, status=S.STORING).update(result_url=fresh):
        note(job.pk, "storage", f"{error} Copying from a fresh link.", fresh_link=True)
        _send("store_job", job.pk)


def _finish(job: RenderJob, path: Path, info: video.VideoInfo, poster: bytes) -> None:
    with path.open("rb") as handle:
        job.video.save("video.mp4", File(handle), save=False)
    job.poster.save("poster.jpg", ContentFile(poster), save=False)
    try:
        subtitles = captions.for_job(job, info.duration)
    except Exception:
        # Captions are a courtesy: a fault in them must never lose a video that was paid for.
        log.exception("could not make captions for job %s", job.pk)
        subtitles = ""
    if subtitles:
        job.captions.save("captions.vtt", ContentFile(subtitles.encode()), save=False)
    if job.is_draft:
        cost = Decimal(0)
    elif job.cost is not None:
        cost = job.cost
    else:
        cost = credits.price(job.provider, job.resolution, info.duration)
    done = transition(
        job.pk,
        S.SUCCEEDED,
        allowed_from=[S.STORING],
        actor="storage",
        message=f"Stored a {info.duration:.1f} s {info.width}×{info.height} video.",
        video=job.video.name,
        poster=job.poster.name,
        captions=job.captions.name,
        duration_seconds=info.duration,
        width=info.width,
        height=info.height,
        cost=cost,
    )
    if not done:
        # Another worker finished first or the job was canceled meanwhile: keep nothing.
        for file in (job.video, job.poster, job.captions):
            if file:
                file.storage.delete(file.name)


# --- people's actions and the sweep -----------------------------------------------------------


def cancel(job_id: int, user: AbstractBaseUser | None) -> bool:
    job = RenderJob.objects.get(pk=job_id)
    if not transition(
        job_id,
        S.CANCELED,
        allowed_from=ACTIVE_STATUSES,
        actor=_actor(user),
        user=user,
        message="Canceled.",
    ):
        return False
    credits.record(
        credits.AuditEntry.Action.RENDER_CANCELED,
        job.team,
        user,
        job=job,
        detail=f"Render #{job.pk}",
    )
    _cancel_at_provider(job)
    return True


def _cancel_at_provider(job: RenderJob) -> None:
    if not job.provider_task_id:
        return
    try:
        get_provider(job.provider).cancel(job.provider_task_id)
    except base.ProviderError as error:
        note(job.pk, job.provider, f"The provider could not be told to stop: {error.message}")


def request_like(job: RenderJob, user: AbstractBaseUser | None, **changes: Any) -> RenderRequest:
    """The request that made `job`, asked again by `user`, with `changes`."""
    request = RenderRequest(
        team=job.team,
        user=user,
        avatar=job.avatar,
        script=job.script_revision.script if job.script_revision else None,
        voice=job.voice,
        audio_clip=job.audio_clip,
        variables=job.variables,
        resolution=job.resolution,
        seed=job.seed,
        video_prompt=job.video_prompt,
        provider=job.provider,
    )
    return replace(request, **changes)


def retry(job: RenderJob, user: AbstractBaseUser | None) -> RenderJob:
    """Render a failed or canceled job again, as a new version of it."""
    return request_render(request_like(job, user), parent=job)


def reconcile(now: datetime.datetime | None = None) -> dict[str, int]:
    """Re-drive every job whose state has not advanced in time; safe to run at any moment."""
    now = now or timezone.now()
    late = now - datetime.timedelta(seconds=settings.POLL_MAX_SECONDS * 2)
    stale = {
        # A submit waiting out a Retry-After is not stuck until it is overdue.
        S.QUEUED: Q(next_step_at__lt=late)
        | Q(next_step_at=None, status_changed_at__lt=now - datetime.timedelta(seconds=60)),
        S.SUBMITTING: Q(status_changed_at__lt=now - datetime.timedelta(seconds=300)),
        # A poll that should have run long ago was lost with its broker or worker.
        S.SUBMITTED: Q(next_step_at__lt=late) | Q(next_step_at=None, status_changed_at__lt=late),
        S.PROCESSING: Q(next_step_at__lt=late) | Q(next_step_at=None, status_changed_at__lt=late),
        S.STORING: Q(status_changed_at__lt=now - datetime.timedelta(seconds=1800)),
    }
    counts: dict[str, int] = {}
    for status, is_stale in stale.items():
        ids = list(
            RenderJob.objects.filter(is_stale, status=status).values_list("pk", flat=True)[:1000]
        )
        for job_id in ids:
            _redrive(job_id, status)
        counts[status] = len(ids)
    sweep_scratch(now)
    return counts


def redrive(job_id: int) -> None:
    """Push one job along now, whatever its age (the "check now" button)."""
    status = RenderJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    if status is not None:
        _redrive(job_id, JobStatus(status))


def _redrive(job_id: int, status: JobStatus) -> None:
    if status == S.QUEUED:
        _schedule(job_id, "submit_job", 0)
    elif status == S.SUBMITTING:
        # The worker died during the provider call: we cannot know whether it arrived.
        if transition(
            job_id,
            S.SUBMITTED,
            allowed_from=[S.SUBMITTING],
            actor="reconcile",
            message="The submitting worker stopped; waiting for the provider to report "
            "the render before sending it again.",
            submitted_at=timezone.now(),
            data={"code": base.NoAnswer.code},
        ):
            _schedule(job_id, "poll_job", settings.SUBMIT_UNANSWERED_GRACE_SECONDS)
    elif status in WAITING_FOR_PROVIDER:
        _schedule(job_id, "poll_job", 0)
    elif status == S.STORING:
        RenderJob.objects.filter(pk=job_id).update(status_changed_at=timezone.now())
        _send("store_job", job_id)


# --- messages ---------------------------------------------------------------------------------


def _send(actor_name: str, job_id: int, delay: float | None = None, **kwargs: Any) -> None:
    from avatars import tasks

    actor = getattr(tasks, actor_name)
    options = {"delay": int(delay * 1000)} if delay else {}
    actor.send_with_options(args=(job_id,), kwargs=kwargs, **options)


def _schedule(job_id: int, actor_name: str, delay: float) -> None:
    """Send the job's next step after `delay`, noting when it is due so the sweep can tell
    a lost message from one that is merely waiting."""
    next_at = timezone.now() + datetime.timedelta(seconds=delay)
    RenderJob.objects.filter(pk=job_id).update(next_step_at=next_at)
    _send(actor_name, job_id, delay=delay)


def _duration(seconds: float) -> str:
    if seconds < 90:
        whole = round(seconds)
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _send_on_commit(actor_name: str, job_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: _send(actor_name, job_id, **kwargs))
