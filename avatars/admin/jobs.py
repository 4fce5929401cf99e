"""Render jobs in the admin: the list, the request page, each job's page and the actions."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from avatars import access, badges, credits, render
from avatars.forms import RenderRequestForm
from avatars.media_urls import media_url
from avatars.models import JobStatus, RenderJob
from avatars.pagination import CheapCountPaginator
from avatars.signed_in import SignedInRequest

from .base import TeamScopedAdmin, WideListMixin
from .filters import ProviderFilter, TeamFilter


@admin.register(RenderJob)
class RenderJobAdmin(WideListMixin, TeamScopedAdmin):
    list_display = [
        "poster_tag",
        "number",
        "team",
        "avatar",
        "speech",
        "status_badge",
        "provider",
        "length",
        "cost_shown",
        "requested",
    ]
    list_display_links = ["poster_tag", "number"]
    # Choices come from small tables and the code, never from a DISTINCT over the jobs.
    list_filter = ["status", ProviderFilter, "resolution", ("team", TeamFilter)]
    list_select_related = (
        "team",
        "avatar",
        "requested_by",
        "script_revision__script",
        "audio_clip",
    )
    search_fields = ["=id", "avatar__name", "script_revision__script__title", "provider_task_id"]
    show_full_result_count = False
    paginator = CheapCountPaginator
    actions = ["approve_selected", "cancel_selected", "reconcile_selected"]
    change_form_template = "admin/avatars/renderjob/change_form.html"
    readonly_fields = [
        "team",
        "avatar",
        "speech",
        "text",
        "voice",
        "resolution",
        "seed",
        "video_prompt",
        "provider",
        "provider_task_id",
        "status_badge",
        "error_message",
        "length",
        "estimated_cost",
        "cost_shown",
        "requested_by",
        "parent",
        "created_at",
        "finished_at",
    ]
    fieldsets = [
        (None, {"fields": ["status_badge", "error_message", "team", "requested_by", "parent"]}),
        (
            "Inputs",
            {"fields": ["avatar", "speech", "text", "voice", "resolution", "seed", "video_prompt"]},
        ),
        (
            "Provider",
            {
                "fields": [
                    "provider",
                    "provider_task_id",
                    "length",
                    "estimated_cost",
                    "cost_shown",
                    "created_at",
                    "finished_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        everything = super(TeamScopedAdmin, self).get_queryset(request)
        return access.scope_to_user_by_id(everything, request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        budgets = [credits.budget_status(team) for team in access.member_teams(request.user)[:5]]
        return super().changelist_view(request, {"budgets": budgets, **(extra_context or {})})

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("add/", view(self.request_view), name="avatars_renderjob_add"),
            path("<int:pk>/cancel/", view(self.cancel_view), name="avatars_renderjob_cancel"),
            path("<int:pk>/approve/", view(self.approve_view), name="avatars_renderjob_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="avatars_renderjob_reject"),
            path("<int:pk>/retry/", view(self.retry_view), name="avatars_renderjob_retry"),
            path(
                "<int:pk>/reconcile/", view(self.reconcile_view), name="avatars_renderjob_reconcile"
            ),
            *super().get_urls(),
        ]

    # --- columns ------------------------------------------------------------------------------

    @admin.display(description="Video")
    def poster_tag(self, job: RenderJob) -> SafeString:
        if not job.poster:
            return format_html('<span class="poster-empty">{}</span>', job.get_status_display())
        return format_html('<img class="thumb" src="{}" alt="">', media_url(job.poster))

    @admin.display(description="#", ordering="id")
    def number(self, job: RenderJob) -> str:
        return f"#{job.pk}"

    @admin.display(description="Speech")
    def speech(self, job: RenderJob) -> str:
        if job.audio_clip_id:
            return f"Audio: {job.audio_clip}"
        if revision := job.script_revision:
            return f"{revision.script} (revision {revision.number})"
        return "-"

    @admin.display(description="Requested", ordering="created_at")
    def requested(self, job: RenderJob) -> SafeString:
        who = job.requested_by.get_username() if job.requested_by else "-"
        when = timezone.localtime(job.created_at).strftime("%-d %b %Y %H:%M")
        return format_html('{}<br><span class="quiet">{}</span>', who, when)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: RenderJob) -> SafeString:
        return badges.status_badge(job)

    @admin.display(description="Length", ordering="duration_seconds")
    def length(self, job: RenderJob) -> str:
        return f"{job.duration_seconds:.1f} s" if job.duration_seconds else "-"

    @admin.display(description="Cost", ordering="cost")
    def cost_shown(self, job: RenderJob) -> str:
        return credits.cost_text(job)

    # --- the request page and the actions -----------------------------------------------------

    def request_view(self, request: SignedInRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RenderRequestForm(request.POST or None, user=request.user)
        if job := form.send():
            self.message_user(request, render.requested_message(job), messages.SUCCESS)
            return self._back(job)
        context = {
            **self.admin_site.each_context(request),
            "title": "Request a render",
            "opts": self.model._meta,
            "media": self.media + form.media,
            **form.page_context(),
        }
        return TemplateResponse(request, "admin/avatars/renderjob/request.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        extra = {}
        if job is not None:
            extra = {
                "job": job,
                "events": job.events.select_related("user"),
                "video_url": media_url(job.video),
                "poster_url": media_url(job.poster),
                "can": access.job_actions(request.user, job),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _job_for_action(self, request: HttpRequest, pk: int, permission: str) -> RenderJob:
        """The job an action is for, if the user may act on it with `permission`.

        Without the permission at all the answer is 403 before the row is looked up, so it
        says nothing about which rows exist.
        """
        if not access.may(request.user, permission):
            raise PermissionDenied
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not access.may_act(request.user, job, permission):
            raise PermissionDenied
        return job

    def _back(self, job: RenderJob) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:avatars_renderjob_change", args=[job.pk]))

    def cancel_view(self, request: SignedInRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        job = self._job_for_action(request, pk, access.CANCEL)
        if render.cancel(job.pk, request.user):
            self.message_user(request, f"Render #{job.pk} is canceled.", messages.SUCCESS)
        else:
            self.message_user(request, "The render had already finished.", messages.WARNING)
        return self._back(job)

    def retry_view(self, request: SignedInRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        job = self._job_for_action(request, pk, access.RETRY)
        try:
            new = render.retry(job, request.user)
        except render.RenderRequestError as error:
            self.message_user(request, f"Cannot render again: {error}", messages.ERROR)
            return self._back(job)
        self.message_user(
            request, f"Render #{new.pk} is queued as a new version.", messages.SUCCESS
        )
        return self._back(new)

    def _job_to_decide(self, request: SignedInRequest, pk: int) -> RenderJob:
        """The job an approve or reject button names, if the four-eyes rule lets this user."""
        job = self._job_for_action(request, pk, access.APPROVE)
        if not access.may_approve(request.user, job):
            raise PermissionDenied(access.OWN_REQUEST)
        return job

    def approve_view(self, request: SignedInRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        job = self._job_to_decide(request, pk)
        if render.approve(job.pk, request.user):
            self.message_user(
                request, f"Render #{job.pk} is approved and queued.", messages.SUCCESS
            )
        else:
            self.message_user(
                request, "The render was no longer awaiting approval.", messages.WARNING
            )
        return self._back(job)

    def reject_view(self, request: SignedInRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        job = self._job_to_decide(request, pk)
        if render.reject(job.pk, request.user, request.POST.get("reason", "").strip()[:300]):
            self.message_user(request, f"Render #{job.pk} was not approved.", messages.SUCCESS)
        return self._back(job)

    def reconcile_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        job = self._job_for_action(request, pk, access.RETRY)
        render.redrive(job.pk)
        self.message_user(request, f"Render #{job.pk} is being checked again.", messages.SUCCESS)
        return self._back(job)

    @admin.action(description="Approve selected renders", permissions=["approve"])
    def approve_selected(self, request: SignedInRequest, queryset: QuerySet[RenderJob]) -> None:
        waiting = queryset.filter(status=JobStatus.AWAITING_APPROVAL)
        allowed = [job for job in waiting if access.may_approve(request.user, job)]
        approved = sum(render.approve(job.pk, request.user) for job in allowed)
        message = f"Approved {approved} render(s)."
        # The list holds only the user's teams' jobs: what is left out is their own.
        if passed_over := len(waiting) - len(allowed):
            message += f" {passed_over} you requested yourself: {access.OWN_REQUEST}"
        self.message_user(request, message)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, access.APPROVE)

    @admin.action(description="Cancel selected renders", permissions=["cancel"])
    def cancel_selected(self, request: SignedInRequest, queryset: QuerySet[RenderJob]) -> None:
        canceled = sum(
            render.cancel(pk, request.user) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Canceled {canceled} render(s).")

    @admin.action(description="Check selected renders with the provider now", permissions=["retry"])
    def reconcile_selected(self, request: HttpRequest, queryset: QuerySet[RenderJob]) -> None:
        for pk in queryset.values_list("pk", flat=True):
            render.redrive(pk)
        self.message_user(request, "The selected renders are being checked again.")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, access.CANCEL)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, access.RETRY)
