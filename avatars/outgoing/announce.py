"""What the flows call when something a team's tools may want to hear of happens.

Each call costs one query when the team has no endpoint wanting the event, and none ever
fails its caller: announcing runs in a savepoint, and what goes wrong there is logged, so a
render is stored and a campaign finished whatever happens to its webhooks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from django.db import transaction

from avatars import credits
from avatars.models import Campaign, JobStatus, RenderJob, Team, WebhookEndpoint
from avatars.outgoing.events import emit

BUDGET_THRESHOLDS = (75, 90, 100)
log = logging.getLogger("avatars.outgoing")
P = ParamSpec("P")


def _never_fails(announcing: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(announcing)
    def safely(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            with transaction.atomic():
                announcing(*args, **kwargs)
        except Exception:
            log.exception("Could not announce %s", announcing.__name__)

    return safely


def _listening(team_id: int, event_type: str) -> bool:
    return any(
        e.wants(event_type) for e in WebhookEndpoint.objects.filter(team_id=team_id, enabled=True)
    )


def _render(job_id: int) -> dict[str, Any]:
    # The API's own shape, so a webhook and a GET of the render agree (imported here: the
    # API's modules import the render flows, which call this).
    from avatars.api import present
    from avatars.api.schemas import RenderOut

    job = RenderJob.objects.select_related("team", "script_revision", "requested_by").get(pk=job_id)
    return {"render": present.as_json(RenderOut, present.render(job, timeline=False))}


@_never_fails
def render_finished(job: RenderJob | int, status: str) -> None:
    job_id = job if isinstance(job, int) else job.pk
    kind = {JobStatus.SUCCEEDED: "render.succeeded", JobStatus.FAILED: "render.failed"}.get(
        JobStatus(status)
    )
    team_id = RenderJob.objects.values_list("team_id", flat=True).get(pk=job_id)
    if kind and _listening(team_id, kind):
        emit(team_id, kind, _render(job_id))
    budget_moved(team_id)


@_never_fails
def render_decided(job: RenderJob, decision: str, stage: str, reason: str = "") -> None:
    """`decision` approved / rejected / changes_requested; `stage` "request" (a render over
    the threshold) or "video" (a finished video's review)."""
    kind = f"render.{decision}"
    if _listening(job.team_id, kind):
        emit(job.team_id, kind, {**_render(job.pk), "stage": stage, "reason": reason})


@_never_fails
def campaign_event(campaign: Campaign, kind: str, *, once: str = "", **extra: Any) -> None:
    if not _listening(campaign.team_id, kind):
        return
    data = {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "status": campaign.status,
            "paused_reason": campaign.paused_reason,
        },
        **extra,
    }
    emit(campaign.team_id, kind, data, once=once)


@_never_fails
def budget_moved(team_id: int) -> None:
    """Announce each of 75, 90 and 100 % of the month's budget once, as it is reached."""
    if not _listening(team_id, "budget.threshold"):
        return
    team = Team.objects.get(pk=team_id)
    status = credits.budget_status(team)
    month = f"{credits.month_start():%Y-%m}"
    for percent in BUDGET_THRESHOLDS:
        if status.percent >= percent:
            emit(
                team,
                "budget.threshold",
                {
                    "team": team.slug,
                    "threshold": percent,
                    "percent": status.percent,
                    "budget": str(status.budget),
                    "committed": str(status.committed),
                    "month": month,
                },
                once=f"budget-{team.pk}-{month}-{percent}",
            )
