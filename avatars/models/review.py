"""Reviewing finished videos: comments, share links for outsiders, and in-app notifications."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .assets import Avatar
from .jobs import RenderJob


class JobComment(models.Model):
    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on #{self.job_id} by {self.author}"


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    """A link to one approved video for someone without an account; it expires or is revoked."""

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whom the link is for, where it was made for one person ("A video for Priya Patel").
    title = models.CharField(max_length=200, blank=True)
    views = models.PositiveIntegerField(default=0)
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share link for #{self.job_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Notification(models.Model):
    class Kind(models.TextChoices):
        SUCCEEDED = "succeeded", "Render finished"
        FAILED = "failed", "Render failed"
        REVIEWED = "reviewed", "Render reviewed"
        APPROVAL = "approval", "Approval needed"
        CONSENT = "consent", "Consent ending"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What it is about: a render, or (for consent) an avatar.
    job = models.ForeignKey(
        RenderJob, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    avatar = models.ForeignKey(
        Avatar, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index("user", "read_at", name="notification_unread")]

    def __str__(self) -> str:
        return self.message
