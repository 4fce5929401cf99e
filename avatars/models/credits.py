"""Money as an append-only ledger, and the audit log of who did what with it."""

from typing import Any

from django.conf import settings
from django.db import models

from .jobs import RenderJob
from .teams import Team


class AppendOnly(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly(f"{self.model.__name__} rows are never changed; add a new row instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly(f"{self.model.__name__} rows are never deleted; add a new row instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly(f"{type(self).__name__} rows are never changed; add a new row.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnly(f"{type(self).__name__} rows are never deleted; add a new row.")


class CreditEntry(AppendOnlyModel):
    """One movement of money. Holds and charges are positive, releases and refunds negative;
    the entries of a finished job add up to what it cost."""

    class Kind(models.TextChoices):
        HOLD = "hold", "Hold"
        CHARGE = "charge", "Charge"
        RELEASE = "release", "Release"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="credit_entries")
    job = models.ForeignKey(
        RenderJob, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who asked for the render (or, for a refund or adjustment, who entered it).",
    )
    provider = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField("amount (USD)", max_digits=12, decimal_places=4)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "credit entries"
        constraints = [
            # Whatever its messages and callbacks do, a job is held, released and charged once.
            models.UniqueConstraint(
                "job",
                "kind",
                condition=models.Q(kind__in=["hold", "charge", "release"]),
                name="credit_once_per_job_and_kind",
            ),
        ]
        # Newest first, whole or by each filter of the lists: a page is an index range scan.
        indexes = [
            models.Index(fields=["created_at", "id"], name="credit_newest"),
            models.Index(fields=["team", "created_at", "id"], name="credit_team_newest"),
            models.Index(fields=["kind", "created_at", "id"], name="credit_kind_newest"),
            models.Index(fields=["provider", "created_at", "id"], name="credit_provider_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+.4f} · {self.team}"


class AuditEntry(AppendOnlyModel):
    """Who spent, approved, refunded or changed a budget, decided on a video or shared it,
    and when."""

    class Action(models.TextChoices):
        RENDER_REQUESTED = "render_requested", "Render requested"
        RENDER_APPROVED = "render_approved", "Render approved"
        RENDER_REJECTED = "render_rejected", "Render rejected"
        RENDER_CANCELED = "render_canceled", "Render canceled"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"
        BUDGET_CHANGED = "budget_changed", "Budget changed"
        VIDEO_APPROVED = "video_approved", "Video approved"
        VIDEO_REJECTED = "video_rejected", "Video rejected"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        SHARE_CREATED = "share_created", "Share link created"
        SHARE_REVOKED = "share_revoked", "Share link revoked"
        CONSENT_CHANGED = "consent_changed", "Consent changed"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        CAMPAIGN_CREATED = "campaign_created", "Campaign created"
        CAMPAIGN_REUPLOADED = "campaign_reuploaded", "Campaign list corrected"
        CAMPAIGN_SAMPLED = "campaign_sampled", "Campaign sample sent"
        CAMPAIGN_APPROVED = "campaign_approved", "Campaign sample approved"
        CAMPAIGN_RUN = "campaign_run", "Campaign run started"
        CAMPAIGN_RETRIED = "campaign_retried", "Campaign rows retried"
        CAMPAIGN_PAUSED = "campaign_paused", "Campaign paused"
        CAMPAIGN_RESUMED = "campaign_resumed", "Campaign resumed"
        CAMPAIGN_CANCELED = "campaign_canceled", "Campaign canceled"
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="audit_entries")
    job = models.ForeignKey(
        RenderJob, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    campaign = models.ForeignKey(
        "avatars.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["created_at", "id"], name="audit_newest"),
            models.Index(fields=["team", "created_at", "id"], name="audit_team_newest"),
            models.Index(fields=["action", "created_at", "id"], name="audit_action_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.team}"
