"""The sweep: jobs whose messages were lost are picked up again."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from avatars.models import CampaignStatus, JobStatus, RenderJob
from avatars.providers import base
from avatars.render.states import WAITING_FOR_PROVIDER, S, schedule, send, transition
from avatars.render.storing import sweep_scratch


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
        jobs = RenderJob.objects.filter(is_stale, status=status)
        if status == S.QUEUED:
            # A paused campaign's renders wait for its resume, which sends them again.
            jobs = jobs.exclude(campaign_row__campaign__status=CampaignStatus.PAUSED)
        ids = list(jobs.values_list("pk", flat=True)[:1000])
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
        schedule(job_id, "submit_job", 0)
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
            schedule(job_id, "poll_job", settings.SUBMIT_UNANSWERED_GRACE_SECONDS)
    elif status in WAITING_FOR_PROVIDER:
        schedule(job_id, "poll_job", 0)
    elif status == S.STORING:
        RenderJob.objects.filter(pk=job_id).update(status_changed_at=timezone.now())
        send("store_job", job_id)
