"""The studio's campaigns: the list, upload → preview → create, a campaign's page with its
row grid and live progress, its actions, and its results out (CSV and a ZIP of videos)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST, require_safe

from avatars import access, catalog, credits
from avatars.campaign_forms import CampaignForm
from avatars.campaigns import export, importing, progress, sending, staging
from avatars.campaigns.export import row_state
from avatars.models import Campaign, CampaignStatus, RowVerdict, ShareLink
from avatars.signed_in import SignedInRequest

GRID_SIZE = 50
PREVIEW_ROWS = 10
C = CampaignStatus


def campaign_for(request: HttpRequest, pk: int) -> Campaign:
    """A campaign the user may see; 404 for another team's."""
    found = access.visible_campaigns(request.user).select_related(
        "team", "avatar", "voice", "script_revision__script", "created_by", "sample_approved_by"
    )
    return get_object_or_404(found, pk=pk)


@login_required
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    found = (
        access.visible_campaigns(request.user)
        .select_related("team", "script_revision__script")
        .annotate(
            valid_rows=Count("rows", filter=Q(rows__verdict=RowVerdict.VALID)),
            finished_rows=Count("rows", filter=Q(rows__latest_job__status="succeeded")),
        )
    )
    context = {
        "section": "campaigns",
        "campaigns": found[:200],
        "can_add": access.may_run_campaigns(request.user),
        "show_team": not access.works_in_one_team(request.user),
    }
    return render(request, "studio/campaigns.html", context)


