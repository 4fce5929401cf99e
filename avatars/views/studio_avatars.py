"""An avatar's page in the studio: its portrait, its consent, its tags, where it is used, and
the withdrawal of consent. Who may do what is asked of avatars/access.py."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from avatars import access, consent
from avatars.forms import ConsentForm, TagsForm, set_tags
from avatars.models import Avatar, RenderJob, Script, ShareLink
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.render import avatar_unavailable as render_refusal
from avatars.signed_in import SignedInRequest

RECENT_RENDERS = 20


def avatar_for(request: HttpRequest, pk: int) -> Avatar:
    """An avatar the user may see; 404 for another team's."""
    visible = access.visible_avatars(request.user).select_related("team", "consent_withdrawn_by")
    return get_object_or_404(visible, pk=pk)


def changeable_avatar(request: HttpRequest, pk: int) -> Avatar:
    """An avatar the user may change: 404 if they may not see it, 403 if only see it."""
    avatar = avatar_for(request, pk)
    if not access.may_change_avatar(request.user, avatar):
        raise PermissionDenied
    return avatar


@login_required
@require_GET
def avatar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    avatar = avatar_for(request, pk)
    jobs = RenderJob.objects.filter(avatar=avatar)
    renders = jobs.select_related("script_revision__script", "audio_clip").order_by(
        "-created_at", "-pk"
    )
    live_links = list(
        ShareLink.objects.filter(job__avatar=avatar, revoked_at=None, expires_at__gt=timezone.now())
        .select_related("job")
        .order_by("expires_at")
    )
    scripts = (
        Script.objects.filter(revisions__jobs__avatar=avatar)
        .annotate(render_total=Count("revisions__jobs"))
        .order_by("title")
    )
    tags = list(avatar.tags.all())
    document = avatar.consent_document
    context = {
        "section": "avatars",
        "avatar": avatar,
        "tags": tags,
        "tags_form": TagsForm(initial={"tag_names": ", ".join(t.name for t in tags)}),
        "renders": renders[:RECENT_RENDERS],
        "render_total": jobs.count(),
        "pending_total": jobs.filter(status__in=ACTIVE_STATUSES).count(),
        "scripts": scripts,
        "live_links": live_links,
        "document_name": f"consent-{avatar.pk}{PurePosixPath(document.name or '').suffix}",
        "warnings": consent.upload_warnings(avatar) if not avatar.consent_withdrawn_at else [],
        "show_team": not access.works_in_one_team(request.user),
        "can_render": not render_refusal(avatar) and access.may_request_with(request.user, avatar),
        "can_change": access.may_change_avatar(request.user, avatar),
        "can_withdraw": access.may_withdraw_consent(request.user, avatar),
    }
    return render(request, "studio/avatar.html", context)


@login_required
def avatar_consent(request: SignedInRequest, pk: int) -> HttpResponse:
    """Record or correct the consent on record: who, for what use, until when, the release."""
    avatar = changeable_avatar(request, pk)
    if avatar.consent_withdrawn_at is not None:
        messages.error(request, "The person withdrew their consent: this likeness stays unused.")
        return redirect("studio:avatar", pk=avatar.pk)
    form = ConsentForm(request.POST or None, request.FILES or None, instance=avatar)
    if request.method == "POST" and form.is_valid():
        form.save()
        consent.record_change(avatar, request.user, form.changed_data)
        messages.success(request, f"Consent for “{avatar}” saved: {avatar.consent_summary()}.")
        if warning := consent.consent_warning(avatar):
            messages.warning(request, warning)
        return redirect("studio:avatar", pk=avatar.pk)
    context = {"section": "avatars", "avatar": avatar, "form": form}
    return render(request, "studio/avatar_consent.html", context)


@login_required
@require_POST
def avatar_tags(request: SignedInRequest, pk: int) -> HttpResponse:
    avatar = changeable_avatar(request, pk)
    form = TagsForm(request.POST)
    if form.is_valid():
        set_tags(avatar, form.cleaned_data["tag_names"])
        messages.success(request, f"Tags of “{avatar}” saved.")
    else:
        messages.error(request, " ".join(str(e) for e in form.errors["tag_names"]))
    return redirect("studio:avatar", pk=avatar.pk)


@login_required
@require_POST
def avatar_archive(request: SignedInRequest, pk: int) -> HttpResponse:
    """Archive (out of the pickers, kept for past renders) or bring back."""
    avatar = changeable_avatar(request, pk)
    archive = request.POST.get("archived") == "1"
    Avatar.objects.filter(pk=avatar.pk).update(archived=archive, updated_at=timezone.now())
    if archive:
        messages.success(request, f"“{avatar}” is archived: no new render can use it.")
    else:
        messages.success(request, f"“{avatar}” is back in the library.")
    return redirect("studio:avatar", pk=avatar.pk)


@login_required
@require_POST
def avatar_withdraw(request: SignedInRequest, pk: int) -> HttpResponse:
    """The person withdrew their consent: stop everything that uses their likeness."""
    avatar = changeable_avatar(request, pk)
    if not access.may_withdraw_consent(request.user, avatar):
        raise PermissionDenied
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm the withdrawal: nothing was changed.")
        return redirect("studio:avatar", pk=avatar.pk)
    done = consent.withdraw(avatar, request.user)
    messages.success(request, f"Consent for “{avatar}” is withdrawn. {done.summary}")
    return redirect("studio:avatar", pk=avatar.pk)
