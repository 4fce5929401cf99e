"""The studio: the pages marketers and editors work in every day (own team only)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from avatars import access, consent, credits, drafts, job_status, routing
from avatars import render as rendering
from avatars.catalog import PROVIDER_LABELS
from avatars.forms import AvatarForm, RenderRequestForm, offer_member_teams
from avatars.library import files_removed_on_error
from avatars.models import Avatar, Notification, RenderJob, Tag
from avatars.pagination import CURSOR, newest_first
from avatars.review import versions as job_versions
from avatars.review_forms import ReviewForm
from avatars.signed_in import SignedInRequest

PAGE = 50


def job_for(request: HttpRequest, pk: int) -> RenderJob:
    """A job the user may see, with what its page shows; 404 for anyone else's."""
    related = (
        "team",
        "avatar",
        "voice",
        "audio_clip",
        "script_revision__script",
        "requested_by",
        "campaign_row__campaign",
    )
    return get_object_or_404(access.visible_jobs(request.user).select_related(*related), pk=pk)


# --- avatars -----------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    avatars = access.scope_to_user(Avatar.objects.filter(archived=archived), request.user)
    query, tag = request.GET.get("q", "").strip(), request.GET.get("tag", "")
    if query:
        avatars = avatars.filter(Q(name__icontains=query) | Q(consent_person__icontains=query))
    if tag:
        avatars = avatars.filter(tags__name=tag)
    avatars = avatars.select_related("team").prefetch_related("tags").distinct()[:200]
    tags = access.scope_to_user(Tag.objects.all(), request.user).values_list("name", flat=True)
    context = {
        "section": "avatars",
        "avatars": avatars,
        "q": query,
        "tag": tag,
        "archived": archived,
        "tags": sorted(set(tags)),
        "can_upload": request.user.has_perm("avatars.add_avatar"),
    }
    return render(request, "studio/home.html", context)


@login_required
@permission_required("avatars.add_avatar", raise_exception=True)
def avatar_new(request: SignedInRequest) -> HttpResponse:
    form = AvatarForm(request.POST or None, request.FILES or None)
    offer_member_teams(form, request.user)
    if request.method == "POST" and form.is_valid():
        avatar = form.save(commit=False)
        avatar.created_by = request.user
        with files_removed_on_error(avatar):
            avatar.save()
        form.save_m2m()
        messages.success(request, f"“{avatar}” is in the library.")
        for warning in consent.upload_warnings(avatar):
            messages.warning(request, warning)
        return redirect("studio:home")
    return render(request, "studio/avatar_new.html", {"section": "avatars", "form": form})


# --- renders -----------------------------------------------------------------------------------


@login_required
@access.page_for(access.may_request_renders)
def new_render(request: SignedInRequest) -> HttpResponse:
    draft = request.method == "POST" and "draft" in request.POST
    form = RenderRequestForm(
        request.POST or None, user=request.user, initial=request.GET.dict(), draft=draft
    )
    if job := form.send():
        messages.success(request, rendering.requested_message(job))
        for warning in form.warnings():
            messages.warning(request, warning)
        return redirect("studio:job", pk=job.pk)
    context = {
        "section": "new",
        **form.page_context(),
        "drafts_enabled": drafts.available(),
    }
    return render(request, "studio/new_render.html", context)


@login_required
@require_GET
def renders(request: SignedInRequest) -> HttpResponse:
    jobs = access.scope_to_user_by_id(RenderJob.objects.all(), request.user)
    mine = request.GET.get("who") != "team"
    if mine:
        jobs = jobs.filter(requested_by=request.user)
    related = jobs.select_related("avatar", "script_revision__script", "audio_clip")
    page = newest_first(related, request.GET.get(CURSOR, ""), PAGE)
    rates: job_status.Rates = {}
    context = {
        "section": "renders",
        "jobs": [(job, job_status.percent_now(job, rates=rates)) for job in page.rows],
        "mine": mine,
        "newer": page.newer,
        "older": page.older,
    }
    return render(request, "studio/renders.html", context)


