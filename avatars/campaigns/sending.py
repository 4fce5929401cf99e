"""A campaign's actions: sample, approve the sample, run, retry failed rows, pause, resume
and cancel.

Sending (the sample, the run, a retry) happens under a lock on the campaign and then on its
team: the rows to send are chosen there, priced against what the team's budget and the
campaign's cap have left, and either every one is queued or nothing is, with the number of
rows that would have fitted. The database keeps any row from having two live renders.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from avatars import access, credits, render
from avatars.campaigns import outcomes
from avatars.campaigns.importing import CampaignError
from avatars.campaigns.progress import progress
from avatars.models import (
    AuditEntry,
    Campaign,
    CampaignRow,
    CampaignStatus,
    JobStatus,
    RenderJob,
    RowVerdict,
    Team,
)
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.outgoing import announce
from avatars.render.batches import BatchItem, queue_batch, resend_in_turn
from avatars.render.states import S

C = CampaignStatus
A = AuditEntry.Action
SAMPLES_FROM = (C.DRAFT, C.SAMPLING)
RETRIES_FROM = (C.SAMPLING, C.APPROVED, C.RUNNING, C.FINISHED)
STOPPABLE = (C.DRAFT, C.SAMPLING, C.APPROVED, C.RUNNING, C.PAUSED)
_NOT_SENT = (S.QUEUED, S.AWAITING_APPROVAL)


def _refuse(message: str) -> CampaignError:
    return CampaignError({"campaign": message})


def _live_job() -> Exists:
    return Exists(
        RenderJob.objects.filter(campaign_row=OuterRef("pk")).exclude(
            status__in=[JobStatus.FAILED, JobStatus.CANCELED]
        )
    )


def _valid_rows(campaign: Campaign) -> QuerySet[CampaignRow]:
    return campaign.rows.filter(verdict=RowVerdict.VALID).select_related(
        "avatar", "voice", "latest_job"
    )


# --- sending ------------------------------------------------------------------------------------


def sample(
    campaign_id: int,
    user: User | None,
    *,
    rows: int | None = None,
    numbers: list[int] | None = None,
) -> int:
    """Render a few rows first: the first `rows` valid ones not yet sampled, or the rows of
    these spreadsheet `numbers`. Returns how many were sent."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status not in SAMPLES_FROM:
            raise _refuse(
                f"The sample is taken before the run; this campaign is {_state(campaign)}."
            )
        chosen = _valid_rows(campaign).filter(latest_job=None)
        if numbers:
            chosen = chosen.filter(number__in=numbers)
            found = set(chosen.values_list("number", flat=True))
            if missing := sorted(set(numbers) - found):
                raise _refuse(
                    "These rows cannot be sampled (not in the file, invalid, duplicates or "
                    f"already sent): {', '.join(map(str, missing))}."
                )
        else:
            count = rows if rows is not None else _default_sample_rows()
            if count < 1:
                raise _refuse("A sample has at least one row.")
            chosen = chosen.order_by("number")[:count]
        picked = list(chosen)
        if not picked:
            raise _refuse("No valid row is left to sample.")
        _send(campaign, picked, user, parent_of={}, approved_by=None, what="sample")
        CampaignRow.objects.filter(pk__in=[r.pk for r in picked]).update(is_sample=True)
        campaign.status = C.SAMPLING
        campaign.save(update_fields=["status"])
        _audit(A.CAMPAIGN_SAMPLED, campaign, user, picked, "sample")
    return len(picked)


