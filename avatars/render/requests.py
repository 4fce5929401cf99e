"""Asking for renders and people's actions on them: request, approve, reject, cancel, retry."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from avatars import catalog, credits, review, routing, scripts
from avatars.models import (
    AudioClip,
    Avatar,
    JobStatus,
    RenderJob,
    Script,
    ScriptRevision,
    Team,
    Voice,
)
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.outgoing import announce
from avatars.providers import get_provider
from avatars.render.states import S, actor_of, send, send_on_commit, transition
from avatars.render.waiting import cancel_at_provider

log = logging.getLogger("avatars.render")

FREE_TERMS = (
    f"{catalog.PROVIDER_LABELS[routing.DRAFT_PROVIDER]} renders it for $0.00, holds nothing "
    "and counts against no budget."
)


class RenderRequestError(Exception):
    """A render request that cannot be sent, with a message per form field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class RenderRequest:
    team: Team
    user: User | None
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


def validate(request: RenderRequest) -> dict[str, str]:
    """Everything wrong with a request, by field, in words for the person asking."""
    errors = _speech_problems(request)
    if problem := _avatar_problem(request):
        errors["avatar"] = problem
    if request.resolution not in catalog.RESOLUTIONS:
        errors["resolution"] = "Choose 720p or 1080p."
    name = routing.chosen_provider(request.team, request.provider, draft=request.draft)
    try:
        provider = get_provider(name)
    except KeyError:
        errors["provider"] = f"There is no provider called “{name}”."
    else:
        if not provider.configured:
            errors["provider"] = f"{provider.label} is not configured here."
    return errors


# How a refusal over consent ends; the studio's form links it to the avatar's page.
CONSENT_FIRST = "Record the person's consent first."


def avatar_unavailable(avatar: Avatar) -> str:
    """Why the avatar cannot be rendered ("Consent expired on 31 Jan 2025"), or ""."""
    if not avatar.has_valid_consent:
        return avatar.consent_summary()
    if avatar.archived:
        return "Archived"
    return ""


