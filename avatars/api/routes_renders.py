"""Renders: estimate, request, list, follow, cancel and decide; and the team's budget."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from avatars import access, credits, render, review, routing
from avatars.api import idempotency, present
from avatars.api.context import need, page_size, refuse_unless, team_of, user_of
from avatars.api.problems import Problem, from_fields, not_found
from avatars.api.schemas import (
    BudgetOut,
    DecisionIn,
    EstimateOut,
    RenderIn,
    RenderOut,
    RenderPage,
)
from avatars.models import (
    ApiScope,
    AudioClip,
    Avatar,
    JobEvent,
    JobStatus,
    RenderJob,
    ReviewStatus,
    Script,
    Voice,
)
from avatars.pagination import newest_first
from avatars.render.requests import RenderRequest

router = Router(tags=["renders"])
M = TypeVar("M", bound=Model)
S = JobStatus


class RenderQuery(Schema):
    cursor: str = ""
    limit: int = 50
    status: JobStatus | None = None
    avatar: int | None = None
    created_after: datetime.datetime | None = None


# --- estimates and budget ---------------------------------------------------------------------


@router.post(
    "/estimates", response=EstimateOut, summary="What a render would cost, spending nothing"
)
def estimate(request: HttpRequest, payload: RenderIn) -> dict:
    need(request, ApiScope.READ)
    asked = _request_from(request, payload)
    problems = render.validate(asked)
    text = ""
    if asked.script is not None:
        revision = asked.script.revisions.latest("number")
        text = render.fill_variables(revision.text, asked.variables)
    provider = routing.chosen_provider(asked.team, asked.provider)
    cost = render.estimate(asked, text)
    seconds = credits.estimated_seconds(
        text=text,
        language=asked.script.language if asked.script else "en-US",
        audio_seconds=asked.audio_clip.duration_seconds if asked.audio_clip else None,
    )
    budget = credits.budget_status(asked.team)
    threshold = asked.team.approval_threshold
    free = credits.is_free(provider)
    return {
        "provider": provider,
        "resolution": asked.resolution,
        "seconds": round(seconds, 2),
        "cost": present.money(cost),
        "budget_left": present.money(budget.left),
        "within_budget": free or cost <= budget.left,
        "needs_approval": not free and threshold is not None and cost > threshold,
        "problems": [{"field": f, "detail": d} for f, d in problems.items()],
    }


@router.get("/budget", response=BudgetOut, summary="The team's budget this month")
def budget(request: HttpRequest) -> dict:
    need(request, ApiScope.READ)
    status = credits.budget_status(team_of(request))
    return {
        "team": status.team.slug,
        "month_start": credits.month_start(),
        "budget": present.money(status.budget),
        "spent": present.money(status.spent),
        "held": present.money(status.held),
        "left": present.money(status.left),
        "percent": status.percent,
        "level": status.level,
    }


# --- renders ----------------------------------------------------------------------------------


@router.post(
    "/renders",
    response={201: RenderOut, 202: RenderOut},
    summary="Request a render",
    description="201: queued. 202: waiting for an Editor's approval (over the team's "
    "threshold). Send an `Idempotency-Key` header to retry safely.",
)
def create_render(request: HttpRequest, payload: RenderIn) -> HttpResponse:
    api_key = need(request, ApiScope.RENDER)
    refuse_unless(access.may_request_renders(user_of(request)), "This key may not request renders.")

    def work() -> HttpResponse:
        try:
            job = render.request_render(_request_from(request, payload))
        except render.RenderRequestError as refused:
            raise from_fields(refused.errors) from None
        status = 202 if job.status == S.AWAITING_APPROVAL else 201
        answer = present.reply(RenderOut, present.render(_job(request, job.pk)), status)
        answer["Location"] = f"/api/v1/renders/{job.pk}"
        return answer

    return idempotency.once(request, api_key, work)


@router.get("/renders", response=RenderPage, summary="List the team's renders, newest first")
def list_renders(request: HttpRequest, query: Query[RenderQuery]) -> dict:
    need(request, ApiScope.READ)
    page_size(query.limit)
    rows = _jobs(request)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.avatar:
        rows = rows.filter(avatar_id=query.avatar)
    if query.created_after:
        rows = rows.filter(created_at__gt=query.created_after)
    page = newest_first(rows, query.cursor, query.limit)
    return {"items": [present.render(job) for job in page.rows], "next": page.older}


@router.get("/renders/{render_id}", response=RenderOut, summary="A render: status, timeline, links")
def get_render(request: HttpRequest, render_id: int) -> dict:
    need(request, ApiScope.READ)
    return present.render(_job(request, render_id))


@router.post("/renders/{render_id}/cancel", response=RenderOut, summary="Cancel a render")
def cancel_render(request: HttpRequest, render_id: int) -> dict:
    need(request, ApiScope.RENDER)
    job, user = _job(request, render_id), user_of(request)
    refuse_unless(access.may_cancel(user, job), "This key may not cancel renders.")
    if not render.cancel(job.pk, user):
        raise _not_now(job, "canceled")
    return present.render(_job(request, render_id))


@router.post(
    "/renders/{render_id}/approve",
    response=RenderOut,
    summary="Approve a render waiting for approval, or a finished video",
)
def approve_render(request: HttpRequest, render_id: int) -> dict:
    need(request, ApiScope.MANAGE)
    job, user = _job(request, render_id), user_of(request)
    if job.status == S.AWAITING_APPROVAL:
        refuse_unless(access.may_approve(user, job), _why_not_approve(user, job))
        if not render.approve(job.pk, user):
            raise _not_now(job, "approved")
    elif job.status == S.SUCCEEDED:
        refuse_unless(access.may_approve_content(user, job), _why_not_approve(user, job))
        _review(job, user, ReviewStatus.APPROVED, "")
    else:
        raise _not_now(job, "approved")
    return present.render(_job(request, render_id))


@router.post(
    "/renders/{render_id}/reject",
    response=RenderOut,
    summary="Turn down a render waiting for approval, or reject a finished video",
)
def reject_render(request: HttpRequest, render_id: int, payload: DecisionIn) -> dict:
    need(request, ApiScope.MANAGE)
    job, user = _job(request, render_id), user_of(request)
    if job.status == S.AWAITING_APPROVAL:
        refuse_unless(access.may_approve(user, job), _why_not_approve(user, job))
        if not render.reject(job.pk, user, payload.reason.strip()):
            raise _not_now(job, "rejected")
    elif job.status == S.SUCCEEDED:
        refuse_unless(access.may_review(user, job), "This key may not review videos.")
        _review(job, user, ReviewStatus.REJECTED, payload.reason)
    else:
        raise _not_now(job, "rejected")
    return present.render(_job(request, render_id))


@router.post(
    "/renders/{render_id}/request-changes",
    response=RenderOut,
    summary="Ask for changes to a finished video",
)
def request_changes(request: HttpRequest, render_id: int, payload: DecisionIn) -> dict:
    need(request, ApiScope.MANAGE)
    job, user = _job(request, render_id), user_of(request)
    refuse_unless(access.may_review(user, job), "This key may not review videos.")
    _review(job, user, ReviewStatus.CHANGES_REQUESTED, payload.reason)
    return present.render(_job(request, render_id))


# --- helpers ----------------------------------------------------------------------------------


def _jobs(request: HttpRequest) -> QuerySet[RenderJob]:
    events = Prefetch("events", queryset=JobEvent.objects.order_by("created_at", "pk"))
    return (
        access.visible_jobs(user_of(request))
        .select_related("team", "script_revision", "requested_by")
        .prefetch_related(events)
    )


def _job(request: HttpRequest, render_id: int) -> RenderJob:
    found = _jobs(request).filter(pk=render_id).first()
    if found is None:
        raise not_found("render")
    return found


def _request_from(request: HttpRequest, payload: RenderIn) -> RenderRequest:
    """The request the payload asks for, with each id looked up in the key's team only."""
    team, user = team_of(request), user_of(request)
    errors: dict[str, str] = {}

    def pick(rows: QuerySet[M], pk: int | None, field: str) -> M | None:
        if pk is None:
            return None
        found = access.scope_to_user(rows, user).filter(pk=pk).first()
        if found is None:
            errors[field] = f"There is no {field.replace('_', ' ')} {pk} in {team}'s library."
        return found

    avatar = pick(Avatar.objects.all(), payload.avatar, "avatar")
    script = pick(Script.objects.all(), payload.script, "script")
    voice = pick(Voice.objects.all(), payload.voice, "voice")
    clip = pick(AudioClip.objects.all(), payload.audio_clip, "audio_clip")
    if errors or avatar is None:
        raise from_fields(errors)
    return RenderRequest(
        team=team,
        user=user,
        avatar=avatar,
        script=script,
        voice=voice,
        audio_clip=clip,
        variables=payload.variables,
        resolution=payload.resolution,
        seed=payload.seed,
        video_prompt=payload.video_prompt,
        provider=payload.provider,
    )


def _review(job: RenderJob, user: User, decision: str, reason: str) -> None:
    try:
        review.decide(job, user, decision, reason)
    except review.ReviewError as refused:
        raise Problem(422, str(refused), kind="cannot-review") from None


def _why_not_approve(user: User, job: RenderJob) -> str:
    if access.requested_by(user, job):
        return f"{access.OWN_REQUEST} This key asked for render #{job.pk}."
    return "This key may not approve renders: make it with the manage scope as an Editor."


def _not_now(job: RenderJob, done: str) -> Problem:
    label = S(job.status).label.lower()
    return Problem(
        409, f"Render #{job.pk} is {label}: it cannot be {done} now.", kind="wrong-state"
    )
