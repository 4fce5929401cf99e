"""The state machine: every status change of a render job, its timeline and its messages.

What the other render modules share, and nothing else: `transition` (the only way a status
changes), the timeline (`event`, `note`), failing a job (`fail`), the messages to the workers
(`send`, `send_on_commit`, `schedule`) and how a wait reads (`duration_text`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from avatars import credits, review
from avatars.campaigns import outcomes as campaign_outcomes
from avatars.models import JobEvent, JobStatus, RenderJob
from avatars.models.jobs import ACTIVE_STATUSES, FINAL_STATUSES
from avatars.outgoing import announce
from avatars.providers import base

log = logging.getLogger("avatars.render")


S = JobStatus
WAITING_FOR_PROVIDER = (S.SUBMITTED, S.PROCESSING)


def transition(
    job_id: int,
    to: JobStatus,
    *,
    allowed_from: Iterable[JobStatus],
    actor: str,
    message: str = "",
    user: User | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move a job to `to` if it is in one of `allowed_from`; record why. False if it was not.

    A job is created as a DRAFT inside the transaction that requests it, so that its first
    status (queued, or awaiting approval) is a transition like every other; nobody outside
    that transaction ever sees a DRAFT.
    """
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
            campaign_outcomes.after_render(job_id, to)
            announce.render_finished(job_id, to)
        event(
            job_id,
            JobEvent.Kind.STATUS,
            actor,
            message,
            user=user,
            data=data,
            # A job being written had no status yet: its first event comes from none.
            from_status="" if current == S.DRAFT else current,
            to_status=to,
        )
    log.info("job %s: %s -> %s (%s)", job_id, current, to, message, extra={"job_id": job_id})
    return True


def event(job_id: int, kind: str, actor: str, message: str = "", **fields: Any) -> JobEvent:
    """One entry in the job's timeline."""
    fields["data"] = fields.get("data") or {}
    return JobEvent.objects.create(job_id=job_id, kind=kind, actor=actor, message=message, **fields)


def note(job_id: int, actor: str, message: str, **data: Any) -> None:
    event(job_id, JobEvent.Kind.NOTE, actor, message, data=data)


def actor_of(user: User | None) -> str:
    """How the timeline names the person who acted, or the system."""
    return user.get_username() if user is not None else "system"


def fail(job: RenderJob, error: base.ProviderError | str, actor: str, code: str = "") -> bool:
    """Fail an active job with a message for people (a provider's error, or words)."""
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


def send(actor_name: str, job_id: int, delay: float | None = None, **kwargs: Any) -> None:
    """Send the job to the worker actor `actor_name` (in `avatars.tasks`), after `delay` s."""
    from avatars import tasks

    actor = getattr(tasks, actor_name)
    options = {"delay": int(delay * 1000)} if delay else {}
    actor.send_with_options(args=(job_id,), kwargs=kwargs, **options)


def schedule(job_id: int, actor_name: str, delay: float) -> None:
    """Send the job's next step after `delay`, noting when it is due so the sweep can tell
    a lost message from one that is merely waiting."""
    next_at = timezone.now() + datetime.timedelta(seconds=delay)
    RenderJob.objects.filter(pk=job_id).update(next_step_at=next_at)
    send(actor_name, job_id, delay=delay)


def duration_text(seconds: float) -> str:
    """A wait as people read it: "45 seconds", "3 minutes"."""
    if seconds < 90:
        whole = round(seconds)
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def send_on_commit(actor_name: str, job_id: int, **kwargs: Any) -> None:
    """`send`, once the transaction that decided it has committed."""
    transaction.on_commit(lambda: send(actor_name, job_id, **kwargs))
