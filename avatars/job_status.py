"""A render's live status as people read it: the badge, the sentence under it, how far along
it is and its timeline, worked out in one place for the job page and the feed it polls.

How far along: the steps before the provider (queued, submitting) are short and shown as
steps; from the moment the provider has the job, the bar follows the time it has had it
against how long this provider typically takes for speech this long, learnt from its
recent renders (`seconds_per_spoken_second`). Up to the estimate the bar moves evenly to
80 % of the provider's part; past it, each estimate's worth of time closes about two thirds
of what is left, so a slow render keeps the bar moving (visibly, to about twice the
estimate) and never reaches 100 % until the job is done.
"""

from __future__ import annotations

import datetime
import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone

from avatars import badges, credits
from avatars.catalog import PROVIDER_LABELS
from avatars.models import JobEvent, JobStatus, RenderJob

S = JobStatus
# Where each step before the provider puts the bar, and where the provider's time starts.
STEPS: dict[str, int] = {
    S.DRAFT: 0,
    S.AWAITING_APPROVAL: 0,
    S.QUEUED: 3,
    S.SUBMITTING: 6,
}
PROVIDER_START = 10
PROVIDER_END = 99  # never 100 before the job is final
AT_ESTIMATE = 0.8  # the share of the provider's part of the bar reached at the estimate
WITH_PROVIDER = (S.SUBMITTED, S.PROCESSING, S.STORING)
FINAL_TEXT: dict[str, str] = {
    S.SUCCEEDED: "The video is ready.",
    S.FAILED: "The render failed.",
    S.CANCELED: "The render was canceled.",
}
# Until a provider has finished a few renders, how long we assume it takes per second of
# speech; a guess, replaced by what its own renders show as soon as there are some.
ASSUMED_SECONDS_PER_SPOKEN_SECOND = {"sandbox": 1.5}
ASSUMED_DEFAULT = 8.0
LEARN_FROM = 20  # the provider's most recent successful renders the estimate is taken from
LEARN_AT_LEAST = 3
SHORTEST = 5.0  # no render is expected to take less, however short its speech
# Each provider's seconds per spoken second and how many renders that was learnt from.
Rates = dict[str, tuple[float, int]]


@dataclass(frozen=True)
class Estimate:
    """How long the provider is expected to have the job, and where that figure comes from."""

    seconds: float
    spoken_seconds: float
    learnt_from: int  # how many of the provider's renders; 0 when assumed


@dataclass(frozen=True)
class LiveStatus:
    status: str
    label: str  # the badge
    kind: str  # the badge's colour: ok, warn, bad or quiet
    panel: str  # the sentence under the badge
    percent: int
    value_text: str  # the bar's aria-valuetext
    final: bool
    error: str
    events: list[dict[str, Any]] = field(default_factory=list)
    last_event: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def live_status(
    job: RenderJob, *, after_event: int = 0, now: datetime.datetime | None = None
) -> LiveStatus:
    """The job's status now, with its timeline entries after the event `after_event`.

    The job needs its avatar, team, script revision and audio clip at hand (select_related).
    """
    now = now or timezone.now()
    estimate = estimate_for(job) if job.status in WITH_PROVIDER else None
    percent = progress(job, estimate, now)
    panel = panel_text(job, estimate, now)
    events = timeline(job, after_event)
    return LiveStatus(
        status=job.status,
        label=job.get_status_display(),
        kind=badges.STATUS_KIND.get(job.status, "warn"),
        panel=panel,
        percent=percent,
        value_text=f"{percent} %: {panel}",
        final=job.is_final,
        error=job.error_message,
        events=events,
        last_event=events[-1]["id"] if events else after_event,
    )


def percent_now(
    job: RenderJob, now: datetime.datetime | None = None, rates: Rates | None = None
) -> int:
    """Per cent done, for a list of jobs: `rates` keeps each provider's learnt rate between
    the jobs of the list, so it is read once per provider."""
    estimate = estimate_for(job, rates) if job.status in WITH_PROVIDER else None
    return progress(job, estimate, now or timezone.now())


def progress(job: RenderJob, estimate: Estimate | None, now: datetime.datetime) -> int:
    """Per cent done: 100 only once final; below it, never more than 99."""
    if job.is_final:
        return 100
    if job.status not in WITH_PROVIDER or estimate is None:
        return STEPS.get(job.status, 0)
    done = share_done(provider_seconds(job, now), estimate.seconds)
    percent = PROVIDER_START + math.floor((PROVIDER_END - PROVIDER_START) * done)
    if job.status == S.STORING:
        # The provider has finished: whatever the clock says, only the copy is left.
        percent = max(percent, PROVIDER_START + math.floor((PROVIDER_END - PROVIDER_START) * 0.9))
    return min(percent, PROVIDER_END)