def run(campaign_id: int, user: User | None) -> int:
    """Send every valid row that has not been sent (sample rows never again); returns how
    many. Running again sends nothing."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status in (C.DRAFT, C.SAMPLING):
            raise _refuse(
                "The run waits for an Editor to approve the sample: take a sample first, then "
                "have it approved."
                if campaign.status == C.DRAFT
                else "The run waits for an Editor to approve the sample."
            )
        if campaign.status in (C.PAUSED, C.CANCELED):
            raise _refuse(f"This campaign is {_state(campaign)}; nothing was sent.")
        if campaign.status in (C.RUNNING, C.FINISHED):
            return 0
        picked = list(
            _valid_rows(campaign).filter(latest_job=None, is_sample=False).order_by("number")
        )
        campaign.status = C.RUNNING
        campaign.started_at = timezone.now()
        _send(
            campaign,
            picked,
            user,
            parent_of={},
            approved_by=campaign.sample_approved_by,
            what="run",
        )
        campaign.save(update_fields=["status", "started_at"])
        _audit(A.CAMPAIGN_RUN, campaign, user, picked, "run")
        outcomes.finish_if_done(campaign)
    return len(picked)


def retry_failed(campaign_id: int, user: User | None) -> int:
    """Send again only the rows whose latest render failed, each as a new attempt kept
    beside the failed one; returns how many."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status not in RETRIES_FROM:
            raise _refuse(
                f"Failed rows are retried while a campaign works; it is {_state(campaign)}."
            )
        picked = list(
            _valid_rows(campaign)
            .filter(latest_job__status=JobStatus.FAILED)
            .exclude(_live_job())
            .order_by("number")
        )
        if not picked:
            raise _refuse("No row has failed; nothing was sent.")
        _send(
            campaign,
            picked,
            user,
            parent_of={row.pk: row.latest_job for row in picked if row.latest_job},
            approved_by=None if campaign.status == C.SAMPLING else campaign.sample_approved_by,
            what="retry",
        )
        if campaign.status == C.FINISHED:
            campaign.status = C.RUNNING
            campaign.save(update_fields=["status"])
        _audit(A.CAMPAIGN_RETRIED, campaign, user, picked, "retry")
    return len(picked)


def _send(
    campaign: Campaign,
    rows: list[CampaignRow],
    user: User | None,
    *,
    parent_of: dict[int, RenderJob | None],
    approved_by: User | None,
    what: str,
) -> None:
    team = Team.objects.select_for_update().get(pk=campaign.team_id)
    estimates = [row.estimate or credits.ZERO for row in rows]
    _check_room(campaign, team, estimates, what)
    revision = campaign.script_revision
    items = [
        BatchItem(
            campaign_row_id=row.pk,
            avatar=row.avatar or campaign.avatar,
            voice=row.voice or campaign.voice,
            revision=revision,
            variables=row.variables,
            text=row.text,
            estimate=estimate,
            message=f"Render requested for campaign “{campaign}”, row {row.number} "
            f"({row.person}), as its {what}.",
            parent=parent_of.get(row.pk),
        )
        for row, estimate in zip(rows, estimates, strict=True)
    ]
    queue_batch(
        team,
        user,
        items,
        provider=campaign.provider,
        resolution=campaign.resolution,
        approved_by=approved_by,
    )
    # Each row points at its newest render: one UPDATE a thousand rows, where bulk_update
    # would write a CASE over every one of them.
    newest = RenderJob.objects.filter(campaign_row=OuterRef("pk")).order_by("-pk").values("pk")
    ids = [row.pk for row in rows]
    for start in range(0, len(ids), 1000):
        CampaignRow.objects.filter(pk__in=ids[start : start + 1000]).update(
            latest_job=Subquery(newest[:1])
        )


def _check_room(campaign: Campaign, team: Team, estimates: list[Decimal], what: str) -> None:
    """Refuse the whole send when the team's budget or the campaign's cap cannot cover it,
    saying how many of the rows would fit."""
    total = sum(estimates, credits.ZERO)
    budget = credits.budget_status(team)
    room, whose = budget.left, f"{team}'s budget has {credits.dollars(budget.left)} left this month"
    if campaign.spending_cap is not None:
        cap_left = max(credits.ZERO, campaign.spending_cap - progress(campaign).committed)
        if cap_left < room:
            room = cap_left
            whose = (
                f"the campaign's cap of {credits.dollars(campaign.spending_cap)} has "
                f"{credits.dollars(cap_left)} left"
            )
    if total <= room:
        return
    fit, running = 0, credits.ZERO
    for estimate in estimates:
        if running + estimate > room:
            break
        running += estimate
        fit += 1
    rows = len(estimates)
    raise _refuse(
        f"Nothing was sent: the {what} of {rows:,} row{'s' if rows != 1 else ''} would cost about "
        f"{credits.dollars(total)}, but {whose}. {fit:,} of the {rows:,} rows would fit."
    )


# --- the sample's approval ----------------------------------------------------------------------


