"""Campaigns: one script rendered for each person of an uploaded list, sample first."""

from django.conf import settings
from django.db import models

from .assets import Avatar, Script, ScriptRevision, Voice
from .jobs import RESOLUTION_CHOICES, RenderJob
from .teams import Team


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Ready for a sample"
    SAMPLING = "sampling", "Sample sent"
    APPROVED = "approved", "Sample approved"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"
    CANCELED = "canceled", "Canceled"


class Campaign(models.Model):
    """Personalised renders of one frozen script revision, a row of people at a time."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=200)
    avatar = models.ForeignKey(Avatar, on_delete=models.PROTECT, related_name="campaigns")
    script_revision = models.ForeignKey(
        ScriptRevision, on_delete=models.PROTECT, related_name="campaigns"
    )
    voice = models.ForeignKey(Voice, on_delete=models.PROTECT, related_name="campaigns")
    provider = models.CharField(max_length=20)
    resolution = models.CharField(max_length=8, choices=RESOLUTION_CHOICES, default="720p")
    spending_cap = models.DecimalField(
        "spending cap (USD)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What this campaign may spend in all, on top of the team's budget. Empty: "
        "the team's budget alone.",
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    paused_reason = models.TextField(blank=True)
    # The uploaded file's name and its columns in file order; `mapping` says which column
    # fills each {{variable}} (and the per-row "avatar" and "voice" choices).
    source_filename = models.CharField(max_length=255, blank=True)
    columns = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sample_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sample_approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "created_at", "id"], name="campaign_team_newest")]
        permissions = [("approve_campaign", "Can approve a campaign's sample")]

    def __str__(self) -> str:
        return self.name

    @property
    def script(self) -> Script:
        return self.script_revision.script


class RowVerdict(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    DUPLICATE = "duplicate", "Duplicate"


class CampaignRow(models.Model):
    """One person of a campaign, as read from its row of the file, and its renders."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rows")
    # The row number a spreadsheet shows: the header is row 1.
    number = models.PositiveIntegerField()
    values = models.JSONField(default=dict, help_text="Every cell of the row, by column.")
    variables = models.JSONField(default=dict, help_text="What fills each {{variable}}.")
    text = models.TextField(blank=True, help_text="The script filled in for this person.")
    person = models.CharField(max_length=200, blank=True)
    avatar = models.ForeignKey(
        Avatar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voice = models.ForeignKey(
        Voice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=RowVerdict.choices)
    error = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A digest of the row's trimmed, case-folded cells: equal keys are the same person.
    dedupe_key = models.CharField(max_length=64)
    estimate = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    is_sample = models.BooleanField(default=False)
    # The newest of the row's renders (every attempt keeps its job, linked by campaign_row).
    latest_job = models.ForeignKey(
        RenderJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaign_row_number_once")
        ]
        indexes = [
            models.Index(fields=["campaign", "verdict", "number"], name="campaign_row_verdict"),
            models.Index(fields=["campaign", "dedupe_key"], name="campaign_row_dedupe"),
        ]

    def __str__(self) -> str:
        return f"Row {self.number} of {self.campaign}"