def share_done(elapsed: float, expected: float) -> float:
    """The share of the provider's time gone by: evenly to AT_ESTIMATE at `expected`, then
    ever closer to 1 without reaching it (what is left shrinks by e each `expected`)."""
    if elapsed <= 0:
        return 0.0
    if elapsed <= expected:
        return AT_ESTIMATE * elapsed / expected
    over = (elapsed - expected) / expected
    return 1 - (1 - AT_ESTIMATE) * math.exp(-over)


def provider_seconds(job: RenderJob, now: datetime.datetime) -> float:
    started = job.submitted_at or job.status_changed_at
    return max((now - started).total_seconds(), 0.0)


def spoken_seconds(job: RenderJob) -> float:
    """How long the speech is: the clip's measured length, or the text's estimate, as its
    cost was estimated."""
    if job.duration_seconds:
        return job.duration_seconds
    clip = job.audio_clip if job.audio_clip_id else None
    revision = job.script_revision if job.script_revision_id else None
    return credits.estimated_seconds(
        text=job.text,
        language=revision.language if revision else "en-US",
        audio_seconds=clip.duration_seconds if clip else None,
    )


def estimate_for(job: RenderJob, rates: Rates | None = None) -> Estimate:
    rates = {} if rates is None else rates
    if job.provider not in rates:
        rates[job.provider] = seconds_per_spoken_second(job.provider)
    per_second, learnt_from = rates[job.provider]
    spoken = max(spoken_seconds(job), 1.0)
    return Estimate(max(per_second * spoken, SHORTEST), spoken, learnt_from)


def seconds_per_spoken_second(provider: str) -> tuple[float, int]:
    """How long the provider took per second of video (from our submit to the stored file),
    the median of its recent successful renders; and how many renders that comes from."""
    recent = (
        RenderJob.objects.filter(
            status=S.SUCCEEDED,
            provider=provider,
            submitted_at__isnull=False,
            finished_at__gt=F("submitted_at"),
            duration_seconds__gt=0,
        )
        .order_by("-status_changed_at")
        .values_list("submitted_at", "finished_at", "duration_seconds")[:LEARN_FROM]
    )
    # The filter leaves out rows without both times and a length.
    ratios = [
        (end - start).total_seconds() / seconds  # type: ignore[operator]
        for start, end, seconds in recent
    ]
    if len(ratios) < LEARN_AT_LEAST:
        return ASSUMED_SECONDS_PER_SPOKEN_SECOND.get(provider, ASSUMED_DEFAULT), 0
    return statistics.median(ratios), len(ratios)


def panel_text(job: RenderJob, estimate: Estimate | None, now: datetime.datetime) -> str:
    provider = PROVIDER_LABELS.get(job.provider, job.provider).split(" (")[0]
    if job.status == S.AWAITING_APPROVAL:
        return (
            f"At about ${job.estimated_cost or 0:.2f} this render is over {job.team}'s "
            f"approval threshold of ${job.team.approval_threshold or 0:.2f} and waits for an "
            "Editor."
        )
    if job.status == S.QUEUED:
        return f"Waiting for a worker to send it to {provider}."
    if job.status == S.SUBMITTING:
        return f"Sending it to {provider}."
    if job.status == S.STORING:
        return f"{provider} has finished; copying the video into our storage."
    if job.status in WITH_PROVIDER and estimate is not None:
        doing = "is rendering it" if job.status == S.PROCESSING else "has it and will start soon"
        return f"{provider} {doing}; {time_left(job, estimate, now, provider)}."
    return FINAL_TEXT.get(job.status, job.get_status_display())


def time_left(job: RenderJob, estimate: Estimate, now: datetime.datetime, provider: str) -> str:
    left = estimate.seconds - provider_seconds(job, now)
    if not estimate.learnt_from:
        guess = f"a first guess, until {provider} has finished a few renders here"
    else:
        guess = f"renders this long usually take it {_duration(estimate.seconds)}"
    if left <= 0:
        return f"taking longer than expected ({guess})"
    return f"about {_duration(left)} left ({guess})"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(5, round(seconds / 5) * 5)} s"
    return f"{round(seconds / 60)} min"


def timeline(job: RenderJob, after_event: int = 0) -> list[dict[str, Any]]:
    """The job's timeline entries after the event `after_event`, oldest first."""
    events = JobEvent.objects.filter(job=job, pk__gt=after_event).order_by("created_at", "pk")
    return [
        {
            "id": event.pk,
            "at": f"{timezone.localtime(event.created_at):%H:%M:%S}",
            "actor": event.actor,
            "change": (
                f"{event.from_status + ' ' if event.from_status else ''}→ {event.to_status}"
                if event.kind == JobEvent.Kind.STATUS
                else ""
            ),
            "message": event.message,
        }
        for event in events
    ]