def approve_sample(campaign_id: int, user: User) -> None:
    """An Editor who did not ask for it approves the rendered sample: the run may go ahead,
    and the sample's videos are approved and get their links."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != C.SAMPLING:
            raise _refuse(f"Only a sample can be approved; this campaign is {_state(campaign)}.")
        if not access.may_approve_sample(user, campaign):
            raise _refuse(
                "Another Editor of the team must approve the sample: not the person who "
                "created the campaign or asked for its sample."
            )
        samples = RenderJob.objects.filter(
            campaign_row__campaign=campaign, campaign_row__is_sample=True
        ).select_related("campaign_row")
        if samples.filter(status__in=ACTIVE_STATUSES).exists():
            raise _refuse("The sample is still rendering: watch it once it is done.")
        finished = [job for job in samples if job.status == JobStatus.SUCCEEDED]
        if not finished:
            raise _refuse("No sample video finished: retry the failed rows, then approve.")
        campaign.status = C.APPROVED
        campaign.sample_approved_by = user
        campaign.sample_approved_at = timezone.now()
        campaign.save(update_fields=["status", "sample_approved_by", "sample_approved_at"])
        for job in finished:
            outcomes.publish(job, campaign)
        credits.record(
            A.CAMPAIGN_APPROVED,
            campaign.team,
            user,
            campaign=campaign,
            detail=f"Campaign #{campaign.pk} “{campaign}”: sample of {len(finished)} approved",
        )


# --- pause, resume, cancel ----------------------------------------------------------------------


def pause(campaign_id: int, user: User | None, reason: str = "") -> None:
    """Hold the rows not yet sent; what is rendering finishes."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != C.RUNNING:
            raise _refuse(f"Only a running campaign can be paused; this one is {_state(campaign)}.")
        who = user.get_username() if user else "system"
        campaign.status = C.PAUSED
        campaign.paused_reason = reason or f"Paused by {who}."
        campaign.save(update_fields=["status", "paused_reason"])
        announce.campaign_event(campaign, "campaign.paused")
        credits.record(A.CAMPAIGN_PAUSED, campaign.team, user, campaign=campaign, detail=reason)


def resume(campaign_id: int, user: User | None) -> int:
    """Send the rows that waited; returns how many."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != C.PAUSED:
            raise _refuse(f"Only a paused campaign can be resumed; this one is {_state(campaign)}.")
        campaign.status = C.RUNNING
        campaign.paused_reason = ""
        campaign.save(update_fields=["status", "paused_reason"])
        waiting = list(
            RenderJob.objects.filter(campaign_row__campaign=campaign, status=S.QUEUED).values_list(
                "pk", flat=True
            )
        )
        resend_in_turn(waiting, campaign.provider)
        credits.record(
            A.CAMPAIGN_RESUMED,
            campaign.team,
            user,
            campaign=campaign,
            detail=f"{len(waiting)} waiting rows sent on",
        )
        outcomes.finish_if_done(campaign)
    return len(waiting)


def cancel(campaign_id: int, user: User | None) -> int:
    """Stop the campaign: every row not yet sent is canceled and its hold released; what
    is rendering finishes. Returns how many rows were canceled."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status not in STOPPABLE:
            raise _refuse(f"This campaign is {_state(campaign)} already.")
        campaign.status = C.CANCELED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])
        credits.record(A.CAMPAIGN_CANCELED, campaign.team, user, campaign=campaign)
    # Outside the campaign's lock: each cancel locks its job, then (ending it) the campaign.
    waiting = list(
        RenderJob.objects.filter(
            campaign_row__campaign_id=campaign_id, status__in=_NOT_SENT
        ).values_list("pk", flat=True)
    )
    for job_id in waiting:
        render.cancel(job_id, user)
    # A paced send due meanwhile sees the campaign canceled and cancels its job itself.
    return RenderJob.objects.filter(pk__in=waiting, status=S.CANCELED).count()


# --- helpers ------------------------------------------------------------------------------------


def _locked(campaign_id: int) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("team", "avatar", "voice", "script_revision", "sample_approved_by")
        .get(pk=campaign_id)
    )


def _state(campaign: Campaign) -> str:
    return CampaignStatus(campaign.status).label.lower()


def _default_sample_rows() -> int:
    return int(settings.CAMPAIGN_SAMPLE_ROWS)


def _audit(
    action: str, campaign: Campaign, user: User | None, rows: list[CampaignRow], what: str
) -> None:
    total = sum((row.estimate or credits.ZERO for row in rows), credits.ZERO)
    credits.record(
        action,
        campaign.team,
        user,
        campaign=campaign,
        amount=total,
        detail=f"Campaign #{campaign.pk} “{campaign}”: {what} of {len(rows)} rows sent",
    )
