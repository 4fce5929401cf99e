"""The review desk: Editors decide on finished videos, re-render them and share them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST, require_safe

from avatars import access, review
from avatars.forms import RenderRequestForm
from avatars.media_urls import media_url
from avatars.models import (
    Campaign,
    CampaignRow,
    CampaignStatus,
    JobStatus,
    RenderJob,
    ReviewStatus,
    ShareLink,
)
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.review_forms import ReviewForm
from avatars.signed_in import SignedInRequest
from avatars.views.studio import job_page


@login_required
@access.page_for(access.may_open_review_desk)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    # Team ids as a list, so the planner walks the partial index job_review_queue per team.
    teams = access.member_team_ids(request.user)
    waiting = (
        RenderJob.objects.filter(
            team__in=teams,
            status=JobStatus.SUCCEEDED,
            review=ReviewStatus.PENDING,
            is_draft=False,
        )
        .select_related("avatar", "requested_by", "script_revision__script", "audio_clip")
        .order_by("finished_at", "pk")[:100]
    )
    context = {"section": "review", "jobs": waiting, "samples": _samples_to_approve(request)}
    return render(request, "review/queue.html", context)


SAMPLES_SHOWN = 50


def _samples_to_approve(request: HttpRequest) -> QuerySet[Campaign]:
    """Campaigns whose sample has finished rendering, for an Editor who may approve it; each
    with `finished` (its sample rows whose latest render succeeded). Two queries at most."""
    rendering = RenderJob.objects.filter(
        campaign_row__campaign=OuterRef("pk"),
        campaign_row__is_sample=True,
        status__in=ACTIVE_STATUSES,
    )
    succeeded = CampaignRow.objects.filter(
        campaign=OuterRef("pk"), is_sample=True, latest_job__status=JobStatus.SUCCEEDED
    )
    finished = (
        CampaignRow.objects.filter(is_sample=True, latest_job__status=JobStatus.SUCCEEDED)
        .select_related("latest_job")
        .order_by("number")
    )
    return (
        access.campaigns_to_approve(request.user)
        .filter(status=CampaignStatus.SAMPLING)
        .filter(Exists(succeeded))
        .exclude(Exists(rendering))
        .select_related("team", "created_by")
        .prefetch_related(Prefetch("rows", queryset=finished, to_attr="finished"))
        .order_by("created_at", "pk")[:SAMPLES_SHOWN]
    )


def _job(request: HttpRequest, pk: int, may: access.JobRule) -> RenderJob:
    """A job the user may see and, by the rule `may`, act on: 404 or 403 otherwise."""
    related = ("team", "avatar", "voice", "audio_clip", "script_revision__script")
    job = get_object_or_404(access.visible_jobs(request.user).select_related(*related), pk=pk)
    if not may(request.user, job):
        raise PermissionDenied
    return job


@login_required
@access.page_for(access.may_open_review_desk)
@require_POST
def decide(request: SignedInRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, access.may_review)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return job_page(request, job, review_form=form)
    decision = form.cleaned_data["decision"]
    if decision == ReviewStatus.APPROVED and not access.may_approve_content(request.user, job):
        raise PermissionDenied(access.OWN_VIDEO)
    try:
        review.decide(job, request.user, decision, form.cleaned_data["comment"])
    except review.ReviewError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Render #{job.pk}: {job.get_review_display().lower()}.")
    return redirect("studio:job", pk=job.pk)


@login_required
@require_POST
def comment(request: SignedInRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, access.may_comment)
    try:
        review.add_comment(job, request.user, request.POST.get("body", ""))
    except review.ReviewError as refused:
        messages.error(request, str(refused))
    return redirect("studio:job", pk=job.pk)


@login_required
@permission_required(("avatars.add_renderjob", "avatars.retry_renderjob"), raise_exception=True)
def rerender(request: SignedInRequest, pk: int) -> HttpResponse:
    """A new version of a video with any input changed; its cost shows before it is sent."""
    job = _job(request, pk, access.may_rerender)
    form = RenderRequestForm(
        request.POST or None,
        user=request.user,
        initial=RenderRequestForm.initial_from(job),
        # A version stays in the team of the video it re-renders, so its history stays visible.
        team=job.team,
    )
    if new := form.send(parent=job):
        messages.success(request, f"Render #{new.pk} is on its way as a new version of #{job.pk}.")
        return redirect("studio:job", pk=new.pk)
    context = {"section": "review", "job": job, **form.page_context()}
    return render(request, "review/rerender.html", context)


@login_required
@require_GET
def versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The versions of a video; two of them side by side with what differs between them."""
    job = get_object_or_404(access.visible_jobs(request.user), pk=pk)
    lineage = list(
        review.versions(job)
        .select_related("avatar", "voice", "audio_clip", "script_revision__script")
        .order_by("created_at", "pk")
    )
    by_id = {version.pk: version for version in lineage}
    left = by_id.get(_int(request.GET.get("a"))) or (
        lineage[-2] if len(lineage) > 1 else lineage[0]
    )
    right = by_id.get(_int(request.GET.get("b"))) or lineage[-1]
    approved = review.approved_version(job.lineage_id)
    context = {
        "section": "review",
        "job": job,
        "lineage": lineage,
        "left": left,
        "right": right,
        "differences": review.differences(left, right),
        "approved": approved,
        "stable_url": reverse("stable", args=[lineage[0].key]),
    }
    return render(request, "review/versions.html", context)


def _int(value: str | None) -> int:
    """A number from the query or the form; 0 (no row, no days) for anything else."""
    return int(value) if value and value.isdigit() else 0


@login_required
@access.page_for(access.may_open_review_desk)
@require_POST
def share(request: SignedInRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, access.may_review)
    try:
        link = review.share(job, request.user, _int(request.POST.get("days")))
    except review.ReviewError as refused:
        messages.error(request, str(refused))
    else:
        url = request.build_absolute_uri(reverse("share", args=[link.token]))
        messages.success(
            request,
            f"Anyone with this link can watch the video until {link.expires_at:%-d %b %Y}: {url}",
        )
    return redirect("studio:job", pk=job.pk)


@login_required
@access.page_for(access.may_open_review_desk)
@require_POST
def revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    links = access.scope_to_user(ShareLink.objects.select_related("job"), request.user, "job__team")
    link = get_object_or_404(links, pk=pk)
    if not access.may_review(request.user, link.job):
        raise PermissionDenied
    if review.revoke(link, request.user):
        messages.success(request, "The share link no longer works.")
    return redirect("studio:job", pk=link.job_id)


@login_required
@require_GET
def stable(request: HttpRequest, key: str) -> HttpResponse:
    """The approved version of a video, wherever it is in its history."""
    first = get_object_or_404(access.visible_jobs(request.user), key=key)
    approved = review.approved_version(first.lineage_id)
    if approved is None:
        messages.warning(request, "No version of this video is approved yet.")
        return redirect("studio:job", pk=first.pk)
    return redirect("studio:job", pk=approved.pk)


@require_safe
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """What someone without an account sees through a share link: the video and its title,
    captions and poster, each through a link that stops the moment the share link does."""
    link = review.live_share(token)
    if link is None:
        return render(request, "review/share_gone.html", status=410)
    job = link.job
    review.count_view(link)
    media = {
        part: media_url(getattr(job, part), share=link.pk)
        for part in ("video", "poster", "captions")
    }
    context = {
        "job": job,
        "title": link.title or job.title,
        "media": media,
        "absolute": {part: request.build_absolute_uri(url) for part, url in media.items() if url},
        "page_url": request.build_absolute_uri(request.path),
    }
    response = render(request, "review/shared.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
