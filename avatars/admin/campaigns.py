"""Campaigns and their rows in the admin: lists to look into, and pause, resume and cancel.

Nothing of a campaign is edited here: its rows come from the upload and change only through
the flows of avatars/campaigns/, which the actions call. A campaign may hold 10,000 rows, so
its figures are subqueries counted per listed campaign, and its rows are a list of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from avatars import access, badges, credits
from avatars.campaigns import progress, sending
from avatars.campaigns.export import row_state
from avatars.campaigns.importing import CampaignError
from avatars.models import Campaign, CampaignRow, CreditEntry, JobStatus, RowVerdict
from avatars.pagination import CheapCountPaginator
from avatars.reports import MONEY
from avatars.signed_in import SignedInRequest

from .base import TeamScopedAdmin, ViewOnlyMixin, WideListMixin
from .filters import TeamFilter

CAMPAIGN_CHOICES = 20  # the newest campaigns the rows' filter offers


def _rows_counted(**matching: Any) -> Coalesce:
    rows = CampaignRow.objects.filter(campaign=OuterRef("pk"), **matching)
    counted = rows.order_by().values("campaign").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _spent() -> Coalesce:
    entries = CreditEntry.objects.filter(
        job__campaign_row__campaign=OuterRef("pk"), kind__in=credits.SPENT_KINDS
    )
    key = "job__campaign_row__campaign"
    summed = entries.order_by().values(key).annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(summed, output_field=MONEY), credits.ZERO, output_field=MONEY)


def _studio_link(campaign: Campaign) -> SafeString:
    url = reverse("studio:campaign", args=[campaign.pk])
    return format_html('<a href="{}">Open in the studio</a>', url)


@admin.register(Campaign)
class CampaignAdmin(ViewOnlyMixin, WideListMixin, TeamScopedAdmin):
    list_display = [
        "name",
        "team",
        "status_shown",
        "script_shown",
        "people",
        "finished",
        "failed",
        "spent",
        "created",
    ]
    list_filter = ["status", ("team", TeamFilter)]
    list_select_related = ("team", "script_revision__script", "created_by")
    search_fields = ["name"]
    show_full_result_count = False
    paginator = CheapCountPaginator
    actions = ["pause_selected", "resume_selected", "cancel_selected"]
    readonly_fields = [
        "name",
        "team",
        "status_shown",
        "paused_reason",
        "studio",
        "rows_link",
        "script_shown",
        "avatar",
        "voice",
        "provider",
        "resolution",
        "spending_cap",
        "spent",
        "source_filename",
        "created_by",
        "created_at",
        "sample_approved_by",
        "sample_approved_at",
        "started_at",
        "finished_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "team", "status_shown", "paused_reason", "studio"]}),
        ("People", {"fields": ["rows_link", "source_filename"]}),
        (
            "What is rendered",
            {"fields": ["script_shown", "avatar", "voice", "provider", "resolution"]},
        ),
        ("Money", {"fields": ["spending_cap", "spent"]}),
        (
            "History",
            {
                "fields": [
                    "created_by",
                    "created_at",
                    "sample_approved_by",
                    "sample_approved_at",
                    "started_at",
                    "finished_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        everything = super(TeamScopedAdmin, self).get_queryset(request)
        return access.scope_to_user_by_id(everything, request.user).annotate(
            valid_rows=_rows_counted(verdict=RowVerdict.VALID),
            finished_rows=_rows_counted(latest_job__status=JobStatus.SUCCEEDED),
            failed_rows=_rows_counted(latest_job__status=JobStatus.FAILED),
            spent_total=_spent(),
        )

    # Campaigns are created by uploading a list of people and change through the studio's
    # flows, which keep the ledger and the audit log; the admin only looks and stops
    # (ViewOnlyMixin).

    # --- columns ------------------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_shown(self, campaign: Campaign) -> str:
        return campaign.get_status_display()

    @admin.display(description="Script")
    def script_shown(self, campaign: Campaign) -> str:
        revision = campaign.script_revision
        return f"{revision.script} (revision {revision.number})"

    @admin.display(description="People", ordering="valid_rows")
    def people(self, campaign: Any) -> int:
        return campaign.valid_rows

    @admin.display(description="Finished", ordering="finished_rows")
    def finished(self, campaign: Any) -> int:
        return campaign.finished_rows

    @admin.display(description="Failed", ordering="failed_rows")
    def failed(self, campaign: Any) -> int:
        return campaign.failed_rows

    @admin.display(description="Spent", ordering="spent_total")
    def spent(self, campaign: Any) -> str:
        return credits.dollars(campaign.spent_total)

    @admin.display(description="Created", ordering="created_at")
    def created(self, campaign: Campaign) -> SafeString:
        who = campaign.created_by.get_username() if campaign.created_by else "-"
        when = timezone.localtime(campaign.created_at).strftime("%-d %b %Y %H:%M")
        return format_html('{}<br><span class="quiet">{}</span>', who, when)

    @admin.display(description="Campaign page")
    def studio(self, campaign: Campaign) -> SafeString:
        return _studio_link(campaign)

    @admin.display(description="Rows")
    def rows_link(self, campaign: Campaign) -> SafeString:
        counts = progress.progress(campaign).counts
        url = reverse("admin:avatars_campaignrow_changelist")
        return format_html(
            '<a href="{}?{}">{} rows</a> <span class="quiet">{} valid, {} invalid, '
            "{} duplicates</span>",
            url,
            urlencode({"campaign": campaign.pk}),
            counts["rows"],
            counts["valid"],
            counts["invalid"],
            counts["duplicates"],
        )

    # --- actions ------------------------------------------------------------------------------

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return access.may_run_campaigns(request.user)

    @admin.action(description="Pause selected campaigns", permissions=["manage"])
    def pause_selected(self, request: SignedInRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, lambda pk: sending.pause(pk, request.user), "Paused")

    @admin.action(description="Resume selected campaigns", permissions=["manage"])
    def resume_selected(self, request: SignedInRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, lambda pk: sending.resume(pk, request.user), "Resumed")

    @admin.action(description="Cancel selected campaigns", permissions=["manage"])
    def cancel_selected(self, request: SignedInRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, lambda pk: sending.cancel(pk, request.user), "Canceled")

    def _each(
        self,
        request: SignedInRequest,
        queryset: QuerySet[Campaign],
        act: Callable[[int], object],
        done: str,
    ) -> None:
        """Act on each selected campaign the user may manage; say what was refused and why."""
        acted = 0
        for campaign in queryset:
            if not access.may_manage_campaign(request.user, campaign):
                self.message_user(
                    request, f"“{campaign}”: you may not manage this campaign.", messages.ERROR
                )
                continue
            try:
                act(campaign.pk)
            except CampaignError as refused:
                self.message_user(request, f"“{campaign}”: {refused}", messages.ERROR)
            else:
                acted += 1
        if acted:
            self.message_user(request, f"{done} {acted} campaign(s).", messages.SUCCESS)


class CampaignFilter(admin.SimpleListFilter):
    """The newest campaigns the user sees, and the one chosen (the campaign page links it),
    read from the campaigns table, never from a DISTINCT over the rows."""

    title = "campaign"
    parameter_name = "campaign"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[Any, str]]:
        visible = access.scope_to_user_by_id(Campaign.objects.all(), request.user)
        newest = list(visible.order_by("-created_at", "-pk")[:CAMPAIGN_CHOICES])
        chosen = _int(self.value())
        if chosen and chosen not in {c.pk for c in newest}:
            newest += list(visible.filter(pk=chosen))
        return [(str(c.pk), str(c)) for c in newest]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        return queryset.filter(campaign_id=_int(self.value()))


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


ROW_FIELDS = (
    "campaign",
    "number",
    "person",
    "verdict",
    "error",
    "state",
    "job_link",
    "estimate_shown",
    "is_sample",
    "text",
    "values",
    "variables",
    "avatar",
    "voice",
    "duplicate_of",
)


@admin.register(CampaignRow)
class CampaignRowAdmin(ViewOnlyMixin):
    list_display = [
        "campaign",
        "number",
        "person",
        "verdict",
        "state",
        "job_link",
        "estimate_shown",
    ]
    list_display_links = ["number"]
    list_filter = ["verdict", CampaignFilter]
    list_select_related = ("campaign", "latest_job")
    list_per_page = 100
    show_full_result_count = False
    paginator = CheapCountPaginator
    ordering = ["-campaign_id", "number"]
    fields = ROW_FIELDS
    readonly_fields = ROW_FIELDS

    class Media:
        css = {"all": ["avatars/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        return access.scope_to_user_by_id(rows, request.user, team_path="campaign__team")

    # A row is what the upload read and what the flows made of it; nobody edits it here
    # (ViewOnlyMixin).

    @admin.display(description="State")
    def state(self, row: CampaignRow) -> SafeString | str:
        if row.latest_job is not None:
            return badges.status_badge(row.latest_job)
        return "Not sent" if row.verdict == RowVerdict.VALID else row_state(row).capitalize()

    @admin.display(description="Render")
    def job_link(self, row: CampaignRow) -> SafeString | str:
        if row.latest_job_id is None:
            return "-"
        url = reverse("admin:avatars_renderjob_change", args=[row.latest_job_id])
        return format_html('<a href="{}">#{}</a>', url, row.latest_job_id)

    @admin.display(description="Estimate (USD)", ordering="estimate")
    def estimate_shown(self, row: CampaignRow) -> str:
        return credits.dollars(row.estimate) if row.estimate is not None else "-"