@access.page_for(access.may_run_campaigns)
def campaign_new(request: SignedInRequest) -> HttpResponse:
    """The upload, then its preview; creating happens from the preview (campaign_create)."""
    if request.method != "POST":
        return render(
            request, "studio/campaign_new.html", _form_context(CampaignForm(request.user))
        )
    form = CampaignForm(request.user, request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "studio/campaign_new.html", _form_context(form), status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        planned = importing.plan(**_choices(form), data=data, filename=upload.name)
    except importing.CampaignError as refused:
        _add_errors(form, refused)
        return render(request, "studio/campaign_new.html", _form_context(form), status=400)
    token = staging.keep(data, upload.name, request.user.pk)
    return render(request, "studio/campaign_preview.html", _preview_context(form, planned, token))


@require_POST
@access.page_for(access.may_run_campaigns)
def campaign_create(request: SignedInRequest) -> HttpResponse:
    form = CampaignForm(request.user, request.POST, staged=True)
    token = request.POST.get("upload", "")
    staged = staging.take(token, request.user.pk)
    if not form.is_valid() or staged is None:
        messages.error(request, "The upload has expired or is not yours: upload the file again.")
        return redirect("studio:campaign_new")
    data, filename = staged
    try:
        planned = importing.plan(**_choices(form), data=data, filename=filename)
    except importing.CampaignError as refused:
        _add_errors(form, refused)
        return render(request, "studio/campaign_new.html", _form_context(form), status=400)
    campaign = importing.create(planned, request.user)
    staging.discard(token)
    messages.success(
        request,
        f"Campaign “{campaign}” is ready: {len(planned.checked.valid)} people to render. "
        "Take a sample first.",
    )
    return redirect("studio:campaign", pk=campaign.pk)


def _choices(form: CampaignForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "team": data["team"],
        "name": data["name"],
        "avatar": data["avatar"],
        "script": data["script"],
        "voice": data["voice"],
        "resolution": data["resolution"],
        "spending_cap": data["spending_cap"],
    }


def _add_errors(form: CampaignForm, refused: importing.CampaignError) -> None:
    for name, message in refused.errors.items():
        form.add_error(name if name in form.fields else None, message)


def _form_context(form: CampaignForm) -> dict[str, Any]:
    return {"section": "campaigns", "form": form}


def _preview_context(
    form: CampaignForm, planned: importing.CampaignPlan, token: str
) -> dict[str, Any]:
    checked = planned.checked
    budget = credits.budget_status(planned.team)
    return {
        "section": "campaigns",
        "form": form,
        "planned": planned,
        "token": token,
        "first_rows": checked.rows[:PREVIEW_ROWS],
        "invalid": checked.invalid[:200],
        "duplicates": checked.duplicates[:200],
        "estimate": credits.dollars(checked.estimate),
        "free": credits.is_free(planned.provider),
        "budget": budget,
        "over_budget": checked.estimate > budget.left,
        "hidden": {
            name: form.data.get(name, "")
            for name in ("team", "name", "avatar", "script", "voice", "resolution", "spending_cap")
        },
    }


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_for(request, pk)
    state = request.GET.get("state", "")
    rows = campaign.rows.select_related("latest_job").prefetch_related("latest_job__share_links")
    rows = _filtered(rows, state)
    after = _int(request.GET.get("after"))
    page = list(rows.filter(number__gt=after).order_by("number")[: GRID_SIZE + 1])
    now = progress.progress(campaign)
    user = request.user
    context = {
        "section": "campaigns",
        "campaign": campaign,
        "provider": catalog.PROVIDER_LABELS.get(campaign.provider, campaign.provider),
        "progress": now,
        "states": _state_filters(now.counts),
        "state": state,
        "rows": [(row, row_state(row), _link(row)) for row in page[:GRID_SIZE]],
        "next_after": page[GRID_SIZE - 1].number if len(page) > GRID_SIZE else None,
        "to_send": _to_send(now),
        "budget": credits.budget_status(campaign.team),
        "cost": credits.dollars(now.cost),
        "held": credits.dollars(now.held),
        "can_manage": access.may_manage_campaign(user, campaign),
        # Approving waits for the sample to end: it is watched before it is approved.
        "can_approve": campaign.status == C.SAMPLING
        and not now.in_flight
        and access.may_approve_sample(user, campaign),
        "sample_rows": _int(request.GET.get("rows")) or 3,
    }
    return render(request, "studio/campaign.html", context)


def _filtered(rows: Any, state: str) -> Any:
    if state in (RowVerdict.INVALID, RowVerdict.DUPLICATE):
        return rows.filter(verdict=state)
    if state == progress.NOT_SENT:
        return rows.filter(verdict=RowVerdict.VALID, latest_job=None)
    if state in progress.ROW_STATES:
        return rows.filter(latest_job__status=state)
    return rows


def _state_filters(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    shown = [
        (progress.NOT_SENT, "Not sent"),
        ("queued", "Queued"),
        ("awaiting_approval", "Awaiting approval"),
        ("processing", "Rendering"),
        ("succeeded", "Finished"),
        ("failed", "Failed"),
        ("canceled", "Canceled"),
        (RowVerdict.INVALID, "Invalid"),
        (RowVerdict.DUPLICATE, "Duplicates"),
    ]
    key: dict[str, str] = {RowVerdict.INVALID: "invalid", RowVerdict.DUPLICATE: "duplicates"}
    return [(s, label, counts.get(key.get(s, s), 0)) for s, label in shown]


def _link(row: Any) -> ShareLink | None:
    job = row.latest_job
    if job is None:
        return None
    live = [link for link in job.share_links.all() if link.is_live]
    return live[0] if live else None


def _to_send(now: progress.Progress) -> dict[str, Any]:
    """What the next step would send: the valid rows not yet sent (a sample's rows have
    their renders) and their estimate."""
    return {"rows": now.counts[progress.NOT_SENT], "estimate": credits.dollars(now.unsent)}


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


@login_required
@require_POST
def campaign_reupload(request: SignedInRequest, pk: int) -> HttpResponse:
    """A corrected list in place of the rows not yet sent."""
    campaign = campaign_for(request, pk)
    if not access.may_manage_campaign(request.user, campaign):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose the corrected file to upload.")
        return redirect("studio:campaign", pk=campaign.pk)
    try:
        name = upload.name or "people.csv"
        planned = importing.replace_rows(campaign, upload.read(), name, request.user)
    except importing.CampaignError as refused:
        messages.error(request, str(refused))
    else:
        checked = planned.checked
        messages.success(
            request,
            f"{name} read: {len(checked.valid)} people to render, "
            f"{len(checked.invalid)} invalid, {len(checked.duplicates)} duplicates.",
        )
    return redirect("studio:campaign", pk=campaign.pk)


@login_required
@require_GET
def campaign_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the campaign page polls: counts, money and how far it has got."""
    campaign = campaign_for(request, pk)
    now = progress.progress(campaign)
    summary = progress.summary(campaign, now)
    summary |= {
        "percent": now.percent,
        "label": CampaignStatus(campaign.status).label,
        "in_flight": now.in_flight,
        "paused_reason": campaign.paused_reason,
    }
    return JsonResponse(summary)


ACTIONS = {
    "sample": "Sample sent: {n} rows are rendering.",
    "approve": "Sample approved: the campaign may run.",
    "run": "The run has started: {n} rows sent.",
    "retry": "{n} failed rows sent again.",
    "pause": "Paused: rows not yet sent wait.",
    "resume": "Resumed: {n} waiting rows sent.",
    "cancel": "Canceled: {n} rows not yet sent were canceled and their holds released.",
}


@login_required
@require_POST
def campaign_action(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    campaign = campaign_for(request, pk)
    if action not in ACTIONS:
        raise PermissionDenied
    if action == "approve":
        # Who of the team may approve this sample is for the flow to say; an Auditor never.
        if not access.may(request.user, access.APPROVE_CAMPAIGN):
            raise PermissionDenied
    elif not access.may_manage_campaign(request.user, campaign):
        raise PermissionDenied
    try:
        n = _act(action, campaign, request)
    except importing.CampaignError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, ACTIONS[action].format(n=n))
    return redirect("studio:campaign", pk=campaign.pk)


def _act(action: str, campaign: Campaign, request: SignedInRequest) -> int:
    user = request.user
    if action == "sample":
        numbers = [int(n) for n in re.findall(r"\d+", request.POST.get("numbers", ""))[:50]]
        rows = None if numbers else _int(request.POST.get("rows")) or None
        return sending.sample(campaign.pk, user, rows=rows, numbers=numbers or None)
    if action == "approve":
        sending.approve_sample(campaign.pk, user)
        return 0
    if action == "run":
        return sending.run(campaign.pk, user)
    if action == "retry":
        return sending.retry_failed(campaign.pk, user)
    if action == "pause":
        sending.pause(campaign.pk, user, request.POST.get("reason", "").strip()[:500])
        return 0
    if action == "resume":
        return sending.resume(campaign.pk, user)
    return sending.cancel(campaign.pk, user)


@login_required
@require_safe
def campaign_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    campaign = campaign_for(request, pk)
    name = f"campaign-{campaign.pk}-{slugify(campaign.name) or 'results'}.csv"
    response = StreamingHttpResponse(
        export.results_lines(campaign), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def campaign_videos(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    campaign = campaign_for(request, pk)
    name = f"campaign-{campaign.pk}-{slugify(campaign.name) or 'videos'}.zip"
    response = StreamingHttpResponse(export.videos_zip(campaign), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