def _avatar_problem(request: RenderRequest) -> str:
    avatar = request.avatar
    if avatar.team_id != request.team.pk:
        return "Pick an avatar from your team's library."
    if avatar.consent_withdrawn_at is not None:
        return f"“{avatar}” cannot be rendered: the person withdrew their consent."
    if not avatar.has_valid_consent:
        why = avatar.consent_summary()
        return f"“{avatar}” cannot be rendered: {why[:1].lower()}{why[1:]}. {CONSENT_FIRST}"
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
    names = scripts.required_variables(
        request.revision.text if request.revision else request.script.text
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
        revision = request.revision or request.script.revisions.latest("number")
        text = fill_variables(revision.text, request.variables)
    provider = routing.chosen_provider(request.team, request.provider, draft=request.draft)
    try:
        with transaction.atomic():
            job = RenderJob.objects.create(
                team=request.team,
                # By id: the requester is any kind of user the auth backend gives.
                requested_by_id=request.user.pk if request.user is not None else None,
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
                # Being written: `_start` gives it its first status, as a transition.
                status=S.DRAFT,
                estimated_cost=estimate(request, text),
                is_draft=request.draft,
                draft=request.from_draft,
            )
            credits.reserve(job, request.user)
            _start(job, request.user)
    except credits.BudgetExceeded as refused:
        raise RenderRequestError({"budget": str(refused)}) from None
    return job


def _start(job: RenderJob, user: User | None) -> None:
    approval = credits.needs_approval(job)
    status = S.AWAITING_APPROVAL if approval else S.QUEUED
    estimate, threshold = _over_threshold(job)
    if approval:
        message = (
            f"Render requested; at about {estimate} it needs an Editor's approval (the team's "
            f"threshold is {threshold})."
        )
    elif credits.is_free(job.provider):
        message = f"Render requested as a free draft: {FREE_TERMS}"
    else:
        message = "Render requested."
    transition(
        job.pk, status, allowed_from=[S.DRAFT], actor=actor_of(user), user=user, message=message
    )
    job.status = status
    credits.record(
        credits.AuditEntry.Action.RENDER_REQUESTED,
        job.team,
        user,
        job=job,
        amount=job.estimated_cost,
        detail=f"Render #{job.pk} of {job.avatar} on {job.provider}",
    )
    announce.budget_moved(job.team_id)
    if approval:
        review.notify_approvers(job)
    else:
        send_on_commit("submit_job", job.pk)


def requested_message(job: RenderJob) -> str:
    """What to tell the person who just asked for a render."""
    if job.status == S.AWAITING_APPROVAL:
        estimate, threshold = _over_threshold(job)
        return (
            f"Render #{job.pk} waits for an Editor's approval: at about {estimate} it is over "
            f"{job.team}'s threshold of {threshold}."
        )
    if credits.is_free(job.provider):
        noun = "Draft" if job.is_draft else "Render"
        return f"{noun} #{job.pk} is a free draft: {FREE_TERMS}"
    return f"Render #{job.pk} is on its way."


def _over_threshold(job: RenderJob) -> tuple[str, str]:
    """A job's estimate and its team's approval threshold, in dollars (both are set on a job
    that needs approval)."""
    threshold = job.team.approval_threshold or Decimal(0)
    return credits.dollars(job.estimated_cost or Decimal(0)), credits.dollars(threshold)


def fill_variables(text: str, values: dict[str, str]) -> str:
    return scripts.fill(text, values)


def estimate(request: RenderRequest, text: str) -> Decimal:
    """What the render will cost, from the clip's measured or the script's estimated length."""
    clip = request.audio_clip
    seconds = credits.estimated_seconds(
        text=text,
        language=request.script.language if request.script else "en-US",
        audio_seconds=clip.duration_seconds if clip is not None else None,
    )
    provider = routing.chosen_provider(request.team, request.provider, draft=request.draft)
    return credits.price(provider, request.resolution, seconds)


def approve(job_id: int, user: User) -> bool:
    """An Editor lets a render over the team's threshold go ahead."""
    approved = _decide(
        job_id,
        user,
        S.QUEUED,
        "Approved.",
        credits.AuditEntry.Action.RENDER_APPROVED,
        f"Render #{job_id}",
        approved_by=user,
        approved_at=timezone.now(),
    )
    if approved:
        announce.render_decided(RenderJob.objects.get(pk=job_id), "approved", "request")
        send("submit_job", job_id)
    return approved


def reject(job_id: int, user: User, reason: str = "") -> bool:
    """An Editor turns a render down; its hold is released."""
    message = f"Not approved: {reason}" if reason else "Not approved."
    rejected = _decide(
        job_id, user, S.CANCELED, message, credits.AuditEntry.Action.RENDER_REJECTED, reason
    )
    if rejected:
        announce.render_decided(RenderJob.objects.get(pk=job_id), "rejected", "request", reason)
    return rejected


def _decide(
    job_id: int,
    user: User,
    to: JobStatus,
    message: str,
    action: str,
    detail: str,
    **fields: Any,
) -> bool:
    """An Editor's decision on a render awaiting approval, in its timeline and the audit log."""
    if not transition(
        job_id,
        to,
        allowed_from=[S.AWAITING_APPROVAL],
        actor=actor_of(user),
        user=user,
        message=message,
        **fields,
    ):
        return False
    job = RenderJob.objects.select_related("team").get(pk=job_id)
    credits.record(action, job.team, user, job=job, amount=job.estimated_cost, detail=detail)
    return True


def cancel(job_id: int, user: User | None) -> bool:
    job = RenderJob.objects.get(pk=job_id)
    if not transition(
        job_id,
        S.CANCELED,
        allowed_from=ACTIVE_STATUSES,
        actor=actor_of(user),
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
    cancel_at_provider(job)
    return True


def request_like(job: RenderJob, user: User | None, **changes: Any) -> RenderRequest:
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


def retry(job: RenderJob, user: User | None) -> RenderJob:
    """Render a failed or canceled job again, as a new version of it."""
    return request_render(request_like(job, user), parent=job)
