"""The review desk: Editors decide on finished videos, re-render them and share them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from avatars import access, credits, review
from avatars import render as rendering
from avatars.admin.jobs import estimate_inputs
from avatars.forms import RenderRequestForm
from avatars.models import JobStatus, RenderJob, ReviewStatus, ShareLink
from avatars.views.studio import jobs_for


@login_required
@permission_required("avatars.review_renderjob", raise_exception=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    # Team ids as a list, so the planner walks the partial index job_review_queue per team.
    teams = list(access.member_teams(request.user).values_list("pk", flat=True))
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
    return render(request, "review/queue.html", {"section": "review", "jobs": waiting})


def _job(request: HttpRequest, pk: int) -> RenderJob:
    """A job of the user's own teams (reviewing and re-rendering happen in one's own team)."""
    related = ("team", "avatar", "voice", "audio_clip", "script_revision__script")
    found = RenderJob.objects.filter(team__in=access.member_teams(request.user))
    return get_object_or_404(found.select_related(*related), pk=pk)


@login_required
@permission_required("avatars.review_renderjob", raise_exception=True)
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        review.decide(
            job, request.user, request.POST.get("decision", ""), request.POST.get("comment", "")
        )
    except review.ReviewError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Render #{job.pk}: {job.get_review_display().lower()}.")
    return redirect("studio:job", pk=job.pk)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(jobs_for(request.user), pk=pk)
    # Auditors see every team's jobs but take part in none of their conversations.
    if not access.member_teams(request.user).filter(pk=job.team_id).exists():
        raise PermissionDenied
    try:
        review.add_comment(job, request.user, request.POST.get("body", ""))
    except review.ReviewError as refused:
        messages.error(request, str(refused))
    return redirect("studio:job", pk=job.pk)


@login_required
@permission_required(("avatars.add_renderjob", "avatars.retry_renderjob"), raise_exception=True)
def rerender(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of a video with any input changed; its cost shows before it is sent."""
    job = _job(request, pk)
    initial = {
        "team": job.team_id,
        "avatar": job.avatar_id,
        "script": job.script_revision.script_id if job.script_revision_id else None,
        "voice": job.voice_id,
        "audio_clip": job.audio_clip_id,
        "variables": "\n".join(f"{k}={v}" for k, v in job.variables.items()),
        "resolution": job.resolution,
        "seed": job.seed,
        "video_prompt": job.video_prompt,
        "provider": job.provider,
    }
    form = RenderRequestForm(request.POST or None, user=request.user, initial=initial)
    # A version stays in the team of the video it re-renders, so its history stays visible.
    form.fields["team"].queryset = form.fields["team"].queryset.filter(pk=job.team_id)
    if request.method == "POST" and form.is_valid():
        try:
            new = rendering.request_render(form.render_request(), parent=job)
        except rendering.RenderRequestError as refused:
            for field, message in refused.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request, f"Render #{new.pk} is on its way as a new version of #{job.pk}."
            )
            return redirect("studio:job", pk=new.pk)
    context = {
        "section": "review",
        "form": form,
        "job": job,
        "budgets": [credits.budget_status(job.team)],
        "pricing": estimate_inputs(form),
    }
    return render(request, "review/rerender.html", context)


@login_required
@require_GET
def versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The versions of a video; two of them side by side with what differs between them."""
    job = get_object_or_404(jobs_for(request.user), pk=pk)
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


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@permission_required("avatars.review_renderjob", raise_exception=True)
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        link = review.share(job, request.user, _int(request.POST.get("days")) or 0)
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
@permission_required("avatars.review_renderjob", raise_exception=True)
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(
        ShareLink.objects.filter(job__team__in=access.member_teams(request.user)), pk=pk
    )
    if review.revoke(link, request.user):
        messages.success(request, "The share link no longer works.")
    return redirect("studio:job", pk=link.job_id)


@login_required
@require_GET
def stable(request: HttpRequest, key: str) -> HttpResponse:
    """The approved version of a video, wherever it is in its history."""
    first = get_object_or_404(jobs_for(request.user), key=key)
    approved = review.approved_version(first.lineage_id)
    if approved is None:
        messages.warning(request, "No version of this video is approved yet.")
        return redirect("studio:job", pk=first.pk)
    return redirect("studio:job", pk=approved.pk)


@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """What someone without an account sees through a share link: the video, nothing else."""
    link = review.live_share(token)
    if link is None:
        return render(request, "review/share_gone.html", status=410)
    response = render(request, "review/shared.html", {"job": link.job})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
