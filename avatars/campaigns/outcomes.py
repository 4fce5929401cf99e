"""What a campaign does when one of its renders ends: the circuit breaker, each person's
link, and the campaign finishing.

Called by `avatars.render.states.transition` inside the transaction that ends the job, so
it happens exactly once per render, whichever worker, callback or sweep ended it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from avatars import credits
from avatars.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    JobEvent,
    JobStatus,
    RenderJob,
    ReviewStatus,
    ShareLink,
)
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.outgoing import announce
from avatars.providers import base

# Provider refusals that every later row would get too: the account, not the row.
BREAKER_CODES = {
    base.InsufficientCredits.code: "out of credits",
    base.AuthError.code: "key refused",
}


def held_back(job_id: int) -> str:
    """Why a queued render is not to be sent now: its campaign is "paused" or "canceled";
    "" for any other render."""
    status = (
        RenderJob.objects.filter(pk=job_id)
        .values_list("campaign_row__campaign__status", flat=True)
        .first()
    )
    return status if status in (CampaignStatus.PAUSED, CampaignStatus.CANCELED) else ""


def after_render(job_id: int, status: str) -> None:
    found = (
        RenderJob.objects.filter(pk=job_id, campaign_row__isnull=False)
        .select_related("campaign_row")
        .first()
    )
    if found is None or found.campaign_row is None:
        return
    job = found
    campaign = Campaign.objects.select_for_update().get(pk=found.campaign_row.campaign_id)
    if status == JobStatus.FAILED and job.error_code in BREAKER_CODES:
        _trip(campaign, job)
    if status == JobStatus.SUCCEEDED and campaign.sample_approved_by_id is not None:
        publish(job, campaign)
    if campaign.status == CampaignStatus.SAMPLING:
        _sample_ready_if_done(campaign, job)
    finish_if_done(campaign)


def _sample_ready_if_done(campaign: Campaign, job: RenderJob) -> None:
    """Announce a sample whose renders have all ended, for an Editor to look at."""
    sample = RenderJob.objects.filter(campaign_row__campaign=campaign, campaign_row__is_sample=True)
    if sample.filter(status__in=ACTIVE_STATUSES).exists():
        return
    ids = list(sample.values_list("pk", flat=True))
    announce.campaign_event(
        campaign,
        "campaign.sample_ready",
        once=f"campaign-{campaign.pk}-sample-{max(ids)}",
        renders=ids,
    )


def _trip(campaign: Campaign, job: RenderJob) -> None:
    """Pause a running campaign whose provider refused the account, rather than fail every
    row after this one the same way."""
    if campaign.status != CampaignStatus.RUNNING:
        return
    why = BREAKER_CODES[job.error_code]
    campaign.status = CampaignStatus.PAUSED
    campaign.paused_reason = (
        f"Paused by itself: the provider refused render #{job.pk} ({why}: "
        f"{job.error_message}). Rows not yet sent wait; resume once it is sorted out, then "
        "retry the failed rows."
    )[:2000]
    campaign.save(update_fields=["status", "paused_reason"])
    announce.campaign_event(
        campaign, "campaign.paused", once=f"campaign-{campaign.pk}-paused-{job.pk}"
    )
    credits.record(
        AuditEntry.Action.CAMPAIGN_PAUSED,
        campaign.team,
        None,
        job=job,
        campaign=campaign,
        detail=f"Campaign #{campaign.pk}: {why} at render #{job.pk}",
    )


def publish(job: RenderJob, campaign: Campaign) -> None:
    """A finished row's video, approved with its campaign's sample and given its own link,
    titled for its person."""
    approver = campaign.sample_approved_by
    now = timezone.now()
    RenderJob.objects.filter(pk=job.pk).update(
        review=ReviewStatus.APPROVED, reviewed_by=approver, reviewed_at=now
    )
    JobEvent.objects.create(
        job=job,
        kind=JobEvent.Kind.ACTION,
        actor=approver.get_username() if approver else "system",
        user=approver,
        message=f"Approved with the sample of campaign “{campaign}”.",
    )
    if not ShareLink.objects.filter(job=job, revoked_at=None).exists():
        ShareLink.objects.create(
            job=job,
            created_by=approver,
            title=f"A video for {job.campaign_row.person}"[:200] if job.campaign_row else "",
            expires_at=now + datetime.timedelta(days=settings.CAMPAIGN_SHARE_DAYS),
        )


def finish_if_done(campaign: Campaign) -> None:
    """A running campaign whose rows are all sent and none still rendering is finished."""
    if campaign.status != CampaignStatus.RUNNING:
        return
    rendering = RenderJob.objects.filter(
        campaign_row__campaign=campaign, status__in=ACTIVE_STATUSES
    ).exists()
    unsent = campaign.rows.filter(Q(latest_job=None), verdict="valid", is_sample=False).exists()
    if not rendering and not unsent:
        campaign.status = CampaignStatus.FINISHED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])
        announce.campaign_event(
            campaign, "campaign.completed", once=f"campaign-{campaign.pk}-completed"
        )
