"""Render jobs and their timelines. Only avatars/render/ changes a job's status."""

import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models

from avatars import catalog

from .assets import AudioClip, Avatar, ScriptRevision, Voice
from .teams import Team


class JobStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    SUBMITTED = "submitted", "Submitted"
    PROCESSING = "processing", "Processing"
    STORING = "storing", "Storing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)
ACTIVE_STATUSES = tuple(s for s in JobStatus if s not in FINAL_STATUSES)
RESOLUTION_CHOICES = [(name, f"{name} ({w}×{h})") for name, (w, h) in catalog.RESOLUTIONS.items()]


def new_callback_token() -> str:
    return secrets.token_urlsafe(32)


def result_upload_to(job: "RenderJob", filename: str) -> str:
    return str(PurePosixPath("renders") / str(job.team_id) / job.key.hex / filename)


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class RenderJob(models.Model):
    """One video: an avatar speaking a script revision with a voice, or an audio clip."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # A free sandbox preview, rendered to see a request before paying for it.
    is_draft = models.BooleanField(default=False)
    # The preview this paid render was sent on from, kept beside it.
    draft = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_on_as"
    )
    # The campaign row this render is for: a row has at most one render that is not failed
    # or canceled, whatever retries, crashes or repeated commands do.
    campaign_row = models.ForeignKey(
        "avatars.CampaignRow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    # The first render of a video; every re-render of it shares this root.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="versions"
    )

    avatar = models.ForeignKey(Avatar, on_delete=models.PROTECT, related_name="jobs")
    script_revision = models.ForeignKey(
        ScriptRevision, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    voice = models.ForeignKey(
        Voice, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    audio_clip = models.ForeignKey(
        AudioClip, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    variables = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True, help_text="The script with its variables filled in.")
    resolution = models.CharField(max_length=8, choices=RESOLUTION_CHOICES, default="720p")
    seed = models.PositiveIntegerField(null=True, blank=True)
    video_prompt = models.CharField(max_length=500, blank=True)

    provider = models.CharField(max_length=20)
    provider_task_id = models.CharField(max_length=200, blank=True, db_index=True)
    callback_token = models.CharField(max_length=64, default=new_callback_token, editable=False)
    result_url = models.URLField(max_length=2000, blank=True)

    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    status_changed_at = models.DateTimeField(auto_now_add=True)
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    poll_count = models.PositiveIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    store_attempts = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)

    video = models.FileField(upload_to=result_upload_to, max_length=200, blank=True)
    poster = models.ImageField(upload_to=result_upload_to, max_length=200, blank=True)
    captions = models.FileField(upload_to=result_upload_to, max_length=200, blank=True)
    # When the provider said each word was spoken, [[word, start_s, end_s], …]: the captions'
    # timing where there is one (the sandbox reports its own), else they are estimated.
    spoken_words = models.JSONField(default=list, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    estimated_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)

    review = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # Every list shows the newest first (ties broken by id), so each index ends in
        # (created_at, id) and a page is a short range scan whatever the table's size.
        indexes = [
            models.Index("status", "status_changed_at", name="job_status_age"),
            models.Index(fields=["created_at", "id"], name="job_newest"),
            models.Index(fields=["team", "created_at", "id"], name="job_team_newest"),
            models.Index(fields=["requested_by", "created_at", "id"], name="job_requester_newest"),
            models.Index(fields=["status", "created_at", "id"], name="job_status_newest"),
            models.Index(
                fields=["team", "finished_at", "id"],
                name="job_review_queue",
                condition=models.Q(status="succeeded", review="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_row"],
                condition=models.Q(campaign_row__isnull=False)
                & ~models.Q(status__in=["failed", "canceled"]),
                name="one_live_render_per_campaign_row",
            )
        ]
        permissions = [
            ("cancel_renderjob", "Can cancel a render"),
            ("retry_renderjob", "Can retry"),
            ("approve_renderjob", "Can approve a render over the approval threshold"),
            ("review_renderjob", "Can review finished videos and share them"),
        ]

    def __str__(self) -> str:
        return f"Render #{self.pk} · {self.avatar}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_finished_draft(self) -> bool:
        """A draft that rendered: what can be sent on, unchanged, to a paid provider."""
        return self.is_draft and self.status == JobStatus.SUCCEEDED

    @property
    def lineage_id(self) -> int:
        return self.root_id or self.pk

    @property
    def title(self) -> str:
        """What the video says, by name: its script's title or its recording's."""
        if self.audio_clip_id and self.audio_clip:
            return self.audio_clip.title
        if self.script_revision_id and self.script_revision:
            return self.script_revision.script.title
        return f"Render #{self.pk}"


class JobEvent(models.Model):
    """An append-only entry in a job's timeline."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        CALLBACK = "callback", "Callback received"
        ACTION = "action", "Action"
        NOTE = "note", "Note"

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.CharField(
        max_length=100, help_text="Who or what: a username, a worker, a provider callback."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        if self.kind == self.Kind.STATUS:
            return f"{self.from_status or '·'} → {self.to_status}"
        return self.get_kind_display()


class WebhookDelivery(models.Model):
    """A signed delivery already handled: its webhook-id is the idempotency key, so the
    provider's retries and anyone replaying a captured delivery change nothing."""

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delivery_id"], name="webhook_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} delivery {self.delivery_id}"
