"""Many renders requested at once (a campaign's rows): written, held and queued in bulk.

`requests.request_render` asks for one render at a time, a dozen statements each. A batch
does the same for thousands in a few statements per thousand: the jobs, their holds and
their first timeline entries are bulk-inserted inside the caller's transaction, and their
submit messages go out once it commits, spaced by the provider's rate limit so that the
queue drains at the pace the provider takes. A job of a batch is born in its first status
(queued, or awaiting approval) with the event that says so, which is what a DRAFT job's
first transition does for a single request.

The caller has checked the budget under the team's lock; the database refuses a second
live render of one campaign row (`one_live_render_per_campaign_row`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from avatars import credits, review
from avatars.models import (
    Avatar,
    CreditEntry,
    JobEvent,
    RenderJob,
    ScriptRevision,
    Team,
    Voice,
)
from avatars.providers.ratelimit import limit_for
from avatars.render.states import S, actor_of, send

BATCH = 500


@dataclass(frozen=True)
class BatchItem:
    """One render of a batch: who speaks which text, and what it is for."""

    campaign_row_id: int
    avatar: Avatar
    voice: Voice
    revision: ScriptRevision
    variables: dict[str, str]
    text: str
    estimate: Decimal
    message: str
    # The failed render this one tries again, where it does.
    parent: RenderJob | None = None


def queue_batch(
    team: Team,
    user: User | None,
    items: list[BatchItem],
    *,
    provider: str,
    resolution: str,
    approved_by: User | None = None,
) -> list[RenderJob]:
    """Create, hold and queue a render per item; inside the caller's transaction.

    Renders approved in advance (`approved_by`: a campaign's approved sample) are queued;
    the others wait for an Editor where their estimate is over the team's threshold, as a
    single request would.
    """
    now = timezone.now()
    jobs = [_job(team, user, item, provider, resolution, approved_by, now) for item in items]
    queued = [job for job in jobs if job.status == S.QUEUED]
    waiting = [job for job in jobs if job.status == S.AWAITING_APPROVAL]
    interval = pace(provider)
    if interval:
        # Due in turn, so that the sweep does not take a job still waiting for a lost one.
        for number, job in enumerate(queued):
            job.next_step_at = now + datetime.timedelta(seconds=number * interval)
    RenderJob.objects.bulk_create(jobs, batch_size=BATCH)
    if not credits.is_free(provider):
        CreditEntry.objects.bulk_create(
            [
                CreditEntry(
                    team=team,
                    job=job,
                    user_id=job.requested_by_id,
                    provider=provider,
                    kind=CreditEntry.Kind.HOLD,
                    amount=job.estimated_cost or credits.ZERO,
                )
                for job in jobs
            ],
            batch_size=BATCH,
        )
    JobEvent.objects.bulk_create(
        [
            JobEvent(
                job=job,
                kind=JobEvent.Kind.STATUS,
                from_status="",
                to_status=job.status,
                actor=actor_of(user),
                user_id=job.requested_by_id,
                message=item.message,
                data={},
            )
            for job, item in zip(jobs, items, strict=True)
        ],
        batch_size=BATCH,
    )
    transaction.on_commit(lambda: _send_in_turn(queued, now))
    for job in waiting:
        review.notify_approvers(job)
    return jobs


def _job(
    team: Team,
    user: User | None,
    item: BatchItem,
    provider: str,
    resolution: str,
    approved_by: User | None,
    now: datetime.datetime,
) -> RenderJob:
    parent = item.parent
    job = RenderJob(
        team=team,
        requested_by_id=user.pk if user is not None else None,
        campaign_row_id=item.campaign_row_id,
        parent=parent,
        root_id=(parent.root_id or parent.pk) if parent else None,
        avatar=item.avatar,
        script_revision=item.revision,
        voice=item.voice,
        variables=item.variables,
        text=item.text,
        resolution=resolution,
        provider=provider,
        estimated_cost=item.estimate,
        status=S.QUEUED,
        status_changed_at=now,
    )
    if approved_by is not None:
        job.approved_by, job.approved_at = approved_by, now
    elif credits.needs_approval(job):
        job.status = S.AWAITING_APPROVAL
    return job


def pace(provider: str) -> float:
    """Seconds between two submits to `provider` at its rate limit (0: no limit)."""
    limit = limit_for(provider)
    return limit.seconds / limit.requests if limit else 0.0


def _send_in_turn(jobs: list[RenderJob], start: datetime.datetime) -> None:
    for job in jobs:
        delay = (job.next_step_at - start).total_seconds() if job.next_step_at else 0.0
        send("submit_job", job.pk, delay=delay or None)


def resend_in_turn(job_ids: list[int], provider: str) -> None:
    """Send queued jobs that waited (a paused campaign's, resumed) again, paced as a new
    batch would be; inside the caller's transaction, the messages once it commits."""
    now = timezone.now()
    interval = pace(provider)
    jobs = [RenderJob(pk=pk, next_step_at=None) for pk in job_ids]
    if interval:
        for number, job in enumerate(jobs):
            job.next_step_at = now + datetime.timedelta(seconds=number * interval)
    RenderJob.objects.bulk_update(jobs, ["next_step_at"], batch_size=BATCH)
    transaction.on_commit(lambda: _send_in_turn(jobs, now))