@login_required
@require_GET
def renders_status(request: HttpRequest) -> JsonResponse:
    """Live status of the listed jobs, polled by the renders page."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:PAGE]
    jobs = (
        access.visible_jobs(request.user)
        .filter(pk__in=ids)
        .select_related("script_revision", "audio_clip")
    )
    rates: job_status.Rates = {}
    return JsonResponse(
        {
            str(job.pk): {
                "status": job.status,
                "label": job.get_status_display(),
                "progress": job_status.percent_now(job, rates=rates),
                "final": job.is_final,
                "error": job.error_message,
            }
            for job in jobs
        }
    )


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return job_page(request, job_for(request, pk))


def job_page(
    request: HttpRequest, job: RenderJob, review_form: ReviewForm | None = None
) -> HttpResponse:
    """The job's page; with `review_form`, the review decision as posted, with its errors."""
    can = access.job_actions(request.user, job)
    send_on = send_on_choices(job)
    # With no paid provider configured there is nowhere to send a draft on to.
    can = dataclasses.replace(can, send_on=can.send_on and bool(send_on))
    context = {
        "section": "renders",
        "job": job,
        "live": job_status.live_status(job),
        "comments": job.comments.select_related("author"),
        "versions": job_versions(job).order_by("created_at"),
        "share_links": job.share_links.all() if can.share_links else [],
        "can": can,
        "review_form": review_form or ReviewForm(),
        "send_on": send_on,
    }
    return render(request, "studio/job.html", context)


@login_required
@require_GET
def job_status_feed(request: HttpRequest, pk: int) -> JsonResponse:
    """The job page's live status, polled: with the timeline entries after `?after=<id>`."""
    after = request.GET.get("after", "")
    after_event = int(after) if after.isdigit() else 0
    live = job_status.live_status(job_for(request, pk), after_event=after_event)
    response = JsonResponse(live.as_json())
    response["Cache-Control"] = "no-store"
    return response


def send_on_choices(job: RenderJob) -> list[dict[str, Any]]:
    """For a finished draft: each paid provider it can be sent to, with what it would cost
    there."""
    if not job.is_finished_draft:
        return []
    seconds = job.duration_seconds or 0.0
    return [
        {
            "name": name,
            "label": PROVIDER_LABELS[name],
            "price": credits.price(name, job.resolution, seconds),
            "preferred": name == routing.chosen_provider(job.team, ""),
        }
        for name in drafts.paid_providers()
    ]


@login_required
@require_POST
@access.page_for(access.may_request_renders)
def job_send_on(request: SignedInRequest, pk: int) -> HttpResponse:
    draft = job_for(request, pk)
    if not access.may_send_on(request.user, draft):
        raise PermissionDenied
    try:
        job = drafts.send_on(draft, request.user, request.POST.get("provider", ""))
    except rendering.RenderRequestError as refused:
        messages.error(request, " ".join(refused.errors.values()))
        return redirect("studio:job", pk=draft.pk)
    messages.success(request, rendering.requested_message(job))
    return redirect("studio:job", pk=job.pk)


@login_required
@require_POST
def job_cancel(request: SignedInRequest, pk: int) -> HttpResponse:
    job = job_for(request, pk)
    if not access.may_cancel(request.user, job):
        raise PermissionDenied
    if rendering.cancel(job.pk, request.user):
        messages.success(request, f"Render #{job.pk} is canceled.")
    return redirect("studio:job", pk=job.pk)


@login_required
@require_POST
def job_approve(request: SignedInRequest, pk: int) -> HttpResponse:
    """Approve the spend of a render over its team's threshold, or turn it down."""
    job = job_for(request, pk)
    if not access.may_act(request.user, job, access.APPROVE):
        raise PermissionDenied
    if not access.may_approve(request.user, job):
        raise PermissionDenied(access.OWN_REQUEST)
    if request.POST.get("decision") == "reject":
        rendering.reject(job.pk, request.user, request.POST.get("reason", "").strip()[:300])
        messages.success(request, f"Render #{job.pk} was not approved.")
    elif rendering.approve(job.pk, request.user):
        messages.success(request, f"Render #{job.pk} is approved and on its way.")
    return redirect("studio:job", pk=job.pk)


# --- notifications -----------------------------------------------------------------------------


@login_required
def notifications(request: SignedInRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        mine.filter(read_at=None).update(read_at=timezone.now())
        return redirect("studio:notifications")
    items = list(mine.select_related("job")[:100])
    return render(request, "studio/notifications.html", {"items": items, "section": ""})
